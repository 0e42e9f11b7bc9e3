"""Finding tasks: Chinese keywords, filters, sorts, pagination, a constant number of queries."""
import datetime as dt

import pytest
from sqlalchemy import event

from marketplace.core import page_cache
from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.tasks.search import TaskFilters, search_tasks
from marketplace.tasks.service import update_task
from tests.factories import api_headers, make_user
from tests.factories_orgs import make_org
from tests.factories_tasks import approve_identity, make_task


def _ids(tasks):
    return [t.id for t in tasks]


def _search(**kwargs):
    limit = kwargs.pop("limit", 50)
    tasks, _cursor = search_tasks(None, TaskFilters(**kwargs), limit=limit)
    return tasks


def test_chinese_bigram_finds_the_longer_title():
    fibre = make_task(title="光纤传感器研发")
    make_task(title="纤维材料检测")  # has 纤 but not 光纤
    make_task(title="Translation package")
    assert _ids(_search(q="光纤")) == [fibre.id]
    assert _ids(_search(q="传感器")) == [fibre.id]
    assert _ids(_search(q="光纤 研发")) == [fibre.id]
    assert _search(q="光纤材料") == []


def test_single_character_and_latin_words():
    fibre = make_task(title="光纤传感器研发", description="FPGA signal processing")
    translation = make_task(title="English→Chinese translation package")
    assert _ids(_search(q="研")) == [fibre.id]
    assert _ids(_search(q="fpga")) == [fibre.id]
    assert _ids(_search(q="ＦＰＧＡ")) == [fibre.id]  # full-width input
    assert _ids(_search(q="Translation")) == [translation.id]


def test_search_covers_description_and_skills_and_follows_edits():
    poster = make_user()
    task = make_task(poster=poster, status="draft", title="Old", description="", skills=["激光"])
    assert _ids(search_tasks(poster, TaskFilters(q="激光", mine=True, status="all"))[0]) == [task.id]
    update_task(poster, task, title="Old", description="需要微电影剪辑", skills=[])
    db.session.commit()
    assert search_tasks(poster, TaskFilters(q="激光", mine=True, status="all"))[0] == []
    assert _ids(search_tasks(poster, TaskFilters(q="剪辑", mine=True, status="all"))[0]) == [task.id]


def test_filters_mode_category_city_status_amount():
    tender = make_task(title="A", category="software", city="wuhan-donghu", budget_min=100_000, budget_max=300_000)
    claim = make_task(title="B", mode="claim", category="delivery", city="wuhan", district="wuhan-hongshan",
                      price=5_000)
    bounty = make_task(title="C", mode="bounty", category="micro_film", city="yichang", prizes=[200_000])
    closed = make_task(title="D", status="completed", category="software")
    assert _ids(_search(mode="claim")) == [claim.id]
    assert _ids(_search(category="software")) == [tender.id]
    assert _ids(_search(category="software", status="all")) == sorted([tender.id, closed.id], reverse=True)
    assert _ids(_search(city="yichang")) == [bounty.id]
    assert set(_ids(_search(city="wuhan"))) == {tender.id, claim.id}  # the prefecture includes districts
    assert _ids(_search(city="wuhan-hongshan")) == [claim.id]
    assert set(_ids(_search(min_amount=150_000))) == {tender.id, bounty.id}
    assert set(_ids(_search(max_amount=150_000))) == {tender.id, claim.id}  # the tender's range overlaps
    assert _ids(_search(min_amount=250_000, max_amount=400_000)) == [tender.id]


def test_amount_range_is_exact_for_fixed_prices():
    make_task(mode="claim", price=5_000)
    cheap = make_task(mode="claim", price=2_000)
    assert _ids(_search(max_amount=3_000)) == [cheap.id]
    assert _ids(_search(min_amount=2_000, max_amount=2_000)) == [cheap.id]


def test_sorts():
    now = utcnow()
    a = make_task(title="a", budget_min=None, budget_max=50_000, bid_deadline=now + dt.timedelta(days=3),
                  published_at=now - dt.timedelta(days=2))
    b = make_task(title="b", budget_min=None, budget_max=90_000, bid_deadline=now + dt.timedelta(days=1),
                  published_at=now - dt.timedelta(days=1))
    c = make_task(title="c", budget_min=None, budget_max=70_000, bid_deadline=now + dt.timedelta(days=9),
                  published_at=now - dt.timedelta(days=3))
    assert _ids(_search(sort="newest")) == [b.id, a.id, c.id]
    assert _ids(_search(sort="deadline")) == [b.id, a.id, c.id]
    assert _ids(_search(sort="amount")) == [b.id, c.id, a.id]


@pytest.mark.parametrize("sort", ["newest", "deadline", "amount"])
def test_keyset_pages_cover_everything_once(sort):
    now = utcnow()
    made = [make_task(title=f"t{i}", budget_min=None, budget_max=10_000 * (i % 4 + 1),
                      bid_deadline=now + dt.timedelta(days=1 + i % 3)) for i in range(11)]
    seen, cursor = [], None
    while True:
        page, cursor = search_tasks(None, TaskFilters(sort=sort), limit=4, cursor=cursor)
        seen += _ids(page)
        if cursor is None:
            break
    assert sorted(seen) == sorted(t.id for t in made) and len(seen) == len(set(seen))
    assert seen == _ids(_search(sort=sort))


def test_hidden_and_draft_tasks_are_not_listed():
    shown = make_task(title="可见")
    make_task(title="草稿", status="draft")
    make_task(title="已隐藏", hidden_at=utcnow(), hidden_reason="spam")
    assert _ids(_search(status="all")) == [shown.id]


def _count_queries(fn):
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements), result


@pytest.fixture
def sixty_tasks():
    posters = [make_user() for _ in range(6)]
    for p in posters[:3]:
        approve_identity(p)
    orgs = [make_org(posters[i]) for i in range(3)]
    for i in range(60):
        make_task(poster=posters[i % 6], title=f"光纤任务{i}", skills=["光学"],
                  org_id=orgs[i % 3].id if i % 2 == 0 else None)
    db.session.expire_all()


def test_list_api_runs_the_same_number_of_queries_for_5_and_50(client, sixty_tasks):
    viewer = make_user()
    headers = api_headers(viewer)
    client.get("/api/v1/tasks?limit=1", headers=headers)  # the token's first use is recorded once
    counts = {}
    for size in (5, 50):
        db.session.expire_all()
        n, r = _count_queries(lambda size=size: client.get(f"/api/v1/tasks?limit={size}&q=光纤", headers=headers))
        assert r.status_code == 200 and len(r.get_json()["items"]) == size
        assert r.get_json()["items"][0]["poster_verified"] in (True, False)
        counts[size] = n
    assert counts[5] == counts[50]


def test_list_page_runs_the_same_number_of_queries_for_5_and_50(client, sixty_tasks, monkeypatch):
    from marketplace.tasks import routes
    counts = {}
    for size in (5, 50):
        monkeypatch.setattr(routes, "PAGE_SIZE", size)
        page_cache.clear()  # another page size is other code: the page cached before is not its page
        db.session.expire_all()
        n, r = _count_queries(lambda: client.get("/tasks/?q=光纤"))
        assert r.status_code == 200 and r.get_data(as_text=True).count('data-testid="task-card"') == size
        counts[size] = n
    assert counts[5] == counts[50]


def test_api_list_shape_and_cursor(client):
    for i in range(3):
        make_task(title=f"任务{i}")
    r = client.get("/api/v1/tasks?limit=2")
    data = r.get_json()
    assert len(data["items"]) == 2 and data["next_cursor"]
    rest = client.get(f"/api/v1/tasks?limit=2&cursor={data['next_cursor']}").get_json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert client.get(f"/api/v1/tasks?limit=2&sort=amount&cursor={data['next_cursor']}").status_code == 422


def test_api_search_in_chinese(client):
    fibre = make_task(title="光纤传感器研发")
    make_task(title="科普微电影")
    items = client.get("/api/v1/tasks", query_string={"q": "光纤"}).get_json()["items"]
    assert [t["id"] for t in items] == [fibre.id]


def test_api_list_without_filters_is_the_list_with_the_default_filters(client):
    poster = make_user()
    for i in range(3):
        make_task(poster=poster, title=f"默认{i}")
    make_task(poster=poster, title="草稿", status="draft")
    make_task(title="已完成", status="completed")
    plain = client.get("/api/v1/tasks?limit=10").get_json()
    assert plain == client.get("/api/v1/tasks?limit=10&status=open&sort=newest&q=").get_json()
    assert [i["title"] for i in plain["items"]] == ["默认2", "默认1", "默认0"]
    headers = api_headers(poster)
    mine = client.get("/api/v1/tasks?mine=1", headers=headers).get_json()
    assert mine == client.get("/api/v1/tasks?mine=1&status=open", headers=headers).get_json()
    assert len(mine["items"]) == 3
