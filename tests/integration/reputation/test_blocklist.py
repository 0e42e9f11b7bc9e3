"""The blocklist (失信名单): a blocklisted user cannot post, bid or claim (page and API), is told
why, and an operator lifts it with a reason (audit-logged); suspension ends API tokens at once."""
from __future__ import annotations

import datetime as dt

from marketplace.accounts import service as accounts
from marketplace.core.audit import AuditEntry
from marketplace.core.db import commit, utcnow
from marketplace.extensions import db
from marketplace.tasks.models import Task
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_contracts import fund_claim_escrow, make_solver
from tests.factories_tasks import make_task

REASON = "Posted fake reviews (刷单) for money"


def _blocklist(user):
    user.blocklisted_at = utcnow()
    user.blocklist_reason = REASON
    db.session.commit()
    return user


def _local(days=7):
    return (utcnow() + dt.timedelta(hours=8, days=days)).strftime("%Y-%m-%dT%H:%M")


def test_a_blocklisted_user_cannot_post_by_api_or_page(client):
    poster = _blocklist(make_user())
    r = client.post("/api/v1/tasks", headers=api_headers(poster),
                    json={"mode": "tender", "title": "A task", "description": "x", "category": "software",
                          "city": "wuhan", "budget_min": 100000, "budget_max": 200000,
                          "bid_deadline": (utcnow() + dt.timedelta(days=7)).isoformat() + "Z"})
    assert r.status_code == 403, r.json
    assert r.json["type"].endswith("/blocklisted") and REASON in r.json["title"]
    login(client, poster)
    r = client.post("/tasks/new", data={"mode": "tender", "title": "A task", "description": "x",
                                        "category": "software", "city": "wuhan", "visibility": "public",
                                        "ip_terms": "transfer", "currency": "CNY", "budget_min": "1000",
                                        "budget_max": "2000", "bid_deadline": _local()})
    assert r.status_code == 403 and REASON in r.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Task.id))) == 0


def test_a_blocklisted_poster_cannot_publish_a_draft(client):
    poster = make_user()
    draft = make_task(poster=poster, status="draft")
    _blocklist(poster)
    r = client.post(f"/api/v1/tasks/{draft.id}/publish", headers=api_headers(poster))
    assert r.status_code == 403 and REASON in r.json["title"]


def test_a_blocklisted_solver_cannot_bid_by_api_or_page(client):
    task = make_task()
    solver = _blocklist(make_solver())
    r = client.post(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(solver),
                    json={"amount": 150000, "days": 10, "proposal": "I can do it."})
    assert r.status_code == 403 and REASON in r.json["title"]
    login(client, solver)
    r = client.post(f"/tasks/{task.id}/bids", data={"amount": "1500", "days": "10", "proposal": "I can do it."},
                    headers={"Referer": f"http://localhost/tasks/{task.id}"})
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert REASON in page


def test_a_blocklisted_solver_cannot_claim_by_api_or_page(client):
    poster = make_user()
    task = make_task(poster=poster, mode="claim", price=5_000, category="delivery")
    fund_claim_escrow(task, poster)
    solver = _blocklist(make_solver())
    r = client.post(f"/api/v1/tasks/{task.id}/claim", headers=api_headers(solver))
    assert r.status_code == 403 and REASON in r.json["title"]
    login(client, solver)
    r = client.post(f"/tasks/{task.id}/claim")
    assert r.status_code == 403 and REASON in r.get_data(as_text=True)
    assert db.session.get(Task, task.id).claimant_id is None


def test_operator_puts_on_and_lifts_the_blocklist_with_a_reason(client, app):
    operator, user = make_operator(), make_user()
    login(client, operator)
    page = client.get(f"/operator/users/{user.id}").get_data(as_text=True)
    assert 'data-testid="blocklist-card"' in page
    r = client.post(f"/operator/users/{user.id}/blocklist", data={"reason": ""},
                    headers={"Referer": f"http://localhost/operator/users/{user.id}"})
    assert r.status_code == 303 and db.session.get(type(user), user.id).blocklisted_at is None
    r = client.post(f"/operator/users/{user.id}/blocklist", data={"reason": REASON})
    assert r.status_code == 303
    db.session.expire_all()
    assert user.blocklisted_at is not None and user.blocklist_reason == REASON
    assert REASON in client.get("/operator/blocklist").get_data(as_text=True)
    # The public profile says so.
    assert 'data-testid="profile-blocklisted"' in client.get(f"/users/{user.id}").get_data(as_text=True)
    r = client.post(f"/operator/users/{user.id}/blocklist/lift", data={"reason": "Appeal accepted"})
    assert r.status_code == 303
    db.session.expire_all()
    assert user.blocklisted_at is None
    actions = [(e.action, e.details.get("reason")) for e in db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action.like("user.blocklist%")).order_by(AuditEntry.id))]
    assert actions == [("user.blocklist", REASON), ("user.blocklist_lift", "Appeal accepted")]


def test_blocklist_api_is_for_operators_and_needs_a_reason(client):
    operator, user = make_operator(), make_user()
    r = client.post(f"/api/v1/operator/users/{user.id}/blocklist", headers=api_headers(user), json={"reason": "x"})
    assert r.status_code == 403
    r = client.post(f"/api/v1/operator/users/{user.id}/blocklist", headers=api_headers(operator), json={"reason": 5})
    assert r.status_code == 422 and "reason" in r.json["errors"]
    r = client.post(f"/api/v1/operator/users/{user.id}/blocklist", headers=api_headers(operator),
                    json={"reason": REASON})
    assert r.status_code == 200 and r.json["blocklisted"] is True
    r = client.post(f"/api/v1/operator/users/{user.id}/blocklist", headers=api_headers(operator),
                    json={"reason": REASON})
    assert r.status_code == 409
    r = client.post(f"/api/v1/operator/users/{operator.id}/blocklist", headers=api_headers(operator),
                    json={"reason": REASON})
    assert r.status_code == 403
    r = client.post(f"/api/v1/operator/users/{user.id}/blocklist/lift", headers=api_headers(operator),
                    json={"reason": "Paid back"})
    assert r.status_code == 200 and r.json["blocklisted"] is False
    assert client.get(f"/api/v1/users/{user.id}/credit").json["aggregates"]["violations"] == 1


def test_suspension_ends_the_effect_of_api_tokens_at_once(client, app):
    operator, user = make_operator(), make_user()
    headers = api_headers(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    from marketplace.operator.service import suspend_user
    with app.test_request_context("/"):
        suspend_user(operator, user, "Fraud")
        commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_user_summaries_for_cards_in_one_query(client):
    from tests.factories_reputation import complete_contract
    solver = make_solver()
    complete_contract(solver=solver)
    other = make_user()
    summaries = accounts.user_summaries([solver.id, other.id])
    assert summaries[solver.id]["completed"] == 1 and summaries[solver.id]["score"] is not None
    assert summaries[solver.id]["level"] in ("fair", "good", "very_good", "excellent", "poor")
    assert summaries[other.id] == {"rating": None, "reviews": 0, "completed": 0, "score": None, "level": None}
