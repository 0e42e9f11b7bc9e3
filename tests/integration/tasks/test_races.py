"""PostgreSQL races on task state: concurrent cancels of a funded claim refund once; concurrent
publishes open the task once."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.ledger import service as ledger
from marketplace.notifications.models import Notification
from marketplace.tasks.models import Task
from tests.factories import api_headers, make_user
from tests.factories_payments import top_up
from tests.factories_tasks import make_task
from tests.races import race_clients

THREADS = 16


def _race(app, send):
    return race_clients(app, send, THREADS)


def test_concurrent_cancels_of_a_funded_claim_refund_once(app, client, postgres_only):
    poster = make_user()
    top_up(poster, 10_000)
    task = make_task(poster=poster, mode="claim", status="draft", price=4_000)
    headers = api_headers(poster)
    assert client.post(f"/api/v1/tasks/{task.id}/funding", json={"method": "wallet"}, headers=headers).status_code == 200
    assert client.post(f"/api/v1/tasks/{task.id}/publish", headers=headers).status_code == 200
    assert ledger.wallet_balance(poster) == 6_000

    task_id = task.id
    results = _race(app, lambda c, i: c.post(f"/api/v1/tasks/{task_id}/cancel", headers=headers))
    codes = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert codes.count(200) == 1 and all(c == 409 for c in codes if c != 200), codes
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "cancelled"
    assert ledger.wallet_balance(poster) == 10_000
    assert ledger.escrow_balance(f"task:{task.id}") == 0


def test_concurrent_publishes_open_once_and_notify_invitees_once(app, client, postgres_only):
    poster, solver = make_user(), make_user()
    task = make_task(poster=poster, status="draft", visibility="invite")
    headers = api_headers(poster)
    assert client.post(f"/api/v1/tasks/{task.id}/invites", json={"solver_id": solver.id},
                       headers=headers).status_code == 201
    task_id = task.id
    results = _race(app, lambda c, i: c.post(f"/api/v1/tasks/{task_id}/publish", headers=headers))
    codes = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert codes.count(200) == 1 and all(c == 409 for c in codes if c != 200), codes
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.user_id == solver.id, Notification.kind == "task.invited")) == 1
