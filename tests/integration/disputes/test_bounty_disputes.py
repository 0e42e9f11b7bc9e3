"""Disputes about a bounty outcome: the submitter of a rejected entry of a piece bounty disputes
the rejection; the bounty's timers and one piece of its reward freeze; a decision pays a share of
that piece (fee on the solver's part), a withdrawal resumes the timers with the time they had."""
from __future__ import annotations

import datetime as dt

from marketplace.bounties.models import Submission
from marketplace.disputes.models import Dispute
from marketplace.extensions import db
from marketplace.jobs.service import pending_due_at
from marketplace.ledger.verify import verify
from tests.factories import api_headers, make_operator, make_user
from tests.factories_bounties import enter, pass_deadline, post_bounty, reload, run_timers_at
from tests.integration.contracts.helpers import escrow, revenue, wallet


def _rejected(client, pieces=2):
    poster = make_user()
    task = post_bounty(client, poster, structure="piece", unit_price=100_000, max_pieces=pieces)
    solver, body = enter(client, task)
    r = client.post(f"/api/v1/submissions/{body['id']}/reject", headers=api_headers(poster),
                    json={"reason": "不符合要求"})
    assert r.status_code == 200, r.json
    return poster, solver, task, body


def _open(client, solver, task, amount=100_000):
    return client.post("/api/v1/disputes", headers=api_headers(solver),
                       json={"task_id": task.id, "amount": amount, "reason": "方案符合全部要求。"})


def test_a_37_percent_decision_on_a_rejected_piece(app, client):
    poster, solver, task, body = _rejected(client)
    r = _open(client, solver, task)
    assert r.status_code == 201, r.json
    d = r.json
    assert (d["subject"], d["subject_id"], d["held"]) == ("bounty", task.id, 100_000)
    assert {"submission", "entry.rejected", "dispute.opened"} <= {i["kind"] for i in d["timeline"]}
    # The frozen piece is not spent by the poster meanwhile: the other piece is.
    other, other_body = enter(client, task)
    assert client.post(f"/api/v1/submissions/{other_body['id']}/accept",
                       headers=api_headers(poster)).status_code == 200
    assert reload(task).status == "open"  # one piece is still frozen, not paid
    assert _post_decision(client, d["id"], 3700).status_code == 200
    assert wallet(solver) == 33_300 and wallet(other) == 90_000 and wallet(poster) == 63_000
    assert revenue() == 3_700 + 10_000 and escrow(f"task:{task.id}") == 0
    entry = db.session.scalar(db.select(Submission).where(Submission.public_id == body["id"]))
    assert entry.status == "accepted" and entry.paid_amount == 37_000
    assert reload(task).status == "awarded"
    assert verify().ok, verify().format()


def _post_decision(client, dispute_id, bps):
    return client.post(f"/api/v1/operator/disputes/{dispute_id}/decision", headers=api_headers(make_operator()),
                       json={"solver_share_bps": bps, "reason": "复核后部分认可。"})


def test_the_bounty_timers_are_frozen_and_resume_after_a_withdrawal(app, client):
    poster, solver, task, body = _rejected(client)
    enter(client, task)  # a live entry, so the deadline leads to selecting
    d = _open(client, solver, task).json
    deadline = task.submission_deadline
    # Long after the deadline: nothing happens while the dispute is open.
    assert run_timers_at(deadline + dt.timedelta(days=3)) == 0
    assert reload(task).status == "open"
    before = pending_due_at("bounty.deadline", f"task:{task.id}")
    r = client.post(f"/api/v1/disputes/{d['id']}/withdraw", headers=api_headers(solver))
    assert r.status_code == 200 and r.json["status"] == "withdrawn"
    after = pending_due_at("bounty.deadline", f"task:{task.id}")
    assert after > before  # moved on by the time it was frozen
    pass_deadline(reload(task))
    run_timers_at(after + dt.timedelta(seconds=1))
    assert reload(task).status == "selecting"
    assert escrow(f"task:{task.id}") == 200_000 and verify().ok


def test_bounty_disputes_are_refused_where_they_do_not_apply(client):
    poster, solver, task, body = _rejected(client)
    # Not the submitter of a rejected entry.
    assert _open(client, make_user(), task).status_code in (404, 409)
    assert _open(client, poster, task).status_code == 409
    r = _open(client, solver, task, amount=100_001)
    assert r.status_code == 422 and "amount" in r.json["errors"]
    ranked = post_bounty(client, structure="ranked", prizes=(5_000, 3_000))
    s2, b2 = enter(client, ranked)
    client.post(f"/api/v1/submissions/{b2['id']}/reject", headers=api_headers(db.session.get(
        type(poster), ranked.poster_id)), json={"reason": "x"})
    # A ranked bounty's outcome is disputed after the award, while its prizes are held.
    r = _open(client, s2, ranked, amount=1_000)
    assert r.status_code == 409 and "held" in r.json["title"]
    assert db.session.scalar(db.select(db.func.count(Dispute.id))) == 0
