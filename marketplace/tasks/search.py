"""Finding tasks: the filtered, sorted, keyset-paginated list behind /tasks and GET /api/v1/tasks,
recommendations for solvers and suggested solvers for posters.

A list page runs a constant number of queries whatever its size: one for the tasks, one each for
their posters, organisations and verification badges (see `ListingPage`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal, or_
from sqlalchemy.orm import selectinload

from ..core.catalogue import CATEGORIES, CITIES
from ..core.errors import ValidationFailed
from ..extensions import db
from ..organisations.models import Organisation
from ..organisations.service import orgs_managed_by
from ..verification.service import verified_org_ids, verified_user_ids
from .models import MODES, STATUSES, Task, TaskInvite, TaskTerm
from .terms import query_terms

SORTS = ("newest", "deadline", "amount")
FAR_FUTURE = dt.datetime(9999, 12, 31)
EPOCH = dt.datetime(1970, 1, 1)


@dataclass
class TaskFilters:
    q: str | None = None
    mode: str | None = None
    category: str | None = None
    city: str | None = None
    status: str | None = "open"  # "all": every status you may see
    min_amount: int | None = None
    max_amount: int | None = None
    sort: str = "newest"
    mine: bool = False  # only tasks the viewer posts (drafts included)

    def check(self) -> TaskFilters:
        errors = {}
        if self.mode and self.mode not in MODES:
            errors["mode"] = [_l("Choose tender, claim or bounty.")]
        if self.category and self.category not in CATEGORIES:
            errors["category"] = [_l("Unknown category.")]
        if self.city and self.city not in CITIES:
            errors["city"] = [_l("Unknown city.")]
        if self.status and self.status != "all" and self.status not in STATUSES:
            errors["status"] = [_l("Unknown status.")]
        if self.sort not in SORTS:
            errors["sort"] = [_l("Sort by newest, deadline or amount.")]
        for name in ("min_amount", "max_amount"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                errors[name] = [_l("Enter an amount of zero or more.")]
        if (not errors and self.min_amount is not None and self.max_amount is not None
                and self.min_amount > self.max_amount):
            errors["min_amount"] = [_l("The minimum must not be above the maximum.")]
        if errors:
            raise ValidationFailed(errors=errors)
        return self


def _managed_org_ids(user) -> list[int]:
    return [org.id for org in orgs_managed_by(user)]


def visible_to(query, viewer):
    """Restrict a Task query to what `viewer` may see in lists (no drafts, hidden tasks only for
    operators, invite-only tasks for the poster's side and invitees)."""
    query = query.where(Task.status != "draft")
    if viewer is not None and getattr(viewer, "is_authenticated", False) and viewer.is_operator:
        return query
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return query.where(Task.hidden_at.is_(None), Task.visibility == "public")
    own = [Task.poster_id == viewer.id]
    org_ids = _managed_org_ids(viewer)
    if org_ids:
        own.append(Task.org_id.in_(org_ids))
    invited = Task.id.in_(db.select(TaskInvite.task_id).where(TaskInvite.solver_id == viewer.id))
    return query.where(or_(*own, and_(Task.hidden_at.is_(None),
                                      or_(Task.visibility == "public", invited, Task.claimant_id == viewer.id))))


def _sort_key(sort: str):
    """(expression, descending) for the chosen sort; ties are broken by id in the same direction."""
    if sort == "deadline":
        return func.coalesce(Task.listed_deadline, literal(FAR_FUTURE)), False
    if sort == "amount":
        return func.coalesce(Task.listed_amount, 0), True
    return func.coalesce(Task.published_at, Task.created_at, literal(EPOCH)), True


def _encode(sort: str, value):
    if isinstance(value, dt.datetime):
        return {"s": sort, "t": value.isoformat(), "id": None}
    return {"s": sort, "v": value, "id": None}


def _cursor_value(cursor: dict, sort: str):
    if cursor.get("s") != sort:
        raise ValidationFailed(errors={"cursor": [_l("The cursor does not belong to this sort.")]})
    try:
        if "t" in cursor:
            return dt.datetime.fromisoformat(cursor["t"]), int(cursor["id"])
        return int(cursor["v"]), int(cursor["id"])
    except (TypeError, ValueError, KeyError):
        raise ValidationFailed(errors={"cursor": [_l("The cursor is not valid.")]}) from None


def _row_value(task: Task, sort: str):
    if sort == "deadline":
        return task.listed_deadline or FAR_FUTURE
    if sort == "amount":
        return task.listed_amount or 0
    return task.published_at or task.created_at or EPOCH


def search_tasks(viewer, filters: TaskFilters, *, limit: int = 20, cursor: dict | None = None):
    """One page of tasks the viewer may see: (tasks, next_cursor). Posters are eager-loaded."""
    filters.check()
    query = db.select(Task).options(selectinload(Task.poster))
    if filters.mine:
        if viewer is None or not getattr(viewer, "is_authenticated", False):
            return [], None
        own = [Task.poster_id == viewer.id]
        org_ids = _managed_org_ids(viewer)
        if org_ids:
            own.append(Task.org_id.in_(org_ids))
        query = query.where(or_(*own))
    else:
        query = visible_to(query, viewer)
    if filters.status and filters.status != "all":
        query = query.where(Task.status == filters.status)
    if filters.mode:
        query = query.where(Task.mode == filters.mode)
    if filters.category:
        query = query.where(Task.category == filters.category)
    if filters.city:
        places = [Task.city == filters.city, Task.district == filters.city]
        if "-" not in filters.city:  # a prefecture includes its districts
            places += [Task.city.like(filters.city + "-%"), Task.district.like(filters.city + "-%")]
        query = query.where(or_(*places))
    if filters.min_amount is not None:
        query = query.where(Task.listed_amount >= filters.min_amount)
    if filters.max_amount is not None:
        # A tender's budget range overlaps the wanted range when its minimum is within it.
        query = query.where(func.coalesce(Task.budget_min, Task.listed_amount) <= filters.max_amount)
    terms = query_terms(filters.q)
    if terms:
        matching = (db.select(TaskTerm.task_id).where(TaskTerm.term.in_(sorted(terms)))
                    .group_by(TaskTerm.task_id)
                    .having(func.count(TaskTerm.term) == len(terms)))
        query = query.where(Task.id.in_(matching))

    key, descending = _sort_key(filters.sort)
    if cursor:
        value, last_id = _cursor_value(cursor, filters.sort)
        if descending:
            query = query.where(or_(key < value, and_(key == value, Task.id < last_id)))
        else:
            query = query.where(or_(key > value, and_(key == value, Task.id > last_id)))
    order = (key.desc(), Task.id.desc()) if descending else (key.asc(), Task.id.asc())
    rows = list(db.session.scalars(query.order_by(*order).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode(filters.sort, _row_value(last, filters.sort))
        next_cursor["id"] = last.id
    return rows, next_cursor


@dataclass
class ListingPage:
    """What a list of tasks shows besides the tasks: organisation names and verification badges,
    each loaded with one query for the whole page."""
    tasks: list
    org_names: dict = field(default_factory=dict)
    verified_users: set = field(default_factory=set)
    verified_orgs: set = field(default_factory=set)


def listing_page(tasks: list) -> ListingPage:
    poster_ids = {t.poster_id for t in tasks}
    org_ids = {t.org_id for t in tasks if t.org_id is not None}
    org_names = {}
    if org_ids:
        org_names = dict(db.session.execute(
            db.select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))).all())
    return ListingPage(tasks=tasks, org_names=org_names, verified_users=verified_user_ids(poster_ids),
                       verified_orgs=verified_org_ids(org_ids))
