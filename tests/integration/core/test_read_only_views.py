"""Views marked read_only (the task list, a task page, the API list and task) run on PostgreSQL
without BEGIN and COMMIT, open a transaction only for a transaction-local setting, and may not write."""
from __future__ import annotations

from sqlalchemy import text

from marketplace.core import page_cache
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.tasks import routes
from tests.factories_tasks import make_task


def _during_the_view(monkeypatch, fn):
    """Run fn() inside the task page's view (where it renders the description)."""
    seen = {}
    original = routes.render_markdown

    def spy(source):
        seen["value"] = fn()
        return original(source)

    monkeypatch.setattr(routes, "render_markdown", spy)
    return seen


def test_a_read_only_view_that_writes_fails_and_writes_nothing(client, monkeypatch):
    task_id = make_task(title="只读").id
    _during_the_view(monkeypatch, lambda: (db.session.add(Organisation(name="不该写入", kind="enterprise")),
                                           db.session.flush()))
    r = client.get(f"/tasks/{task_id}")
    assert r.status_code == 500
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == 0
    monkeypatch.undo()
    # The mark ends with the request: the next request may write as usual.
    assert client.get(f"/tasks/{task_id}").status_code == 200


def test_read_only_views_send_no_begin_or_commit_on_postgres(client, monkeypatch, postgres_only):
    task_id = make_task(title="自动提交").id
    db.session.close()  # a request starts without a transaction (tests share one session)

    def state():
        dbapi = db.session.connection().connection.dbapi_connection
        return dbapi.autocommit, dbapi.info.transaction_status.name

    seen = _during_the_view(monkeypatch, state)
    assert client.get(f"/tasks/{task_id}").status_code == 200
    assert seen["value"] == (True, "IDLE")  # statements ran, no transaction was opened


def test_a_transaction_local_setting_in_a_read_only_view_opens_a_transaction(client, monkeypatch, postgres_only):
    task_id = make_task(title="局部设置").id
    db.session.close()

    def set_local():
        db.session.execute(text("SET LOCAL enable_indexscan = off"))
        dbapi = db.session.connection().connection.dbapi_connection
        return db.session.execute(text("SHOW enable_indexscan")).scalar(), dbapi.info.transaction_status.name

    seen = _during_the_view(monkeypatch, set_local)
    assert client.get(f"/tasks/{task_id}").status_code == 200
    assert seen["value"] == ("off", "INTRANS")
    monkeypatch.undo()
    db.session.close()
    page_cache.clear()  # the view must run again (visitors' pages are otherwise served from the cache)
    seen = _during_the_view(monkeypatch, lambda: db.session.execute(text("SHOW enable_indexscan")).scalar())
    assert client.get(f"/tasks/{task_id}").status_code == 200
    assert seen["value"] == "on"  # committed with the request, not left on the pooled connection


def test_a_signed_in_or_token_request_keeps_its_unit_of_work(client, monkeypatch):
    from tests.factories import api_headers, login, make_user
    user = make_user()
    task_id = make_task(title="登录可写").id
    _during_the_view(monkeypatch, lambda: db.session.add(Organisation(name="登录后写入", kind="enterprise")))
    login(client, user)
    assert client.get(f"/tasks/{task_id}").status_code == 200
    assert client.get(f"/api/v1/tasks/{task_id}", headers=api_headers(user)).status_code == 200
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Organisation.id)).where(
        Organisation.name == "登录后写入")) == 1  # committed once, with the page's unit of work
