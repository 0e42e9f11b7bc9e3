"""The operator's work queue, assembled from sections that domains register.

    register_section("payouts", title=_l("Payouts to approve"), loader=pending_payouts,
                     template="payments/_queue_payouts.html", api_serializer=serialize_payout)

`loader(limit)` returns the pending items (oldest first); the page includes `template` with
`section` and `items` in its context; `GET /api/v1/operator/queue` lists each item through
`api_serializer(item)`, which must give the item's own `id` and the subject's `user_id`
(bounty reviews: `task_id`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# The keys of the queue document in API.md, in display order; each is a list, empty when no
# domain has registered it.
API_KEYS = ("verifications", "bank_transfers", "payouts", "disputes", "reports", "bounty_reviews")


@dataclass(frozen=True)
class Section:
    key: str
    title: object
    loader: Callable
    template: str
    api_serializer: Callable


SECTIONS: dict[str, Section] = {}


def register_section(key: str, *, title, loader, template: str, api_serializer) -> Section:
    """Add (or replace) the section `key`; registering the same key again replaces it."""
    section = Section(key=key, title=title, loader=loader, template=template, api_serializer=api_serializer)
    SECTIONS[key] = section
    return section


def ordered_sections() -> list[Section]:
    known = [SECTIONS[k] for k in API_KEYS if k in SECTIONS]
    extra = [s for k, s in SECTIONS.items() if k not in API_KEYS]
    return known + extra


def load(limit: int = 50) -> list[tuple[Section, list]]:
    """Every section with its pending items, for the page."""
    return [(section, list(section.loader(limit))) for section in ordered_sections()]


def as_json(limit: int = 50) -> dict:
    """The queue document: every API key present, plus any extra registered sections."""
    data = {key: [] for key in API_KEYS}
    for section, items in load(limit):
        data[section.key] = [section.api_serializer(item) for item in items]
    return data
