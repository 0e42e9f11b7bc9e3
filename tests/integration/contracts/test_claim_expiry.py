"""An open claim that nobody holds when its time window ends expires, and its escrow is refunded."""
from __future__ import annotations

import datetime as dt

from marketplace.contracts import service
from marketplace.core.db import commit, utcnow
from marketplace.extensions import db
from marketplace.jobs.models import Timer
from marketplace.jobs.service import run_due
from marketplace.ledger import service as ledger
from marketplace.notifications.models import Notification
from marketplace.tasks.models import Task
from tests.factories import api_headers, make_user
from tests.factories_contracts import make_solver
from tests.factories_payments import top_up
from tests.factories_tasks import make_task


def _published_claim(client, poster, *, price=5_000):
    start = utcnow() + dt.timedelta(hours=2)
    task = make_task(poster=poster, mode="claim", status="draft", price=price, category="delivery",
                     window_start=start, window_end=start + dt.timedelta(hours=3))
    headers = api_headers(poster)
    assert client.post(f"/api/v1/tasks/{task.id}/funding", json={"method": "wallet"},
                       headers=headers).status_code == 200
    r = client.post(f"/api/v1/tasks/{task.id}/publish", headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "open", r.get_json()
    db.session.expire_all()
    return db.session.get(Task, task.id)


def test_unclaimed_claim_expires_at_the_end_of_its_window_and_is_refunded(client):
    poster = make_user()
    top_up(poster, 20_000)
    task = _published_claim(client, poster)
    timer = db.session.scalar(db.select(Timer).where(Timer.kind == "claim.expire"))
    assert timer is not None and timer.due_at == task.window_end and timer.status == "pending"

    assert run_due(task.window_end - dt.timedelta(minutes=1)) == 0
    assert db.session.get(Task, task.id).status == "open"

    assert run_due(task.window_end + dt.timedelta(minutes=1)) == 1
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.status == "expired" and not task.escrow_funded
    assert ledger.escrow_balance(f"task:{task.id}") == 0
    assert ledger.wallet_balance(poster) == 20_000
    kinds = db.session.scalars(db.select(Notification.kind).where(Notification.user_id == poster.id)).all()
    assert "claim.expired" in kinds
    # Running the sweeper again changes nothing.
    assert run_due(task.window_end + dt.timedelta(hours=1)) == 0
    assert ledger.wallet_balance(poster) == 20_000


def test_a_claimed_task_does_not_expire(client):
    poster = make_user()
    top_up(poster, 20_000)
    task = _published_claim(client, poster)
    solver = make_solver(city=task.city)
    service.claim_task(solver, task)
    commit()
    run_due(task.window_end + dt.timedelta(minutes=1))
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.status == "in_progress" and task.claimant_id == solver.id
    assert ledger.escrow_balance(f"task:{task.id}") == 5_000
    assert ledger.wallet_balance(poster) == 15_000
