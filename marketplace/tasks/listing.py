"""What a list of tasks shows besides the tasks: posters' and organisations' names and verification
badges. A list reads them in its own query (search_tasks(..., options=page_options(...)): one
round trip for the page); tasks loaded without them get them in one more query for the whole page.

Both statements are built once; the second binds only the page's posters' and organisations' ids.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import bindparam, literal_column, null, union_all
from sqlalchemy.orm import with_expression

from ..accounts.models import User
from ..extensions import db
from ..organisations.models import Organisation
from ..verification.service import verified_org_select, verified_user_selects
from .cards import task_cards
from .models import Task


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


@cache
def page_options(poster_names: bool) -> tuple:
    """Loader options reading what listing_page needs in the tasks' own query, each a correlated
    subquery on the page's rows only (after its LIMIT); with poster_names, the posters' names too."""
    organisations, posters = Organisation.__table__.c, User.__table__.c
    options = [
        with_expression(Task.page_poster_verified, union_all(*verified_user_selects([Task.poster_id])).exists()),
        with_expression(Task.page_org_verified, verified_org_select([Task.org_id]).exists()),
        with_expression(Task.page_org_name, db.select(organisations.name)
                        .where(organisations.id == Task.org_id).scalar_subquery()),
    ]
    if poster_names:
        options.append(with_expression(Task.page_poster_name, db.select(posters.display_name)
                                       .where(posters.id == Task.poster_id).scalar_subquery()))
    return tuple(options)


def listing_page(tasks: list, *, cards: bool = False) -> ListingPage:
    """The page of `tasks`; with cards, also their posters' names (instead of loading each
    poster) and what each task's card shows (cards.py)."""
    page = ListingPage(tasks=tasks)
    if tasks and all(t.page_poster_verified is not None and (not cards or t.page_poster_name is not None)
                     for t in tasks):
        _names_and_badges_of_tasks(page, poster_names=cards)
    else:
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


def _names_and_badges_of_tasks(page: ListingPage, *, poster_names: bool) -> None:
    """The same from the tasks, loaded with page_options."""
    for t in page.tasks:
        if t.page_poster_verified:
            page.verified_users.add(t.poster_id)
        if t.org_id is not None:
            if t.page_org_verified:
                page.verified_orgs.add(t.org_id)
            if t.page_org_name is not None:
                page.org_names[t.org_id] = t.page_org_name
        if poster_names:
            page.poster_names[t.poster_id] = t.page_poster_name
