"""Finding tasks: the filtered, sorted, keyset-paginated list behind /tasks and GET /api/v1/tasks,
recommendations for solvers and suggested solvers for posters.

A list page runs a constant number of queries whatever its size: one for the tasks, one for their
posters' and organisations' names and verification badges (see listing.py).

Keyword search plans per query (`plan_for`), from the term counts the project keeps
(`SearchTermCount`, refreshed by `flask tasks search-stats`):

- no keyword: walk the index of the chosen sort (open tasks, every status or one status; see
  `sort_index`) and stop after one page;
- a query whose rarest term is in few tasks ("term" plan): the term index (GIN on PostgreSQL,
  FTS5 on SQLite) gives every match, which are few, then they are sorted;
- a query of common terms ("walk" plan): walk the sort index, testing each task's terms, reading
  at most SEARCH_WALK_ROWS tasks; when that finds less than a page (terms that seldom or never
  occur together), the term plan answers, and it is cheap exactly then.
Both plans give the same rows; only their cost differs.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, cast, column, func, literal, literal_column, or_, table, text, tuple_
from sqlalchemy.dialects.postgresql import TSQUERY

from ..core.catalogue import CATEGORIES, CITIES
from ..core.db import sql_constant
from ..core.errors import ValidationFailed
from ..extensions import db
from ..organisations.service import orgs_managed_by
from .models import FAR_FUTURE, MODES, STATUSES, SearchTermCount, Task, TaskInvite
from .terms import query_groups, query_terms

SORTS = ("newest", "deadline", "amount")
EPOCH = dt.datetime(1970, 1, 1)
# A query whose rarest term is in at most this many tasks takes the term plan. At 1M tasks a term in
# ~4,500 of them took 60 ms by the walk and 21–34 ms by the term index (bench/search.py).
TERM_PLAN_MAX_TASKS = 5000
# How many tasks a walk of a sort index reads at most before the term plan takes over.
WALK_ROWS = 10000

_task_fts = table("task_fts", column("rowid"), column("task_fts"))


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
    query = query.where(Task.status != sql_constant("draft"))
    if viewer is not None and getattr(viewer, "is_authenticated", False) and viewer.is_operator:
        return query
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return query.where(Task.hidden_at.is_(None), Task.visibility == sql_constant("public"))
    own = [Task.poster_id == viewer.id]
    org_ids = _managed_org_ids(viewer)
    if org_ids:
        own.append(Task.org_id.in_(org_ids))
    invited = Task.id.in_(db.select(TaskInvite.task_id).where(TaskInvite.solver_id == viewer.id))
    return query.where(or_(*own, and_(Task.hidden_at.is_(None),
                                      or_(Task.visibility == "public", invited, Task.claimant_id == viewer.id))))


def _sort_key(sort: str):
    """(column, descending) for the chosen sort; ties are broken by id in the same direction.
    Each has an index over open tasks, every status and per status (see `sort_index`)."""
    if sort == "deadline":
        return Task.sort_deadline, False
    if sort == "amount":
        return Task.sort_amount, True
    return Task.listed_at, True


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
        return task.sort_deadline or task.listed_deadline or FAR_FUTURE
    if sort == "amount":
        return task.sort_amount if task.sort_amount is not None else (task.listed_amount or 0)
    return task.listed_at or task.published_at or task.created_at or EPOCH


# --- keyword plans ------------------------------------------------------------------------------

def _quoted(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def term_match(terms, id_column=None, terms_column=None):
    """The condition "the task has every one of these terms", answered by the term index
    (on PostgreSQL by the tsvector itself when `terms_column` is a walked row's)."""
    ordered = sorted(terms)
    if db.session.get_bind().dialect.name == "postgresql":
        query = " & ".join(_quoted(t) for t in ordered)
        column_ = Task.search_terms if terms_column is None else terms_column
        return column_.op("@@")(cast(bindparam("term_query", query), TSQUERY))
    if terms_column is not None:
        # A walked row on SQLite: test its stored terms (space-separated) directly.
        padded = literal(" ") + terms_column + literal(" ")
        return and_(*[func.instr(padded, f" {t} ") > 0 for t in ordered])
    column_ = Task.id if id_column is None else id_column
    return column_.in_(db.select(_task_fts.c.rowid).where(
        literal_column("task_fts").op("MATCH")(bindparam("term_query", _fts_query(ordered)))))


def term_counts(terms) -> tuple[dict[str, int], int]:
    """({term: tasks having it}, tasks) from the kept counts; unknown terms count 0."""
    rows = dict(db.session.execute(
        db.select(SearchTermCount.term, SearchTermCount.tasks)
        .where(SearchTermCount.term.in_(sorted(terms) + [""]))).all())
    total = rows.pop("", 0)
    return {t: rows.get(t, 0) for t in terms}, total


def plan_for(terms, filters: TaskFilters, limit: int = 20) -> str:
    """"none" (no keyword), "term" (the term index first) or "walk" (the sort index first).

    Matches are estimated from the kept counts: within one word (a CJK run) as many as its rarest
    bigram has, across words as if independent. The term plan reads each match's row (random
    reads); a walk reads about page × tasks / matches rows in sort order (mostly neighbours, so
    cheaper per row). A walk is planned when it is the cheaper one and within SEARCH_WALK_ROWS;
    when the terms go together less than estimated, the walk finds too few and the term plan
    answers."""
    if not terms:
        return "none"
    if filters.status != "open":
        return "term"  # the sort indexes cover open tasks only
    counts, total = term_counts(terms)
    rarest = min(counts.values())
    if rarest <= current_app.config.get("SEARCH_TERM_PLAN_MAX_TASKS", TERM_PLAN_MAX_TASKS):
        return "term"
    total = max(total, rarest)
    matches = float(total)
    for group in query_groups(filters.q) or [set(terms)]:
        matches *= min(counts.get(t, 0) for t in group) / total
    walk_rows = (limit + 1) * total / max(matches, 1.0)
    if walk_rows > current_app.config.get("SEARCH_WALK_ROWS", WALK_ROWS) or walk_rows > 2 * matches:
        return "term"
    return "walk"


def search_tasks(viewer, filters: TaskFilters, *, limit: int = 20, cursor: dict | None = None,
                 options=()):
    """One page of tasks the viewer may see: (tasks, next_cursor). Posters are not loaded: a list
    names them through listing.listing_page, which finds them on the tasks when loaded with
    options=listing.page_options(...) (in the same query)."""
    filters.check()
    query = db.select(Task)
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
        # In the SQL text, not a parameter: the partial indexes (WHERE status = 'open') are
        # usable only when the query's condition is the same text when it is planned.
        query = query.where(Task.status == literal(filters.status, literal_execute=True))
    if filters.mode:
        query = query.where(Task.mode == filters.mode)
    if filters.category:
        query = query.where(Task.category == filters.category)
    if filters.city:
        # A prefecture includes its districts; one index per sort walks a prefecture's tasks.
        query = query.where(Task.listed_prefecture == filters.city.split("-", 1)[0])
        if "-" in filters.city:
            query = query.where(or_(Task.city == filters.city, Task.district == filters.city))
    if filters.min_amount is not None:
        query = query.where(Task.listed_amount >= filters.min_amount)
        if filters.sort == "amount":
            # Implied by the line above (sort_amount is listed_amount, 0 when none): it bounds
            # the walk of the amount index, which otherwise reads to its end when few match.
            query = query.where(Task.sort_amount >= filters.min_amount)
    if filters.max_amount is not None:
        # A tender's budget range overlaps the wanted range when its minimum is within it.
        query = query.where(func.coalesce(Task.budget_min, Task.listed_amount) <= filters.max_amount)
    key, descending = _sort_key(filters.sort)
    if cursor:
        value, last_id = _cursor_value(cursor, filters.sort)
        # (key, id) after the cursor's, as one row-value comparison: both databases seek the
        # sort index to it, where the spelled-out OR made SQLite walk the index from its start.
        after = tuple_(key, Task.id) < tuple_(value, last_id) if descending else (
            tuple_(key, Task.id) > tuple_(value, last_id))
        query = query.where(after)
    order = (key.desc(), Task.id.desc()) if descending else (key.asc(), Task.id.asc())
    # The page size in the SQL text too: with LIMIT as a parameter PostgreSQL plans the prepared
    # statement anew at every execution (its generic plan, for an unknown limit, costs more).
    page_rows = literal(limit + 1, literal_execute=True)
    terms = query_terms(filters.q)
    plan = plan_for(terms, filters, limit)
    rows = None
    index = sort_index(filters)
    in_sort_order = query.with_hint(Task, f"INDEXED BY {index}", "sqlite") if index else query
    if plan == "walk":
        # The walk (in sort order, at most SEARCH_WALK_ROWS tasks) stops at the first page of
        # hits: the hits keep the walk's order (no sort between them), so only the page is sorted.
        walked = (in_sort_order.with_only_columns(Task.id, Task.search_terms).order_by(*order)
                  .limit(current_app.config.get("SEARCH_WALK_ROWS", WALK_ROWS)).subquery("walked"))
        hits = (db.select(walked.c.id).where(term_match(terms, walked.c.id, walked.c.search_terms))
                .limit(page_rows).subquery("hits"))
        page = db.select(Task).join(hits, hits.c.id == Task.id)
        rows = list(db.session.scalars(page.order_by(*order).options(*options)))
        if len(rows) <= limit:
            rows = None  # the walk read its budget without a full page: the terms are seldom together
    if rows is None and terms:
        statement = _term_plan(query, terms).order_by(*order).limit(page_rows).options(*options)
        postgres = db.session.get_bind().dialect.name == "postgresql"
        if postgres:
            # Read each match's row once (bitmap heap scan of the GIN matches) and sort those,
            # rather than walking a sort index: the planner's estimate for a conjunction of
            # terms cannot tell the two apart.
            db.session.execute(text("SET LOCAL enable_indexscan = off"))
        try:
            rows = list(db.session.scalars(statement))
        finally:
            if postgres:
                db.session.execute(text("SET LOCAL enable_indexscan TO DEFAULT"))
    if rows is None:
        rows = list(db.session.scalars(in_sort_order.order_by(*order).limit(page_rows).options(*options)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode(filters.sort, _row_value(last, filters.sort))
        next_cursor["id"] = last.id
    return rows, next_cursor


def sort_index(filters: TaskFilters) -> str | None:
    """The index a list in this sort walks, in sort order, stopping after one page:

    - open tasks: the partial index of open tasks (`ix_tasks_open_*`, per prefecture with a city);
    - status=all: the partial index of every status but drafts (`ix_tasks_listed_*`, per prefecture
      with a city; the visibility rules all start with "not a draft", hidden and invite-only tasks
      are tested per row);
    - one other status: the index of the status, then the sort (`ix_tasks_status_*`; a city is
      tested per row).

    On SQLite the plan names it with INDEXED BY: with or without `ANALYZE` statistics its planner
    prefers an index on status (a search of every open task, then a sort) to walking an index in
    sort order. PostgreSQL chooses it by its statistics. None for the poster's own list (mine=1)
    beyond open tasks: its drafts are in no partial index, and the poster's index reads fewer rows."""
    if filters.status == "open":
        return f"ix_tasks_open_{'place_' if filters.city else ''}{filters.sort}"
    if filters.mine:
        return None
    if not filters.status or filters.status == "all":
        return f"ix_tasks_listed_{'place_' if filters.city else ''}{filters.sort}"
    return f"ix_tasks_status_{filters.sort}"


def _term_plan(query, terms):
    """`query` restricted to the tasks having every term, the term index read first."""
    if db.session.get_bind().dialect.name == "postgresql":
        return query.where(term_match(terms))
    matching = (db.select(_task_fts.c.rowid.label("id"))
                .where(literal_column("task_fts").op("MATCH")(bindparam("term_query", _fts_query(terms))))
                .subquery("matching"))
    # NOT INDEXED: tasks are read by rowid from the matches only, never walked in sort order
    # probing the term index for each (SQLite's choice when statistics say the matches are many).
    return query.join(matching, matching.c.id == Task.id).with_hint(Task, "NOT INDEXED", "sqlite")


def _fts_query(terms) -> str:
    return " ".join('"' + t.replace('"', '""') + '"' for t in sorted(terms))
