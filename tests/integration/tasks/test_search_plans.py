"""Keyword search through the term index (GIN on PostgreSQL, FTS5 on SQLite), the plan chosen
from the kept term counts, and the same rows whichever plan answers."""
import datetime as dt

import pytest

from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.tasks import search
from marketplace.tasks.models import SearchTermCount, Task
from marketplace.tasks.search import TaskFilters, plan_for, search_tasks
from marketplace.tasks.search_stats import refresh
from marketplace.tasks.terms import query_terms
from tests.factories import make_user
from tests.factories_tasks import make_task

COMMON = "研发"       # in every research task below
RARE = "钙钛矿"        # in one task only


@pytest.fixture
def corpus(app):
    """30 research tasks (研发 everywhere, 光纤传感 in a third), 10 home-care tasks (家政), one
    task about perovskite; published one minute apart, newest last."""
    poster = make_user()
    start = utcnow() - dt.timedelta(days=1)
    tasks = []
    for i in range(30):
        topic = "光纤传感器" if i % 3 == 0 else "激光雷达"
        tasks.append(make_task(poster=poster, title=f"{topic}研发 {i}", description="样机研发与测试，FPGA 实现",
                               category="rd_challenge", city="yichang" if i % 2 else "wuhan",
                               published_at=start + dt.timedelta(minutes=i)))
    for i in range(10):
        tasks.append(make_task(poster=poster, title=f"家政保洁 {i}", description="每周三次",
                               category="home_care", published_at=start + dt.timedelta(minutes=40 + i)))
    tasks.append(make_task(poster=poster, title="钙钛矿电池稳定性", description="材料",
                           category="rd_challenge", published_at=start + dt.timedelta(minutes=60)))
    refresh()
    db.session.commit()
    return tasks


def _search(limit=50, cursor=None, **kwargs):
    return search_tasks(None, TaskFilters(**kwargs), limit=limit, cursor=cursor)


def _titles(rows):
    return [t.title for t in rows]


def test_terms_are_stored_on_the_task_and_follow_edits(corpus):
    task = corpus[0]
    stored = db.session.get(Task, task.id).search_terms
    assert "研发" in stored and "光纤" in stored and "fpga" in stored
    assert [t.id for t in _search(q="fpga")[0]] == [t.id for t in reversed(corpus[:30])]


def test_counts_are_kept_per_term(corpus):
    counts = dict(db.session.execute(db.select(SearchTermCount.term, SearchTermCount.tasks)).all())
    assert counts[""] == 41
    assert counts["研发"] == 30
    assert counts["光纤"] == 10
    assert counts["钙钛"] == 1
    assert "芯片" not in counts


def test_plan_walks_for_common_terms_and_reads_the_term_index_for_rare(corpus, app, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_TERM_PLAN_MAX_TASKS", 5)
    # 研发 is in 30 of 41 tasks: a page of 2 is found after ~4 tasks of the walk.
    assert plan_for(query_terms(COMMON), TaskFilters(q=COMMON, status="open"), limit=2) == "walk"
    assert plan_for(query_terms(RARE), TaskFilters(q=RARE, status="open"), limit=2) == "term"
    # Two words in 10 tasks each, estimated to meet in ~2: reading those beats walking ~50 tasks.
    assert plan_for(query_terms("光纤传感 家政"), TaskFilters(q="光纤传感 家政", status="open"), limit=2) == "term"
    assert plan_for(query_terms("从未出现"), TaskFilters(q="从未出现", status="open")) == "term"  # unknown terms count as rare
    assert plan_for(set(), TaskFilters(status="open")) == "none"
    assert plan_for(query_terms(COMMON), TaskFilters(q=COMMON, status="all"), limit=2) == "term"
    monkeypatch.setitem(app.config, "SEARCH_WALK_ROWS", 3)  # a walk is never planned past its budget
    assert plan_for(query_terms(COMMON), TaskFilters(q=COMMON, status="open"), limit=2) == "term"


QUERIES = [
    dict(q=COMMON), dict(q=RARE), dict(q="光纤传感"), dict(q="fpga"), dict(q=COMMON, city="yichang"),
    dict(q="家政 研发"), dict(q="家政 光纤"), dict(q=COMMON, sort="deadline"), dict(q=COMMON, sort="amount"),
    dict(q="研"), dict(q=COMMON, mode="bounty"),
]


@pytest.mark.parametrize("query", QUERIES, ids=[str(q) for q in QUERIES])
def test_both_plans_give_the_same_rows_in_the_same_order(corpus, app, monkeypatch, query):
    monkeypatch.setitem(app.config, "SEARCH_TERM_PLAN_MAX_TASKS", 10**9)  # always the term plan
    by_terms = _titles(_search(limit=7, **query)[0])
    monkeypatch.setitem(app.config, "SEARCH_TERM_PLAN_MAX_TASKS", 0)  # always walk first
    monkeypatch.setitem(app.config, "SEARCH_WALK_ROWS", 12)
    walked = _titles(_search(limit=7, **query)[0])
    assert walked == by_terms


def test_common_term_newest_first_and_pages_through_the_walk(corpus, app, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_TERM_PLAN_MAX_TASKS", 0)
    monkeypatch.setitem(app.config, "SEARCH_WALK_ROWS", 15)
    seen, cursor = [], None
    while True:
        rows, cursor = _search(limit=4, cursor=cursor, q=COMMON)
        seen += _titles(rows)
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 30
    assert seen == [t.title for t in reversed(corpus[:30])]


def test_phrase_rare_term_and_terms_that_never_meet(corpus):
    phrase = _titles(_search(q="光纤传感")[0])
    assert len(phrase) == 10 and all("光纤传感" in t for t in phrase)
    assert _titles(_search(q=RARE)[0]) == ["钙钛矿电池稳定性"]
    assert _search(q="家政 光纤")[0] == []
    assert _search(q="芯片")[0] == []


def test_walk_that_finds_too_few_falls_back_to_the_term_index(corpus, app, monkeypatch):
    """家政 is common but its tasks are older than 30 research tasks: a walk of 5 finds none."""
    monkeypatch.setitem(app.config, "SEARCH_TERM_PLAN_MAX_TASKS", 0)
    monkeypatch.setitem(app.config, "SEARCH_WALK_ROWS", 5)
    assert _search(q="保洁 研发")[0] == []
    home = _titles(_search(q="家政")[0])
    assert len(home) == 10 and home[0] == "家政保洁 9"


def test_hidden_tasks_and_other_statuses_stay_out_of_keyword_search(corpus, app, monkeypatch):
    hidden = corpus[-1]
    hidden.hidden_at = utcnow()
    db.session.commit()
    assert _search(q=RARE)[0] == []
    closed = corpus[0]
    closed.status = "completed"
    db.session.commit()
    for limit in (0, 10**9):
        monkeypatch.setitem(app.config, "SEARCH_TERM_PLAN_MAX_TASKS", limit)
        assert closed.id not in [t.id for t in _search(q="光纤传感")[0]]
        assert closed.id in [t.id for t in _search(q="光纤传感", status="all")[0]]


def test_deleting_a_task_removes_it_from_the_term_index(corpus):
    task = corpus[-1]
    db.session.delete(task)
    db.session.commit()
    assert _search(q=RARE)[0] == []
    # The counts lag until the next refresh, which only costs a plan choice.
    assert search.term_counts(query_terms(RARE))[0] == {"钙钛": 1, "钛矿": 1}
    refresh()
    assert search.term_counts(query_terms(RARE)) == ({"钙钛": 0, "钛矿": 0}, 40)


# --- SQLite: the plan is named, not left to statistics ----------------------------------------

# Statistics like those of 100k tasks, under which SQLite's planner prefers an index on status
# (every open task, then a sort) to walking a partial index in sort order.
_MISLEADING_STATS = [
    ("ix_tasks_status_mode", "100000 14286 7693"), ("ix_tasks_status_listed_deadline", "100000 14286 2"),
    ("ix_tasks_status_listed_amount", "100000 14286 5"), ("ix_tasks_open_newest", "47710 1 1"),
    ("ix_tasks_open_deadline", "47710 823 1"), ("ix_tasks_open_amount", "47710 9 1"),
    ("ix_tasks_open_place_newest", "47710 2651 1 1"), ("ix_tasks_open_place_deadline", "47710 2651 46 1"),
    ("ix_tasks_open_place_amount", "47710 2651 2 1"),
]


@pytest.fixture(params=["no statistics", "misleading statistics"])
def sqlite_stats(request, sqlite_only, corpus):
    """SQLite's INDEXED BY plans, under statistics that would mislead its planner (PostgreSQL plans
    by its own statistics and settings)."""
    if request.param == "misleading statistics":
        conn = db.session.connection()
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'tasks'")
        for index, stat in _MISLEADING_STATS:
            conn.exec_driver_sql("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('tasks', ?, ?)", (index, stat))
        conn.exec_driver_sql("ANALYZE sqlite_schema")  # reload the statistics
        db.session.commit()
    yield request.param
    db.session.rollback()
    conn = db.session.connection()
    if conn.exec_driver_sql("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'").first():
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
        conn.exec_driver_sql("ANALYZE sqlite_schema")
    db.session.commit()


def _plans(**kwargs):
    """The SQLite query plan (EXPLAIN QUERY PLAN details) of each statement a search runs."""
    from sqlalchemy import event
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT") and "FROM tasks" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        rows, cursor = _search(limit=3, **kwargs)
        _search(limit=3, cursor=cursor, **kwargs)  # and the second page, through the cursor
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    connection = db.session.connection()
    return [[row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p).all()]
            for s, p in statements]


@pytest.mark.parametrize("sort", ["newest", "deadline", "amount"])
@pytest.mark.parametrize("city", [None, "yichang"])
def test_sqlite_lists_walk_the_partial_index_of_their_sort(sqlite_stats, sort, city):
    index = f"ix_tasks_open_{'place_' if city else ''}{sort}"
    for plan in _plans(sort=sort, city=city) + _plans(sort=sort, city=city, mode="tender",
                                                      category="rd_challenge", min_amount=1):
        assert any(index in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan  # no sort: the index is in order


@pytest.mark.parametrize("sort", ["newest", "deadline", "amount"])
def test_sqlite_walk_and_term_plans_read_the_indexes_they_name(sqlite_stats, app, monkeypatch, sort):
    monkeypatch.setitem(app.config, "SEARCH_TERM_PLAN_MAX_TASKS", 0)  # walk
    walk = [step for plan in _plans(q=COMMON, sort=sort) for step in plan]
    assert any(f"ix_tasks_open_{sort}" in step for step in walk), walk
    monkeypatch.setitem(app.config, "SEARCH_TERM_PLAN_MAX_TASKS", 10**9)  # the term index first
    for plan in _plans(q=COMMON, sort=sort):
        assert plan[0].startswith("SCAN task_fts VIRTUAL TABLE"), plan
        assert "SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
