"""Lists of every status (status=all) and of one non-open status: the right tasks in sort order,
paged through the cursor, and plans that walk an index in sort order on both databases."""
import datetime as dt

import pytest
from sqlalchemy import event

from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.tasks.models import Task, TaskInvite
from marketplace.tasks.search import TaskFilters, search_tasks, sort_index
from tests.factories import make_operator, make_user
from tests.factories_tasks import make_task

STATUSES = ("open", "completed", "expired", "completed", "cancelled", "in_progress")
SORTS = ("newest", "deadline", "amount")


@pytest.fixture
def lists(app):
    """24 public tenders of several statuses in two cities (amounts repeat, so ties go by id), and
    tasks kept out of anonymous lists: a draft, a hidden task, an invite-only task."""
    poster = make_user()
    start = utcnow() - dt.timedelta(days=2)
    public = []
    for i in range(24):
        public.append(make_task(
            poster=poster, title=f"T{i}", status=STATUSES[i % len(STATUSES)],
            city="yichang" if i % 3 == 0 else "wuhan-hongshan", category="rd_challenge" if i % 2 else "software",
            budget_min=10_000, budget_max=(i % 5 + 1) * 100_000, published_at=start + dt.timedelta(minutes=i),
            bid_deadline=start + dt.timedelta(days=30 - (i * 7) % 24)))
    draft = make_task(poster=poster, title="draft", status="draft")
    hidden = make_task(poster=poster, title="hidden", status="completed", hidden_at=utcnow(),
                       published_at=start + dt.timedelta(hours=3))
    invite = make_task(poster=poster, title="invite", status="completed", visibility="invite",
                       published_at=start + dt.timedelta(hours=4))
    return dict(poster=poster, public=public, draft=draft, hidden=hidden, invite=invite)


def _expected(tasks, sort, status=None, city=None, category=None):
    rows = [t for t in tasks if (status is None or t.status == status)
            and (city is None or t.listed_prefecture == city) and (category is None or t.category == category)]
    if sort == "newest":
        return [t.title for t in sorted(rows, key=lambda t: (t.listed_at, t.id), reverse=True)]
    if sort == "amount":
        return [t.title for t in sorted(rows, key=lambda t: (t.sort_amount, t.id), reverse=True)]
    return [t.title for t in sorted(rows, key=lambda t: (t.sort_deadline, t.id))]


def _all_pages(viewer=None, limit=4, **kwargs):
    titles, cursor, pages = [], None, 0
    while True:
        rows, cursor = search_tasks(viewer, TaskFilters(**kwargs), limit=limit, cursor=cursor)
        titles += [t.title for t in rows]
        pages += 1
        if cursor is None:
            return titles, pages


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("status", ["all", "completed", "expired"])
def test_every_status_and_one_status_in_sort_order_across_pages(lists, sort, status):
    tasks = [db.session.get(Task, t.id) for t in lists["public"]]
    wanted = _expected(tasks, sort, status=None if status == "all" else status)
    titles, pages = _all_pages(status=status, sort=sort, limit=3)
    assert titles == wanted
    assert pages == -(-len(wanted) // 3)  # pages of 3, the last one without a cursor
    if status == "all":
        assert len(titles) == 24 and {"draft", "hidden", "invite"}.isdisjoint(titles)
    else:
        assert len(titles) == {"completed": 8, "expired": 4}[status]


@pytest.mark.parametrize("sort", SORTS)
def test_every_status_with_city_and_category_filters(lists, sort):
    tasks = [db.session.get(Task, t.id) for t in lists["public"]]
    titles, _pages = _all_pages(status="all", sort=sort, city="yichang", category="software", limit=2)
    assert titles == _expected(tasks, sort, city="yichang", category="software")
    assert len(titles) == 4
    titles, _pages = _all_pages(status="completed", sort=sort, city="wuhan", limit=2)
    assert titles == _expected(tasks, sort, status="completed", city="wuhan")
    assert len(titles) == 4


def test_every_status_follows_each_viewers_visibility(lists):
    invitee = make_user()
    db.session.add(TaskInvite(task_id=lists["invite"].id, solver_id=invitee.id))
    db.session.commit()
    anonymous, _ = _all_pages(status="all")
    assert "invite" in _all_pages(invitee, status="all")[0]
    assert "invite" not in anonymous and "invite" in _all_pages(invitee, status="completed")[0]
    operator, _ = _all_pages(make_operator(), status="all")
    assert "hidden" in operator and "draft" not in operator
    poster, _ = _all_pages(lists["poster"], status="all")
    assert {"hidden", "invite"} <= set(poster) and "draft" not in poster
    mine, _ = _all_pages(lists["poster"], status="all", mine=True)
    assert len(mine) == 27 and "draft" in mine  # the poster's own list has their drafts


def test_the_index_each_list_walks():
    assert sort_index(TaskFilters(status="open", sort="amount")) == "ix_tasks_open_amount"
    assert sort_index(TaskFilters(status="open", city="wuhan")) == "ix_tasks_open_place_newest"
    assert sort_index(TaskFilters(status="all", sort="deadline")) == "ix_tasks_listed_deadline"
    assert sort_index(TaskFilters(status="all", city="wuhan-hongshan")) == "ix_tasks_listed_place_newest"
    assert sort_index(TaskFilters(status="completed", city="wuhan")) == "ix_tasks_status_newest"
    assert sort_index(TaskFilters(status=None)) == "ix_tasks_listed_newest"
    assert sort_index(TaskFilters(status="expired", sort="amount")) == "ix_tasks_status_amount"
    assert sort_index(TaskFilters(status="all", mine=True)) is None


# --- the plans ----------------------------------------------------------------------------------

def _statements(viewer, **kwargs):
    """The task statements (SQL, parameters) a search runs, first page and second."""
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT") and "FROM tasks" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        rows, cursor = search_tasks(viewer, TaskFilters(**kwargs), limit=3)
        search_tasks(viewer, TaskFilters(**kwargs), limit=3, cursor=cursor)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert len(statements) == 2 and cursor is not None
    return statements


def _viewer(lists, who):
    return {"anonymous": None, "member": lists["poster"], "operator": make_operator()}[who]


PLAN_CASES = [dict(), dict(city="yichang"), dict(mode="tender", category="rd_challenge", min_amount=1),
              dict(city="wuhan-hongshan", max_amount=10**9)]


def _index(status, sort, case):
    if status != "all":
        return f"ix_tasks_status_{sort}"
    return f"ix_tasks_listed_{'place_' if case.get('city') else ''}{sort}"


@pytest.fixture(params=["no statistics", "fresh statistics"])
def sqlite_stats(request, sqlite_only, lists):
    if request.param == "fresh statistics":
        db.session.connection().exec_driver_sql("ANALYZE")
        db.session.commit()
    yield request.param
    db.session.rollback()
    conn = db.session.connection()
    if conn.exec_driver_sql("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'").first():
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
        conn.exec_driver_sql("ANALYZE sqlite_schema")
    db.session.commit()


@pytest.mark.parametrize("who", ["anonymous", "member", "operator"])
@pytest.mark.parametrize("status", ["all", "completed"])
@pytest.mark.parametrize("sort", SORTS)
def test_sqlite_walks_the_index_of_the_sort_without_sorting(sqlite_stats, lists, who, status, sort):
    viewer = _viewer(lists, who)
    for case in PLAN_CASES:
        index = _index(status, sort, case)
        statements = _statements(viewer, status=status, sort=sort, **case)
        conn = db.session.connection()
        for statement, parameters in statements:
            plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            assert any(f"SCAN tasks USING INDEX {index}" in step or f"SEARCH tasks USING INDEX {index}" in step
                       for step in plan), plan
            assert not any("TEMP B-TREE" in step for step in plan), plan  # no sort: the index is in order


@pytest.mark.parametrize("who", ["anonymous", "member", "operator"])
@pytest.mark.parametrize("status", ["all", "completed"])
@pytest.mark.parametrize("sort", SORTS)
def test_postgres_walks_the_index_of_the_sort_without_sorting(postgres_only, lists, who, status, sort):
    """With sequential scans and sorts priced out (a few test rows would otherwise be read whole),
    the planner finds the index that gives the rows in sort order: it exists, and the statement's
    conditions imply its predicate. One status in a city may walk either the status's index or
    the prefecture's (both in sort order; the planner weighs which reads fewer rows)."""
    viewer = _viewer(lists, who)
    for case in PLAN_CASES:
        indexes = {_index(status, sort, case)}
        if case.get("city"):
            indexes.add(_index("all", sort, case))
        statements = _statements(viewer, status=status, sort=sort, **case)
        conn = db.session.connection()
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        conn.exec_driver_sql("SET LOCAL enable_sort = off")
        conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        for statement, parameters in statements:
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
            assert any(f"{scan} using {index} on tasks" in plan for index in indexes
                       for scan in ("Index Scan", "Index Scan Backward")), plan
            assert " Sort " not in plan and "Sort Key" not in plan, plan
        db.session.rollback()
