"""Bad input gets field errors and writes nothing: prizes that do not add up or do not descend,
a past deadline, lowering the reward, shortening the deadline, a too-large file, an executable
named .pdf. Raising the reward tops the escrow up; extending the deadline moves the timer."""
from __future__ import annotations

import datetime as dt
import os

from marketplace.bounties.models import Submission
from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.jobs import service as jobs
from marketplace.notifications.models import Notification
from marketplace.tasks.models import Task
from tests.factories import api_headers, make_user
from tests.factories_bounties import enter, post_bounty, reload, verify_ledger
from tests.factories_ledger import row_counts
from tests.integration.contracts.helpers import escrow, wallet


def _future(days=10):
    return (utcnow() + dt.timedelta(days=days)).replace(tzinfo=dt.timezone.utc).isoformat()


def _create(client, user, **fields):
    body = {"mode": "bounty", "title": "工业视觉缺陷检测算法挑战", "category": "rd_challenge",
            "submission_deadline": _future(), **fields}
    return client.post("/api/v1/tasks", json=body, headers=api_headers(user))


def test_posting_rules_name_the_field_and_write_nothing(app, client):
    user = make_user()
    before = db.session.scalar(db.select(db.func.count(Task.id)))
    r = _create(client, user, prize_structure="ranked", prizes=[5_000, 3_000, 2_000], reward=12_000)
    assert r.status_code == 422 and "prizes" in r.get_json()["errors"]
    r = _create(client, user, prize_structure="ranked", prizes=[3_000, 5_000])
    assert r.status_code == 422 and "prizes" in r.get_json()["errors"]
    r = _create(client, user, prize_structure="piece", unit_price=1_000, max_pieces=5, reward=6_000)
    assert r.status_code == 422 and "max_pieces" in r.get_json()["errors"]
    past = (utcnow() - dt.timedelta(hours=1)).replace(tzinfo=dt.timezone.utc).isoformat()
    r = _create(client, user, prize_structure="single", prizes=[5_000], submission_deadline=past)
    assert r.status_code == 422 and "submission_deadline" in r.get_json()["errors"]
    assert db.session.scalar(db.select(db.func.count(Task.id))) == before
    r = _create(client, user, prize_structure="ranked", prizes=[5_000, 3_000, 2_000], reward=10_000,
                criteria="创新性 40%，可行性 40%，成本 20%", eligibility="verified", ip_terms="license")
    assert r.status_code == 201, r.get_json()
    data = r.get_json()
    assert data["criteria"].startswith("创新性") and data["selection_days"] == 7 and data["ip_terms"] == "license"
    # Publishing unfunded is 409.
    assert client.post(f"/api/v1/tasks/{data['id']}/publish", headers=api_headers(user)).status_code == 409


def test_lowering_the_reward_and_shortening_the_deadline_are_refused(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="ranked", prizes=(5_000, 3_000), top_up_extra=2_500)
    solver, _ = enter(client, task)
    headers = api_headers(poster)
    counts = row_counts()
    for body, field in (({"prizes": [4_000, 3_000]}, "prizes"), ({"prizes": [5_000]}, "prizes"),
                        ({"prizes": [5_000, 6_000]}, "prizes"),
                        ({"submission_deadline": (task.submission_deadline - dt.timedelta(days=1))
                          .replace(tzinfo=dt.timezone.utc).isoformat()}, "submission_deadline")):
        r = client.post(f"/api/v1/tasks/{task.id}/amend", json=body, headers=headers)
        assert r.status_code == 422 and field in r.get_json()["errors"], (body, r.get_json())
    assert row_counts() == counts and reload(task).prizes == [5_000, 3_000]
    # Raising beyond the wallet: a field error, nothing written.
    r = client.post(f"/api/v1/tasks/{task.id}/amend", json={"prizes": [9_000, 3_000]}, headers=headers)
    assert r.status_code == 422 and "prizes" in r.get_json()["errors"]
    assert row_counts() == counts
    # Raising: topped up from the wallet; extending: the timer moves; participants are told.
    later = task.submission_deadline + dt.timedelta(days=3)
    r = client.post(f"/api/v1/tasks/{task.id}/amend",
                    json={"prizes": [6_000, 4_000, 500],
                          "submission_deadline": later.replace(tzinfo=dt.timezone.utc).isoformat()},
                    headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["prizes"] == [6_000, 4_000, 500]
    assert escrow(f"task:{task.id}") == 10_500 and wallet(poster) == 0
    assert jobs.pending_due_at("bounty.deadline", f"task:{task.id}") == later
    assert db.session.scalar(db.select(Notification).where(Notification.user_id == solver.id,
                                                           Notification.kind == "bounty.changed")) is not None
    verify_ledger(app)


def test_raised_prizes_are_paid_in_full_to_the_winner(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(5_000,), top_up_extra=1_000)
    _s, body = enter(client, task)
    assert client.post(f"/api/v1/tasks/{task.id}/amend", json={"prizes": [6_000]},
                       headers=api_headers(poster)).status_code == 200
    from tests.factories_bounties import pass_deadline, release_prizes
    pass_deadline(task)
    r = client.post(f"/api/v1/tasks/{task.id}/winners", json={"awards": [{"submission_id": body["id"], "rank": 1}]},
                    headers=api_headers(poster))
    assert r.status_code == 200
    release_prizes()
    assert wallet(db.session.get(type(poster), body["solver_id"])) == 5_400
    assert escrow(f"task:{task.id}") == 0
    verify_ledger(app)


def test_bad_files_are_refused_by_content_and_size(app, client):
    before = app.config.get("SUBMISSION_MAX_BYTES")
    app.config["SUBMISSION_MAX_BYTES"] = 1024
    try:
        task = post_bounty(client, structure="single", prizes=(10_000,))
        upload_root = app.config["UPLOAD_DIR"]
        on_disk = sum(len(files) for _r, _d, files in os.walk(upload_root))
        solver = make_user()
        cases = [("big.pdf", b"%PDF-1.4\n" + b"0" * 2048),
                 ("report.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64),
                 ("run.pdf", b"#!/bin/sh\nrm -rf /\n"),
                 ("script.txt", b"#!/bin/sh\necho hi\n")]
        for name, content in cases:
            _s, body = enter(client, task, solver, files=[(name, content)], expect=422)
            assert "files" in body["errors"], (name, body)
        assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0
        assert sum(len(files) for _r, _d, files in os.walk(upload_root)) == on_disk
        # Empty entry, bad co-author shares: field errors too.
        _s, body = enter(client, task, solver, text="", expect=422)
        assert "text" in body["errors"]
        _s, body = enter(client, task, solver, coauthors=[{"user_id": make_user().id, "share_bps": 10_000}],
                         expect=422)
        assert "coauthors" in body["errors"]
        _s, body = enter(client, task, solver, coauthors=[{"user_id": 999_999, "share_bps": 1_000}], expect=422)
        assert "coauthors" in body["errors"]
        assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0
    finally:
        app.config["SUBMISSION_MAX_BYTES"] = before


def test_judging_needs_a_reason_and_the_poster_side(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(10_000,))
    solver, body = enter(client, task)
    r = client.post(f"/api/v1/submissions/{body['id']}/reject", json={"reason": "  "}, headers=api_headers(poster))
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = client.post(f"/api/v1/submissions/{body['id']}/reject", json={"reason": "x"}, headers=api_headers(solver))
    assert r.status_code == 403
    r = client.post(f"/api/v1/submissions/{body['id']}/note", json={"note": "思路清晰"}, headers=api_headers(poster))
    assert r.status_code == 200 and r.get_json()["note"] == "思路清晰"
    assert "note" not in client.get(f"/api/v1/submissions/{body['id']}", headers=api_headers(solver)).get_json()
    r = client.post(f"/api/v1/submissions/{body['id']}/shortlist", json={"shortlisted": True},
                    headers=api_headers(poster))
    assert r.get_json()["shortlisted"] is True
    # Winners only after the deadline; a bad award names `awards`.
    r = client.post(f"/api/v1/tasks/{task.id}/winners", json={"awards": [{"submission_id": body["id"], "rank": 1}]},
                    headers=api_headers(poster))
    assert r.status_code == 409
    from tests.factories_bounties import pass_deadline
    pass_deadline(task)
    for awards in ([], [{"submission_id": body["id"], "rank": 2}], [{"submission_id": "nope", "rank": 1}], "x"):
        r = client.post(f"/api/v1/tasks/{task.id}/winners", json={"awards": awards}, headers=api_headers(poster))
        assert r.status_code == 422 and "awards" in r.get_json()["errors"], awards
    # A bounty with entries cannot be cancelled.
    assert client.post(f"/api/v1/tasks/{task.id}/cancel", headers=api_headers(poster)).status_code == 409
