"""A request during a database outage gets a 503 problem document and writes nothing."""
from __future__ import annotations

from sqlalchemy.exc import OperationalError

from marketplace.extensions import db
from marketplace.organisations import service as orgs
from marketplace.organisations.models import Organisation
from tests.factories import api_headers, login, make_user


def _outage(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def test_an_api_write_during_an_outage_is_a_503_problem_and_nothing_is_kept(client, monkeypatch):
    headers = api_headers(make_user())
    monkeypatch.setattr(orgs, "create_org", lambda *a, **k: (db.session.add(Organisation(name="半截")),
                                                           db.session.flush(), _outage()))
    r = client.post("/api/v1/orgs", json={"name": "楚光"}, headers=headers)
    assert r.status_code == 503
    assert r.mimetype == "application/problem+json" and r.headers["Retry-After"] == "5"
    assert r.json["type"].endswith("service-unavailable")
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == 0


def test_a_page_during_an_outage_is_a_503_page(client, monkeypatch):
    user = make_user()
    login(client, user)
    from marketplace.accounts import routes
    monkeypatch.setattr(routes.service, "end_sessions", _outage)
    r = client.post("/logout")
    assert r.status_code == 503 and ("try again" in r.text or "稍后重试" in r.text)


def _commit_fails(invalidated: bool):
    def commit():
        raise OperationalError("COMMIT", {}, Exception("terminating connection due to administrator command"),
                               connection_invalidated=invalidated)
    return commit


def test_a_connection_lost_at_commit_is_a_503_problem_and_nothing_is_kept(client, monkeypatch):
    headers = api_headers(make_user(), **{"Accept-Language": "en"})
    real_commit = db.session.commit
    monkeypatch.setattr(db.session, "commit", _commit_fails(True))
    r = client.post("/api/v1/orgs", json={"name": "楚光"}, headers=headers)
    monkeypatch.setattr(db.session, "commit", real_commit)
    assert r.status_code == 503
    assert r.mimetype == "application/problem+json" and r.headers["Retry-After"] == "5"
    assert r.json["type"].endswith("service-unavailable")
    assert "lost while saving" in r.json["title"] + r.json.get("detail", "")
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == 0


def test_a_serialization_failure_at_commit_stays_a_409(client, monkeypatch):
    headers = api_headers(make_user())
    real_commit = db.session.commit
    monkeypatch.setattr(db.session, "commit", _commit_fails(False))
    r = client.post("/api/v1/orgs", json={"name": "楚光"}, headers=headers)
    monkeypatch.setattr(db.session, "commit", real_commit)
    assert r.status_code == 409
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == 0
