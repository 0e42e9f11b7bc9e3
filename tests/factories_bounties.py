"""Bounty factories: a bounty posted, funded from the wallet and published through the real API;
entries filed through the real API; deadlines passed by running the timers at a later time."""
from __future__ import annotations

import datetime as dt
import io

from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.jobs import service as jobs
from marketplace.tasks.models import Task

from .factories import api_headers, make_user
from .factories_payments import top_up
from .factories_tasks import make_task


def post_bounty(client, poster=None, *, structure="ranked", prizes=(5_000, 3_000, 2_000), unit_price=None,
                max_pieces=None, org=None, days=7, top_up_extra=0, **fields) -> Task:
    """A draft bounty funded from the poster's (or organisation's) wallet and published."""
    poster = poster or make_user()
    if structure == "piece":
        total = unit_price * max_pieces
        values = dict(prize_structure="piece", prizes=None, unit_price=unit_price, max_pieces=max_pieces)
    else:
        total = sum(prizes)
        values = dict(prize_structure=structure, prizes=list(prizes))
    values.update(fields)
    if org is not None:
        from .factories_ledger import fund_wallet
        fund_wallet(org, total + top_up_extra)
    else:
        top_up(poster, total + top_up_extra)
    task = make_task(poster=poster, mode="bounty", status="draft",
                     submission_deadline=utcnow() + dt.timedelta(days=days), org_id=org.id if org else None,
                     **values)
    headers = api_headers(poster)
    r = client.post(f"/api/v1/tasks/{task.id}/funding", json={"method": "wallet"}, headers=headers)
    assert r.status_code == 200, r.get_json()
    r = client.post(f"/api/v1/tasks/{task.id}/publish", headers=headers)
    assert r.status_code == 200, r.get_json()
    db.session.expire_all()
    return db.session.get(Task, task.id)


def enter(client, task, solver=None, *, text="我的方案", files=(), coauthors=None, expect=201):
    """File an entry through the API; returns (solver, response json)."""
    solver = solver or make_user()
    data = {"text": text, "files": [(io.BytesIO(content), name) for name, content in files]}
    if coauthors is not None:
        import json
        data["coauthors"] = json.dumps(coauthors)
    r = client.post(f"/api/v1/tasks/{task.id}/submissions", data=data, headers=api_headers(solver),
                    content_type="multipart/form-data")
    assert r.status_code == expect, r.get_json()
    return solver, r.get_json()


def run_timers_at(when: dt.datetime) -> int:
    count = jobs.run_due(now=when)
    db.session.expire_all()
    return count


def pass_deadline(task) -> None:
    run_timers_at(task.submission_deadline + dt.timedelta(seconds=1))


def pass_selection(task) -> None:
    task = db.session.get(Task, task.id)
    run_timers_at(task.submission_deadline + dt.timedelta(days=task.selection_days, seconds=2))


def verify_ledger(app) -> None:
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output


def reload(task) -> Task:
    db.session.expire_all()
    return db.session.get(Task, task.id)


def release_prizes(days: int = 8) -> int:
    """Run the timers as of `days` from now: held prizes whose dispute window
    (BOUNTY_DISPUTE_DAYS, 7 by default) has ended are paid."""
    return run_timers_at(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(days=days))
