"""The cache of visitors' pages (core/page_cache.py): a second visitor is answered without the
database, any write visitors can see shows on their very next request, and nothing of a signed-in
user, an API client or a private task is ever kept or served."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event

from marketplace.accounts.models import User
from marketplace.core import page_cache
from marketplace.extensions import db
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_contracts import make_solver
from tests.factories_tasks import make_task


def statements(fn):
    """(the SQL statements fn() sent, its result)."""
    sent = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return sent, result


def visit(app, url, **kwargs):
    """A visitor's GET with a fresh client (no cookies): (statements sent, response)."""
    db.session.expire_all()
    return statements(lambda: app.test_client().get(url, **kwargs))


def hit(app, url, **kwargs):
    sent, r = visit(app, url, **kwargs)
    assert r.status_code == 200 and sent == [], sent
    return r


def miss(app, url, **kwargs):
    sent, r = visit(app, url, **kwargs)
    assert any("tasks" in s for s in sent), sent
    return r


def text(r) -> str:
    if r.is_json:
        return json.dumps(r.get_json(), ensure_ascii=False)
    return r.get_data(as_text=True)


def nonce_of(r) -> str:
    return re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)


@pytest.fixture
def task():
    return make_task(title="缓存的任务", poster=make_user())


def poster_of(task):
    return db.session.get(User, task.poster_id)


URLS = ("/tasks/", "/tasks/{id}", "/api/v1/tasks", "/tasks/?q=缓存&sort=newest")


@pytest.mark.parametrize("url", URLS)
def test_the_second_visitor_is_answered_without_the_database(app, task, url):
    url = url.format(id=task.id)
    first = miss(app, url)
    second = hit(app, url)
    assert "缓存的任务" in text(first)
    def strip(r):
        return re.sub(r'nonce="[^"]+"', "", text(r))

    assert strip(second) == strip(first)
    assert second.mimetype == first.mimetype
    # The hooks ran on the answer from the cache: its own request id and security headers.
    assert second.headers["X-Request-Id"] and second.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert second.headers["X-Content-Type-Options"] == "nosniff"
    assert int(second.headers["Content-Length"]) == len(second.get_data())
    assert "Set-Cookie" not in second.headers


def test_each_answer_carries_its_own_csp_nonce_in_the_body_and_the_header(app, task):
    for url in ("/tasks/", f"/tasks/{task.id}"):
        first = miss(app, url)
        second = hit(app, url)
        assert nonce_of(first) != nonce_of(second)
        for r in (first, second):
            body_nonces = set(re.findall(r'nonce="([^"]+)"', text(r)))
            assert body_nonces == {nonce_of(r)}
        assert "\x00" not in text(second)


def test_publishing_shows_on_the_next_visitor_request(app, client):
    poster = make_user()
    draft = make_task(poster=poster, status="draft", title="草稿将发布")
    assert "草稿将发布" not in text(miss(app, "/tasks/"))
    assert visit(app, f"/tasks/{draft.id}")[1].status_code == 404
    hit(app, "/tasks/")
    login(client, poster)
    assert client.post(f"/tasks/{draft.id}/publish").status_code == 303
    assert "草稿将发布" in text(miss(app, "/tasks/"))
    assert "草稿将发布" in text(miss(app, f"/tasks/{draft.id}"))
    assert draft.id in [t["id"] for t in miss(app, "/api/v1/tasks").get_json()["items"]]


def test_an_edited_title_shows_on_the_next_visitor_request(app, client, task):
    for url in ("/tasks/", f"/tasks/{task.id}", "/api/v1/tasks"):
        miss(app, url)
        hit(app, url)
    r = client.patch(f"/api/v1/tasks/{task.id}", json={"title": "改过的标题"}, headers=api_headers(poster_of(task)))
    assert r.status_code == 200
    for url in ("/tasks/", f"/tasks/{task.id}", "/api/v1/tasks"):
        page = text(miss(app, url))
        assert "改过的标题" in page and "缓存的任务" not in page


def test_a_bid_shows_on_the_next_visitor_request(app, client, task):
    english = {"Accept-Language": "en"}
    assert "0 bid(s) so far." in text(miss(app, f"/tasks/{task.id}", headers=english))
    hit(app, f"/tasks/{task.id}", headers=english)
    r = client.post(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(make_solver()),
                    json={"amount": 150_000, "days": 5, "proposal": "I can do it."})
    assert r.status_code == 201
    assert "1 bid(s) so far." in text(miss(app, f"/tasks/{task.id}", headers=english))


def test_a_task_hidden_by_an_operator_disappears_from_cached_pages(app, client, task):
    assert "缓存的任务" in text(miss(app, "/tasks/"))
    miss(app, f"/tasks/{task.id}")
    hit(app, f"/tasks/{task.id}")
    r = client.post(f"/api/v1/operator/tasks/{task.id}/hide", json={"reason": "违规"},
                    headers=api_headers(make_operator()))
    assert r.status_code == 200
    assert "缓存的任务" not in text(miss(app, "/tasks/"))
    assert visit(app, f"/tasks/{task.id}")[1].status_code == 404
    assert task.id not in [t["id"] for t in visit(app, "/api/v1/tasks")[1].get_json()["items"]]


def test_a_cancelled_task_leaves_the_cached_list(app, client, task):
    assert "缓存的任务" in text(miss(app, "/tasks/"))
    hit(app, "/tasks/")
    login(client, poster_of(task))
    assert client.post(f"/tasks/{task.id}/cancel").status_code == 303
    assert "缓存的任务" not in text(miss(app, "/tasks/"))
    assert "data-testid=\"cancel\"" not in text(miss(app, f"/tasks/{task.id}"))


def _close_by_timer(ref, now):
    from marketplace.jobs.service import parse_subject_ref
    from marketplace.tasks.models import Task

    _name, task_id = parse_subject_ref(ref)
    db.session.get(Task, task_id).title = "定时器改过"


def test_a_timer_committed_by_the_sweeper_shows_on_the_next_visitor_request(app, task):
    from marketplace.core.db import utcnow
    from marketplace.jobs.service import register_handler, run_due, schedule, subject_ref

    register_handler("test.page_cache_rename", _close_by_timer)
    miss(app, f"/tasks/{task.id}")
    hit(app, f"/tasks/{task.id}")
    schedule("test.page_cache_rename", subject_ref("task", task.id), utcnow())
    db.session.commit()
    hit(app, f"/tasks/{task.id}")  # a timer row alone changes no page
    assert run_due() == 1
    assert "定时器改过" in text(miss(app, f"/tasks/{task.id}"))


def test_rows_of_demo_scale_show_on_the_next_visitor_request(app):
    assert "data-testid=\"task-card\"" not in text(miss(app, "/tasks/"))
    hit(app, "/tasks/")
    result = app.test_cli_runner().invoke(args=["demo", "scale", "--tasks", "30", "--batch", "100"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert "data-testid=\"task-card\"" in text(miss(app, "/tasks/"))


def test_invite_only_and_draft_tasks_stay_404_and_are_never_kept(app):
    tasks = [make_task(title="仅受邀者", visibility="invite"),
             make_task(title="草稿", status="draft")]
    for t in tasks:
        for _ in range(2):
            sent, r = visit(app, f"/tasks/{t.id}")
            assert r.status_code == 404 and sent  # answered by the database both times
            assert t.title not in text(r)
            sent, r = visit(app, f"/api/v1/tasks/{t.id}")
            assert r.status_code == 404
    for url in ("/tasks/", "/api/v1/tasks", "/tasks/?status=all"):
        page = text(visit(app, url)[1])
        assert not any(t.title in page for t in tasks)


def test_only_200_answers_are_kept(app, task):
    store = app.extensions["page_cache"].store
    for _ in range(2):
        assert visit(app, "/tasks/?sort=nonsense")[1].status_code == 422
        assert visit(app, "/tasks/999999")[1].status_code == 404
        assert visit(app, "/api/v1/tasks?limit=0")[1].status_code == 422
    assert len(store) == 0


def test_signed_in_users_are_neither_served_nor_kept(app, task):
    poster_client = app.test_client()
    login(poster_client, poster_of(task))
    # The poster first: nothing is kept, the visitor renders its own page without edit buttons.
    sent, mine = statements(lambda: poster_client.get(f"/tasks/{task.id}"))
    assert sent and 'data-testid="poster-actions"' in text(mine)
    visitor = miss(app, f"/tasks/{task.id}")
    assert 'data-testid="poster-actions"' not in text(visitor)
    hit(app, f"/tasks/{task.id}")
    # With the visitor's page in the cache, the poster still gets their own page.
    sent, mine = statements(lambda: poster_client.get(f"/tasks/{task.id}"))
    assert sent and 'data-testid="poster-actions"' in text(mine)
    hit(app, f"/tasks/{task.id}")


def test_api_token_requests_are_neither_served_nor_kept(app, task):
    poster = poster_of(task)
    draft = make_task(poster=poster, status="draft", title="我的草稿")
    headers = api_headers(poster)
    mine = "/api/v1/tasks?mine=1&status=all"
    sent, r = visit(app, mine, headers=headers)
    assert any("tasks" in s for s in sent) and draft.id in [t["id"] for t in r.get_json()["items"]]
    assert draft.id not in [t["id"] for t in visit(app, mine)[1].get_json()["items"]]
    # The list of open tasks: the token's answer was not kept, the visitor's is not served to it.
    sent, r = visit(app, "/api/v1/tasks", headers=headers)
    assert any("tasks" in s for s in sent) and r.status_code == 200
    miss(app, "/api/v1/tasks")
    hit(app, "/api/v1/tasks")
    sent, r = visit(app, "/api/v1/tasks", headers=headers)
    assert any("tasks" in s for s in sent) and r.status_code == 200


def test_a_visitor_with_a_pending_flash_sees_it_and_is_not_served_from_the_cache(app, task):
    miss(app, "/tasks/")
    hit(app, "/tasks/")
    visitor = app.test_client()
    with visitor.session_transaction() as sess:
        sess["_flashes"] = [("success", "Thanks for checking in")]
    sent, r = statements(lambda: visitor.get("/tasks/"))
    assert sent and "Thanks for checking in" in text(r)
    # The flash was shown once; the next page of that visitor is the cached one again, without it.
    sent, r = statements(lambda: visitor.get("/tasks/"))
    assert "Thanks for checking in" not in text(r)


def test_languages_are_kept_apart_by_accept_language_and_the_cookie(app, task):
    zh = miss(app, "/tasks/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    en = miss(app, "/tasks/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="zh-CN">' in text(zh) and '<html lang="en">' in text(en)
    assert '<html lang="zh-CN">' in text(hit(app, "/tasks/", headers={"Accept-Language": "zh-CN"}))
    assert '<html lang="en">' in text(hit(app, "/tasks/", headers={"Accept-Language": "en"}))
    for code, lang in (("zh_CN", "zh-CN"), ("en", "en")):
        client = app.test_client()
        client.set_cookie("lang", code)
        # The cookie wins over Accept-Language: the page of its language, from the cache.
        sent, r = statements(lambda client=client: client.get("/tasks/", headers={"Accept-Language": "de"}))
        assert sent == [] and f'<html lang="{lang}">' in text(r)


def test_an_entry_expires_after_page_cache_seconds(app, task, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(page_cache, "clock", lambda: now[0])
    seconds = app.config["PAGE_CACHE_SECONDS"]
    miss(app, "/tasks/")
    now[0] += seconds * page_cache.REFRESH_AFTER - 1
    hit(app, "/tasks/")
    # Old but not expired: one request renders it anew (under load the others get the kept page).
    now[0] += 2
    miss(app, "/tasks/")
    hit(app, "/tasks/")
    now[0] += seconds  # expired
    miss(app, "/tasks/")
    hit(app, "/tasks/")


def test_the_byte_bound_evicts_the_least_recently_used_page(app, monkeypatch):
    first, second = make_task(title="第一"), make_task(title="第二")
    store = app.extensions["page_cache"].store
    miss(app, f"/tasks/{first.id}")
    one_page = store.size
    monkeypatch.setattr(store, "max_bytes", int(one_page * 1.5))
    hit(app, f"/tasks/{first.id}")
    miss(app, f"/tasks/{second.id}")
    assert len(store) == 1 and store.size <= store.max_bytes
    hit(app, f"/tasks/{second.id}")
    miss(app, f"/tasks/{first.id}")  # was evicted


def test_a_page_larger_than_the_bound_is_not_kept(app, task, monkeypatch):
    store = app.extensions["page_cache"].store
    monkeypatch.setattr(store, "max_bytes", 100)
    miss(app, "/tasks/")
    miss(app, "/tasks/")
    assert len(store) == 0


def test_writes_to_tables_no_visitor_sees_keep_the_pages(app, task):
    from marketplace.notifications.models import Notification

    miss(app, "/tasks/")
    db.session.add(Notification(user_id=task.poster_id, kind="task.hidden", params={}))
    db.session.commit()
    hit(app, "/tasks/")
    poster_of(task).last_login_at = poster_of(task).created_at  # a sign-in
    poster_of(task).failed_logins = 2
    db.session.commit()
    hit(app, "/tasks/")
    poster_of(task).display_name = "新名字"
    db.session.commit()
    assert "新名字" in text(miss(app, "/tasks/"))


def test_a_rolled_back_write_does_not_bump_and_a_core_update_does(app, task):
    from marketplace.core.db import conditional_update
    from marketplace.tasks.models import Task

    versions = app.extensions["page_cache"].versions
    before = versions.current()
    task.title = "不会保存"
    db.session.flush()
    db.session.rollback()
    assert versions.current() == before
    conditional_update(Task, task, "open", title="条件更新")
    db.session.commit()
    assert versions.current() == before + 1
    with db.session.begin_nested():
        task.title = "保存点"
    assert versions.current() == before + 1  # the savepoint is not the commit
    db.session.commit()
    assert versions.current() == before + 2
    db.session.execute(db.text("UPDATE tasks SET title = 'SQL' WHERE id = :id"), {"id": task.id})
    db.session.commit()
    assert versions.current() == before + 3


def test_a_session_with_uncommitted_writes_is_not_served_from_the_cache(app, task):
    # Requests of a test share its session: a page must show what that session wrote.
    miss(app, f"/tasks/{task.id}")
    task.title = "尚未提交"
    db.session.flush()
    sent, r = statements(lambda: app.test_client().get(f"/tasks/{task.id}"))
    assert sent and "尚未提交" in text(r)


def test_a_zero_page_cache_seconds_turns_the_cache_off(app, task):
    from config import TestingConfig
    from marketplace import create_app

    off = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                     UPLOAD_DIR=app.config["UPLOAD_DIR"], SERVER_NAME=None, PAGE_CACHE_SECONDS=0)
    assert off.extensions["page_cache"] is None
    with off.app_context():
        try:
            for _ in range(2):
                sent, r = statements(lambda: off.test_client().get("/tasks/"))
                assert r.status_code == 200 and sent
        finally:
            db.session.remove()
            db.engine.dispose()
