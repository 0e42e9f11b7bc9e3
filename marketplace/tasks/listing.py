"""What a list of tasks shows besides the tasks: posters' and organisations' names and verification
badges, read for the whole page in one query (one round trip whatever the page size).

The statement is built once; a page binds only its posters' and organisations' ids.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import bindparam, literal_column, null, union_all

from ..accounts.models import User
from ..extensions import db
from ..organisations.models import Organisation
from ..verification.service import verified_org_select, verified_user_selects
from .cards import task_cards


@dataclass
class ListingPage:
    """A page of tasks with what its cards show about their posters and organisations."""
    tasks: list
    org_names: dict = field(default_factory=dict)
    verified_users: set = field(default_factory=set)
    verified_orgs: set = field(default_factory=set)
    poster_names: dict = field(default_factory=dict)  # filled for cards, which name posters
    cards: list = field(default_factory=list)  # cards.TaskCard of each task, when asked for


@cache
def _page_statement(poster_names: bool):
    """Rows (kind, id, name): "u" a verified poster, "o" a verified organisation, "n" an
    organisation's name, "p" a poster's name (with poster_names)."""
    users, orgs = bindparam("user_ids", expanding=True), bindparam("org_ids", expanding=True)
    organisations, posters = Organisation.__table__.c, User.__table__.c

    def tagged(kind: str, select):
        return select.with_only_columns(literal_column(f"'{kind}'"), *select.selected_columns, null())

    parts = [tagged("u", s) for s in verified_user_selects(users)]
    parts.append(tagged("o", verified_org_select(orgs)))
    parts.append(db.select(literal_column("'n'"), organisations.id, organisations.name)
                 .where(organisations.id.in_(orgs)))
    if poster_names:
        parts.append(db.select(literal_column("'p'"), posters.id, posters.display_name).where(posters.id.in_(users)))
    return union_all(*parts)


def listing_page(tasks: list, *, cards: bool = False) -> ListingPage:
    """The page of `tasks`; with cards, also their posters' names (instead of loading each
    poster) and what each task's card shows (cards.py)."""
    page = ListingPage(tasks=tasks)
    poster_ids = sorted({t.poster_id for t in tasks if t.poster_id is not None})
    org_ids = sorted({t.org_id for t in tasks if t.org_id is not None})
    if poster_ids or org_ids:
        _read_names_and_badges(page, poster_ids, org_ids, poster_names=cards)
    if cards:
        page.cards = task_cards(page)
    return page


def _read_names_and_badges(page: ListingPage, poster_ids: list, org_ids: list, *, poster_names: bool) -> None:
    rows = db.session.execute(_page_statement(poster_names), {"user_ids": poster_ids, "org_ids": org_ids})
    for kind, id_, name in rows:
        if kind == "u":
            page.verified_users.add(id_)
        elif kind == "o":
            page.verified_orgs.add(id_)
        elif kind == "p":
            page.poster_names[id_] = name
        else:
            page.org_names[id_] = name
