"""The operator console: who may see it, the queue document, the audit log, suspensions."""
import datetime as dt

import pytest

from marketplace.accounts.models import User
from marketplace.core import audit
from marketplace.core.audit import AuditEntry
from marketplace.extensions import db
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_orgs import make_verification, resident_id
from tests.integration.organisations.helpers import audit_rows, english, notifications

QUEUE_KEYS = {"verifications", "bank_transfers", "payouts", "disputes", "reports", "bounty_reviews"}


@pytest.fixture
def web(client):
    return english(client)


@pytest.fixture
def pending_request():
    return make_verification(make_user(), number=resident_id("42050219800101123"))


def operator_pages(req_id, user_id):
    return ["/operator/", "/operator/audit", "/operator/users", f"/operator/users/{user_id}",
            f"/operator/verifications/{req_id}"]


def operator_posts(req_id, user_id):
    return [f"/operator/verifications/{req_id}/approve", f"/operator/verifications/{req_id}/reject",
            f"/operator/users/{user_id}/suspend", f"/operator/users/{user_id}/unsuspend"]


def api_calls(req_id, user_id):
    return [("GET", "/api/v1/operator/queue"), ("GET", "/api/v1/operator/audit"),
            ("GET", "/api/v1/operator/users"), ("GET", f"/api/v1/operator/verifications/{req_id}"),
            ("POST", f"/api/v1/operator/verifications/{req_id}/approve"),
            ("POST", f"/api/v1/operator/verifications/{req_id}/reject"),
            ("POST", f"/api/v1/operator/users/{user_id}/suspend"),
            ("POST", f"/api/v1/operator/users/{user_id}/unsuspend")]


def test_members_get_403_everywhere(client, pending_request):
    member = make_user()
    target = pending_request.user_id
    login(client, member)
    for path in operator_pages(pending_request.id, target):
        assert client.get(path).status_code == 403, path
    for path in operator_posts(pending_request.id, target):
        assert client.post(path, data={"reason": "x"}).status_code == 403, path
    h = api_headers(member)
    for method, path in api_calls(pending_request.id, target):
        assert client.open(path, method=method, json={"reason": "x"}, headers=h).status_code == 403, path
    db.session.expire_all()
    assert pending_request.status == "pending" and db.session.get(User, target).suspended_at is None
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(
        AuditEntry.action.in_(["verification.approve", "verification.reject", "user.suspend"]))) == 0


def test_anonymous_gets_login_redirects_and_401(client, pending_request):
    target = pending_request.user_id
    for path in operator_pages(pending_request.id, target):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path
    for path in operator_posts(pending_request.id, target):
        assert client.post(path, data={"reason": "x"}).status_code == 302, path
    for method, path in api_calls(pending_request.id, target):
        resp = client.open(path, method=method, json={"reason": "x"})
        assert resp.status_code == 401, path
        assert resp.headers["Content-Type"].startswith("application/problem+json")


def test_queue_api_has_all_six_keys_and_ids(client, pending_request):
    resp = client.get("/api/v1/operator/queue", headers=api_headers(make_operator()))
    assert resp.status_code == 200
    assert QUEUE_KEYS <= set(resp.json)
    for key in QUEUE_KEYS:
        assert isinstance(resp.json[key], list)
    [item] = resp.json["verifications"]
    assert item["id"] == pending_request.id and item["user_id"] == pending_request.user_id
    assert item["status"] == "pending"


def test_queue_page_renders_the_sections(web, pending_request):
    login(web, make_operator())
    page = web.get("/operator/")
    assert page.status_code == 200
    assert 'data-section="verifications"' in page.text and pending_request.masked_number in page.text
    # decided requests leave the queue
    pending_request.status = "approved"
    db.session.commit()
    assert pending_request.masked_number not in web.get("/operator/").text


def test_audit_log_filters_and_pages(web):
    operator = make_operator(email="op@example.com")
    other = make_operator(email="other@example.com")
    target = make_user()
    for i in range(55):
        audit.record("user.suspend" if i % 2 else "task.hide", actor=operator, target=target, n=i)
    old = audit.record("verification.approve", actor=other, target=target)
    old.at = dt.datetime(2025, 1, 15, 10, 0)
    db.session.commit()
    login(web, operator)
    page = web.get("/operator/audit")
    rows = 'data-testid="audit-action"'
    assert page.status_code == 200 and page.text.count(rows) == 50
    assert "op@example.com" in page.text and "next" in page.text.lower()
    nxt = web.get("/operator/audit?before=" + str(
        db.session.scalars(db.select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(50)).all()[-1]))
    assert nxt.text.count(rows) == 6
    only = web.get("/operator/audit?action=user.suspend")
    # Actions read as words (the code is the cell's title).
    assert only.text.count('title="user.suspend" data-testid="audit-action">User suspended</td>') == 27
    assert "task.hide" not in only.text and "Task hidden" not in only.text
    by_actor = web.get("/operator/audit?actor=other@")
    assert by_actor.text.count(rows) == 1 and "Verification approved" in by_actor.text
    by_date = web.get("/operator/audit?date_from=2025-01-01&date_to=2025-01-15")
    assert by_date.text.count(rows) == 1
    assert web.get("/operator/audit?date_from=yesterday").status_code == 422
    api = web.get("/api/v1/operator/audit?action=verification.", headers=api_headers(operator)).json
    assert [e["action"] for e in api["items"]] == ["verification.approve"]
    assert api["items"][0]["actor_email"] == "other@example.com" and "ip" in api["items"][0]


def test_suspend_and_unsuspend_on_the_page(web, app):
    operator = make_operator()
    user = make_user(email="bad@example.com")
    theirs = app.test_client()
    login(theirs, user)
    assert theirs.get("/orgs/").status_code == 200
    login(web, operator)
    found = web.get("/operator/users?q=BAD@")
    assert "bad@example.com" in found.text
    resp = web.post(f"/operator/users/{user.id}/suspend", data={"reason": ""})
    assert resp.status_code == 422 and 'data-field="reason"' in resp.text
    resp = web.post(f"/operator/users/{user.id}/suspend", data={"reason": "刷单"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).suspended_at is not None
    [row] = audit_rows("user.suspend")
    assert row.actor_id == operator.id and row.target_id == str(user.id) and row.details["reason"] == "刷单"
    assert notifications(user, "account.suspended")[0].params["reason"] == "刷单"
    assert "Suspended" in web.get(f"/operator/users/{user.id}").text
    assert theirs.get("/orgs/").status_code == 302  # the suspended user's session has ended
    resp = web.post(f"/operator/users/{user.id}/unsuspend", data={"reason": "申诉成功"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).suspended_at is None
    assert len(audit_rows("user.unsuspend")) == 1 and len(notifications(user, "account.unsuspended")) == 1


def test_suspend_through_the_api_and_its_rules(client):
    operator, admin = make_operator(), make_user(role="admin")
    user, colleague = make_user(), make_operator()
    h = api_headers(operator)
    resp = client.post(f"/api/v1/operator/users/{user.id}/suspend", json={}, headers=h)
    assert resp.status_code == 422 and "reason" in resp.json["errors"]
    resp = client.post(f"/api/v1/operator/users/{user.id}/suspend", json={"reason": "spam"}, headers=h)
    assert resp.status_code == 200 and resp.json["suspended"] is True
    assert client.post(f"/api/v1/operator/users/{user.id}/suspend", json={"reason": "again"},
                       headers=h).status_code == 409
    # a suspended user's token stops working
    assert client.get("/api/v1/me", headers=api_headers(user)).status_code == 401
    # operators cannot suspend themselves or other staff; admins can suspend staff
    assert client.post(f"/api/v1/operator/users/{operator.id}/suspend", json={"reason": "x"},
                       headers=h).status_code == 403
    assert client.post(f"/api/v1/operator/users/{colleague.id}/suspend", json={"reason": "x"},
                       headers=h).status_code == 403
    assert client.post(f"/api/v1/operator/users/{colleague.id}/suspend", json={"reason": "x"},
                       headers=api_headers(admin)).status_code == 200
    assert len(audit_rows("user.suspend")) == 2
    users = client.get("/api/v1/operator/users?q=", headers=api_headers(admin)).json["items"]
    assert {u["id"] for u in users} >= {user.id, colleague.id}
