"""What a task card shows (the task list, my tasks, the home page), worked out once per page.

A card's template only writes these values out: names of statuses, categories and cities are
looked up in the page's language once (not translated again for every card), amounts and
deadlines are formatted with the page's language and time zone looked up once, and a task's link
is its id in the link pattern built once per page.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core import links
from ..core.catalogue import CATEGORIES, CITIES
from ..core.i18n import PerLanguage, current_timezone, format_when
from ..core.money import format_money
from ..core.statuses import LABELS


@dataclass(slots=True)
class TaskCard:
    id: int
    url: str
    mode: str
    status: str
    status_name: str
    invite_only: bool
    hidden: bool
    title: str
    category: str  # its name
    city: str | None  # its name ("" for an unknown code), None when the task names no city
    by: str  # the organisation's name, else the poster's
    by_org: bool
    verified: bool  # that organisation, or the poster
    amount: str  # formatted: a tender's budget range, a claim's price, a bounty's total
    deadline: str  # formatted, or ""
    skills: list


def _names() -> tuple[dict, dict, dict]:
    return ({code: str(label) for code, label in LABELS["tasks"].items()},
            {slug: str(name) for slug, (_family, name) in CATEGORIES.items()},
            {code: str(name) for code, name in CITIES.items()})


_names_here = PerLanguage(_names)


def task_cards(page) -> list[TaskCard]:
    """The cards of a ListingPage read with poster names (listing.listing_page(..., cards=True))."""
    statuses, categories, cities = _names_here()
    locale, zone = PerLanguage.current(), current_timezone()
    link = links.task_link_maker()
    cards = []
    for t in page.tasks:
        currency = t.currency
        if t.mode == "tender":
            amount = format_money(t.budget_max, currency, locale)
            if t.budget_min:
                amount = f"{format_money(t.budget_min, currency, locale)} – {amount}"
        else:
            amount = format_money(t.price if t.mode == "claim" else t.reward_total, currency, locale)
        org_name = page.org_names.get(t.org_id) if t.org_id else None
        deadline = t.deadline
        cards.append(TaskCard(
            id=t.id, url=link(t.id), mode=t.mode, status=t.status,
            status_name=statuses.get(t.status, t.status), invite_only=t.visibility == "invite",
            hidden=bool(t.hidden_at), title=t.title,
            category=categories.get(t.category, t.category or ""),
            city=cities.get(t.city, "") if t.city else None,
            by=org_name if org_name else page.poster_names.get(t.poster_id, ""), by_org=bool(org_name),
            verified=(t.org_id in page.verified_orgs) if org_name else (t.poster_id in page.verified_users),
            amount=amount, deadline=format_when(deadline, zone) if deadline else "",
            skills=t.skills or []))
    return cards
