"""Where the page cache keeps its version and pages: Redis shared by app servers, the process when
there is no Redis, nothing (pages rendered as usual) when Redis does not answer; and the settings."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

import pytest

from config import ProductionConfig, TestingConfig
from marketplace import create_app
from marketplace.config_check import problems
from marketplace.core import page_cache
from marketplace.core.page_cache import (
    Entry,
    FileVersion,
    LocalVersion,
    PageStore,
    RedisVersion,
    version_store,
)
from marketplace.extensions import db
from tests.factories import api_headers
from tests.factories_tasks import make_task

from .test_page_cache import statements

REDIS = os.environ.get("PAGE_CACHE_TEST_REDIS", "redis://127.0.0.1:6379/5")
CLOSED_PORT = "redis://127.0.0.1:5349/0"  # nothing listens there


def _redis_up() -> bool:
    try:
        import redis
        redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).ping()
        return True
    except Exception:
        return False


def _app_like(app, **overrides):
    return create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      UPLOAD_DIR=app.config["UPLOAD_DIR"], SERVER_NAME=None, **overrides)


@pytest.fixture
def redis_url():
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not running at {REDIS}")
        pytest.skip(f"Redis is not running at {REDIS}")
    page_cache.redis_client(REDIS).delete(page_cache.VERSION_KEY)
    yield REDIS
    page_cache.redis_client(REDIS).delete(page_cache.VERSION_KEY)


def _get(target, url, **kwargs):
    """A visitor's GET on another app: (statements sent, response)."""
    with target.app_context():
        try:
            return statements(lambda: target.test_client().get(url, **kwargs))
        finally:
            db.session.remove()


def test_a_write_through_one_app_server_invalidates_the_pages_of_another(app, redis_url):
    a, b = _app_like(app, PAGE_CACHE_REDIS_URL=redis_url), _app_like(app, PAGE_CACHE_REDIS_URL=redis_url)
    assert isinstance(a.extensions["page_cache"].versions, RedisVersion)
    task = make_task(title="共享版本")
    task_id, headers = task.id, api_headers(_poster(task))
    db.session.remove()
    url = f"/tasks/{task_id}"
    sent, first = _get(b, url)
    assert sent and "共享版本" in first.get_data(as_text=True)
    sent, second = _get(b, url)
    assert sent == [] and second.status_code == 200
    with a.app_context():
        try:
            r = a.test_client().patch(f"/api/v1/tasks/{task_id}", json={"title": "由甲改过"}, headers=headers)
            assert r.status_code == 200
        finally:
            db.session.remove()
    sent, third = _get(b, url)
    assert sent and "由甲改过" in third.get_data(as_text=True)
    sent, _fourth = _get(b, url)
    assert sent == []


def _poster(task):
    from marketplace.accounts.models import User
    return db.session.get(User, task.poster_id)


def test_the_version_starts_at_random_and_counts_up_in_redis(redis_url):
    versions = RedisVersion(redis_url)
    start = versions.current()
    assert start is not None and versions.current() == start
    assert versions.bump() and versions.current() == start + 1


def test_a_redis_rate_limit_store_is_shared_by_the_page_cache():
    assert page_cache.shared_store_url({"RATELIMIT_STORAGE_URI": "redis://r:6379/2"}) == "redis://r:6379/2"
    assert page_cache.shared_store_url({"RATELIMIT_STORAGE_URI": "redis://r:6379/2",
                                        "PAGE_CACHE_REDIS_URL": "redis://p:6379/1"}) == "redis://p:6379/1"
    assert page_cache.shared_store_url({"RATELIMIT_STORAGE_URI": "memory://"}) == ""


def test_pages_are_served_when_redis_does_not_answer(app, caplog):
    down = _app_like(app, PAGE_CACHE_REDIS_URL=CLOSED_PORT)
    task = make_task(title="Redis 不在")
    task_id, model = task.id, type(task)
    db.session.remove()
    with caplog.at_level(logging.WARNING, logger="marketplace.core.page_cache"):
        for url in ("/tasks/", f"/tasks/{task_id}", "/api/v1/tasks", "/tasks/"):
            sent, r = _get(down, url)
            assert r.status_code == 200 and sent  # rendered, never from a cache
        with down.app_context():
            try:
                task = db.session.get(model, task_id)
                task.title = "照常保存"
                db.session.commit()  # the bump fails quietly; the write stands
            finally:
                db.session.remove()
    warnings = [r for r in caplog.records if r.name == "marketplace.core.page_cache"]
    assert len(warnings) == 1 and "does not answer" in warnings[0].getMessage()
    assert "5349" in warnings[0].getMessage()
    assert "照常保存" in _get(down, f"/tasks/{task_id}")[1].get_data(as_text=True)


def test_the_file_version_is_shared_by_the_processes_of_one_machine(tmp_path):
    path = str(tmp_path / "page-cache.version")
    server, sweeper = FileVersion(path), FileVersion(path)
    assert server.current() == 0  # no file yet
    assert sweeper.bump() and server.current() == 1 and sweeper.current() == 1
    # Another process (a timer sweeper, a second gunicorn worker) bumps: this one sees it.
    code = ("import sys; sys.path.insert(0, sys.argv[2]); from marketplace.core.page_cache import FileVersion; "
            "assert FileVersion(sys.argv[1]).bump()")
    subprocess.run([sys.executable, "-c", code, path, os.getcwd()], check=True, timeout=60)
    assert server.current() == 2

    def bump_ten():
        for _ in range(10):
            assert FileVersion(path).bump()

    threads = [threading.Thread(target=bump_ten) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.current() == 82  # no bump lost, and every read saw a whole number


def test_the_file_version_failing_turns_the_cache_off_instead_of_failing_the_page(tmp_path, caplog):
    garbled = tmp_path / "page-cache.version"
    garbled.write_text("not a number")
    assert FileVersion(str(garbled)).current() is None
    unwritable = FileVersion(str(tmp_path / "missing-folder" / "page-cache.version"))
    with caplog.at_level(logging.WARNING, logger="marketplace.core.page_cache"):
        assert unwritable.bump() is False
    assert "cannot be used" in caplog.text


def test_which_version_store_a_configuration_gets(tmp_path):
    assert isinstance(version_store({"TESTING": True}, str(tmp_path)), LocalVersion)
    assert isinstance(version_store({}, str(tmp_path)), FileVersion)
    assert version_store({}, str(tmp_path)).path == str(tmp_path / "page-cache.version")
    assert isinstance(version_store({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/3"}, str(tmp_path)),
                      RedisVersion)
    assert isinstance(version_store({"RATELIMIT_STORAGE_URI": "memory://"}, str(tmp_path)), FileVersion)


def test_the_local_version_and_the_store_without_flask():
    versions = LocalVersion()
    assert versions.current() == 0 and versions.bump() and versions.current() == 1
    store = PageStore(max_bytes=250)

    def entry(size):
        return Entry(1, 0.0, b"x" * size, (), False, size)

    store.put(("a",), entry(100))
    store.put(("b",), entry(100))
    assert store.get(("a",)) is not None  # a is now the most recently used
    store.put(("c",), entry(100))
    assert store.get(("b",)) is None and store.get(("a",)) and store.get(("c",))
    assert store.size == 200
    store.put(("c",), entry(50))  # replaced, not counted twice
    assert store.size == 150 and len(store) == 2
    store.put(("big",), entry(300))
    assert store.get(("big",)) is None and store.size == 150
    store.clear()
    assert len(store) == 0 and store.size == 0


def test_settings_are_checked():
    assert any("PAGE_CACHE_SECONDS" in p for p in problems({"PAGE_CACHE_SECONDS": -1}))
    assert any("PAGE_CACHE_MAX_BYTES" in p for p in problems({"PAGE_CACHE_MAX_BYTES": 0}))
    assert any("PAGE_CACHE_REDIS_URL" in p for p in problems({"PAGE_CACHE_REDIS_URL": "memcached://m"}))
    assert not any("PAGE_CACHE" in p for p in problems({"PAGE_CACHE_SECONDS": 0, "PAGE_CACHE_MAX_BYTES": 1,
                                                        "PAGE_CACHE_REDIS_URL": "redis://r/1"}))


def test_production_needs_a_shared_version_store_when_the_cache_is_on(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memcached://m:11211")
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("PAGE_CACHE_REDIS_URL", raising=False)
    monkeypatch.delenv("PAGE_CACHE_SECONDS", raising=False)
    with pytest.raises(RuntimeError, match="PAGE_CACHE_REDIS_URL"):
        ProductionConfig.check()
    monkeypatch.setenv("PAGE_CACHE_SECONDS", "0")
    ProductionConfig.check()
    monkeypatch.setenv("PAGE_CACHE_SECONDS", "15")
    monkeypatch.setenv("PAGE_CACHE_REDIS_URL", "redis://r:6379/1")
    ProductionConfig.check()
    monkeypatch.delenv("PAGE_CACHE_REDIS_URL")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://r:6379/0")
    ProductionConfig.check()
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memcached://m:11211")
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    ProductionConfig.check()


def test_threads_asking_for_a_missing_page_at_once_render_it_once(app):
    import threading

    from flask import Response

    cache = page_cache.PageCache({"PAGE_CACHE_SECONDS": 15})
    key, renders, answers = ("tasks.index", "/tasks/?"), [], []
    release = threading.Event()

    def render():
        renders.append(1)
        release.wait(5)
        return Response("一页", mimetype="text/html")

    def visitor():
        with app.test_request_context("/tasks/"):
            version = cache.versions.current()
            entry = cache.store.get(key)
            response = page_cache._replay(entry) if cache.valid(entry, version) else \
                cache.render_once(key, version, render)
            answers.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=visitor) for _ in range(4)]
    for t in threads:
        t.start()
    while len(renders) < 1:  # the first thread is rendering; the others ask meanwhile
        release.wait(0.01)
    release.set()
    for t in threads:
        t.join(10)
    assert answers == ["一页"] * 4 and len(renders) == 1


def test_while_one_request_renders_an_old_page_anew_the_others_get_the_kept_one(app):
    import threading

    cache = page_cache.PageCache({"PAGE_CACHE_SECONDS": 15})
    key = ("tasks.index", "/tasks/?")
    kept = Entry(cache.versions.current(), page_cache.clock(), b"kept page", (("Content-Type", "text/html"),),
                 False, 100)
    cache._rendering[key] = threading.Event()  # another thread is rendering it

    def render():
        raise AssertionError("rendered twice")

    with app.test_request_context("/tasks/"):
        response = cache.render_once(key, kept.version, render, kept)
        assert response.get_data() == b"kept page"
