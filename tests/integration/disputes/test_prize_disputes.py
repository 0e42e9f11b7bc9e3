"""Disputes about the award of a single or ranked bounty: the prizes stay held for the dispute
window (BOUNTY_DISPUTE_DAYS, 7 days); an entrant (a losing, rejected or ineligible entry, or a
winner disputing its rank) or the poster side disputes one prize; its release timer and money
freeze; a decision or settlement divides it; a withdrawal resumes the timer with the time left.
Fee 10%; prizes ¥5,000 / ¥3,000 / ¥2,000."""
from __future__ import annotations

import datetime as dt
import json

from marketplace.bounties.models import BountyPrize, Submission
from marketplace.core.db import utcnow
from marketplace.disputes.models import Dispute
from marketplace.extensions import db
from marketplace.jobs.models import TimerFreeze
from marketplace.jobs.service import pending_due_at
from marketplace.ledger.models import LedgerTransaction
from marketplace.ledger.verify import verify
from marketplace.notifications.models import Notification
from marketplace.reputation.models import CreditRecord
from marketplace.reputation.reliability import poster_reliability
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_bounties import enter, pass_deadline, post_bounty, release_prizes, run_timers_at
from tests.factories_contracts import make_contract
from tests.factories_payments import make_verified_user
from tests.factories_tasks import make_task
from tests.integration.contracts.helpers import escrow, revenue, wallet
from tests.races import race_clients

PRIZES = (500_000, 300_000, 200_000)


def _awarded(client):
    """A ranked bounty: A, B and C win 1st, 2nd and 3rd; D's eligible entry lost."""
    poster = make_verified_user()
    task = post_bounty(client, poster, structure="ranked", prizes=PRIZES)
    entries = [enter(client, task) for _ in range(4)]
    pass_deadline(task)
    awards = [{"submission_id": body["id"], "rank": rank} for rank, (_u, body) in enumerate(entries[:3], 1)]
    r = client.post(f"/api/v1/tasks/{task.id}/winners", json={"awards": awards}, headers=api_headers(poster))
    assert r.status_code == 200, r.json
    return poster, task, [u for u, _b in entries]


def _open(client, user, task, rank=1, amount=500_000):
    return client.post("/api/v1/disputes", headers=api_headers(user),
                       json={"task_id": task.id, "rank": rank, "amount": amount, "reason": "我的方案更符合评审标准。"})


def _decide(client, dispute_id, bps):
    return client.post(f"/api/v1/operator/disputes/{dispute_id}/decision", headers=api_headers(make_operator()),
                       json={"solver_share_bps": bps, "reason": "两份方案均部分满足标准。"})


def _prize(task, rank) -> BountyPrize:
    db.session.expire_all()
    return db.session.scalar(db.select(BountyPrize).where(BountyPrize.task_id == task.id, BountyPrize.rank == rank))


def _later(days):
    return utcnow() + dt.timedelta(days=days)


def test_a_40_percent_decision_on_the_first_prize(app, client):
    poster, task, (a, b, c, d) = _awarded(client)
    assert escrow(f"task:{task.id}") == 1_000_000 and wallet(a) == 0  # every prize held
    results = client.get(f"/api/v1/tasks/{task.id}/results").json["winners"]
    assert [(w["rank"], w["payment"]["status"]) for w in results] == [(1, "held"), (2, "held"), (3, "held")]
    r = _open(client, d, task, rank=1, amount=500_000)
    assert r.status_code == 201, r.json
    body = r.json
    assert (body["subject"], body["subject_id"], body["held"]) == ("bounty", task.id, 500_000)
    assert (body["solver_id"], body["respondent_id"], body["poster_id"]) == (d.id, a.id, poster.id)
    assert {"submission", "prize.awarded", "dispute.opened"} <= {i["kind"] for i in body["timeline"]}
    assert _prize(task, 1).status == "disputed"
    # The window ends: the undisputed prizes are paid, the disputed one stays frozen.
    assert release_prizes() == 2
    assert wallet(b) == 270_000 and wallet(c) == 180_000 and wallet(a) == 0
    assert escrow(f"task:{task.id}") == 500_000
    # The operator gives 40% of the first prize to D; A keeps 60%. The fee is on each part.
    r = _decide(client, body["id"], 4000)
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["solver_amount"], r.json["payer_amount"]) == ("decided", 200_000, 300_000)
    assert wallet(d) == 180_000 and wallet(a) == 270_000
    assert wallet(b) == 270_000 and wallet(c) == 180_000 and wallet(poster) == 0
    assert revenue() == 20_000 + 30_000 + 30_000 + 20_000
    assert escrow(f"task:{task.id}") == 0
    assert _prize(task, 1).status == "split"
    results = client.get(f"/api/v1/tasks/{task.id}/results").json["winners"]
    assert [w["payment"]["status"] for w in results] == ["split", "released", "released"]
    paid = {s.solver_id: s.paid_amount for s in db.session.scalars(db.select(Submission))}
    assert paid[a.id] == 300_000 and paid[d.id] == 200_000
    kinds = set(db.session.scalars(db.select(Notification.kind).where(Notification.user_id == a.id)))
    assert {"bounty.won_held", "dispute.opened", "dispute.prize_decided"} <= kinds
    # Credit: the entrant lost (under half); the winner did not; the poster was not a party to it.
    lost = {r.subject_id: json.loads(r.data)["lost"] for r in db.session.scalars(
        db.select(CreditRecord).where(CreditRecord.kind == "dispute_decided", CreditRecord.subject_type == "user"))}
    assert lost == {d.id: True, a.id: False}
    release_prizes(days=30)  # later timers (reviews) pay nothing more
    assert [wallet(u) for u in (a, b, c, d, poster)] == [270_000, 270_000, 180_000, 180_000, 0]
    assert verify().ok, verify().format()


def test_the_release_timer_freezes_and_resumes_after_a_withdrawal(app, client):
    poster, task, (a, b, c, d) = _awarded(client)
    prize = _prize(task, 1)
    ref = f"bounty_prize:{prize.id}"
    due = pending_due_at("bounty.prize_release", ref)
    assert abs((due - prize.held_until).total_seconds()) < 1
    # B, the second prize's winner, disputes its rank (the first prize).
    r = client.post("/api/v1/disputes", headers=api_headers(b),
                    json={"task_id": task.id, "rank": 1, "amount": 200_000, "reason": "应为第一名。"})
    assert r.status_code == 201, r.json
    dispute_id = r.json["id"]
    # Frozen: running the timers long after the window pays the other prizes only.
    assert run_timers_at(_later(8)) == 2 and wallet(a) == 0 and wallet(b) == 270_000
    # B withdraws three days into the dispute (simulated by back-dating the freeze): the first
    # prize's timer resumes with the time it had left, three days later than it was.
    db.session.execute(db.update(TimerFreeze).where(TimerFreeze.subject_ref == ref)
                       .values(frozen_at=utcnow() - dt.timedelta(days=3)))
    db.session.commit()
    r = client.post(f"/api/v1/disputes/{dispute_id}/withdraw", headers=api_headers(b))
    assert r.status_code == 200 and r.json["status"] == "withdrawn"
    prize = _prize(task, 1)
    assert prize.status == "held"
    new_due = pending_due_at("bounty.prize_release", ref)
    assert abs((new_due - due - dt.timedelta(days=3)).total_seconds()) < 5
    assert abs((prize.held_until - new_due).total_seconds()) < 1
    assert run_timers_at(due + dt.timedelta(minutes=1)) == 0 and wallet(a) == 0
    assert run_timers_at(new_due + dt.timedelta(minutes=1)) == 1
    assert wallet(a) == 450_000 and escrow(f"task:{task.id}") == 0
    assert verify().ok, verify().format()


def test_a_dispute_after_the_window_is_refused(app, client):
    poster, task, (a, b, c, d) = _awarded(client)
    prize = _prize(task, 1)
    # The window has ended but the timer has not run yet: refused all the same.
    db.session.execute(db.update(BountyPrize).where(BountyPrize.id == prize.id)
                       .values(held_until=utcnow() - dt.timedelta(minutes=1)))
    db.session.commit()
    r = _open(client, d, task)
    assert r.status_code == 409 and "window" in r.json["detail"]
    release_prizes()
    r = _open(client, d, task, rank=2, amount=100_000)
    assert r.status_code == 409
    assert db.session.scalar(db.select(db.func.count(Dispute.id))) == 0
    assert wallet(a) == 450_000


def test_who_may_dispute_a_prize(app, client):
    poster, task, (a, b, c, d) = _awarded(client)
    outsider = make_user()
    assert _open(client, outsider, task).status_code == 404
    # A winner cannot dispute its own prize; bad fields are named.
    r = _open(client, a, task, rank=1)
    assert r.status_code == 422 and "rank" in r.json["errors"]
    r = client.post("/api/v1/disputes", headers=api_headers(d),
                    json={"task_id": task.id, "rank": 9, "amount": 0, "reason": ""})
    assert r.status_code == 422 and {"rank", "amount", "reason"} <= set(r.json["errors"])
    r = _open(client, d, task, rank=2, amount=300_001)
    assert r.status_code == 422 and "amount" in r.json["errors"]
    r = _open(client, d, task, rank=2, amount=300_000)
    assert r.status_code == 201, r.json
    dispute_id = r.json["id"]
    # Parties (the complainant, the disputed winner, the poster) and operators see it; others 404.
    for user in (d, b, poster, make_operator()):
        assert client.get(f"/api/v1/disputes/{dispute_id}", headers=api_headers(user)).status_code == 200
    for user in (outsider, a, c):
        assert client.get(f"/api/v1/disputes/{dispute_id}", headers=api_headers(user)).status_code == 404
    # One open dispute per bounty at a time.
    assert _open(client, c, task, rank=1).status_code == 409
    # Only the opener withdraws; the poster, whose money is not in question, cannot settle.
    assert client.post(f"/api/v1/disputes/{dispute_id}/withdraw", headers=api_headers(b)).status_code == 403
    r = client.post(f"/api/v1/disputes/{dispute_id}/settlement", headers=api_headers(poster),
                    json={"solver_share_bps": 5000})
    assert r.status_code == 403


def test_the_entrant_and_the_winner_settle(app, client):
    poster, task, (a, b, c, d) = _awarded(client)
    r = _open(client, d, task, rank=3, amount=200_000)
    dispute_id = r.json["id"]
    r = client.post(f"/api/v1/disputes/{dispute_id}/settlement", headers=api_headers(d),
                    json={"solver_share_bps": 5000})
    assert r.status_code == 200 and r.json["status"] == "open"
    r = client.post(f"/api/v1/disputes/{dispute_id}/settlement", headers=api_headers(c),
                    json={"solver_share_bps": 2500})
    assert r.status_code == 200 and r.json["offers"]["respondent"] == 2500 and r.json["status"] == "open"
    r = client.post(f"/api/v1/disputes/{dispute_id}/settlement", headers=api_headers(d),
                    json={"solver_share_bps": 2500})
    assert r.status_code == 200 and r.json["status"] == "settled"
    assert wallet(d) == 45_000 and wallet(c) == 135_000  # 50 000 and 150 000 less 10%
    release_prizes()
    assert wallet(a) == 450_000 and wallet(b) == 270_000 and escrow(f"task:{task.id}") == 0
    assert verify().ok, verify().format()


def test_the_poster_disputes_a_prize_and_gets_its_share_back(app, client):
    poster, task, (a, b, c, d) = _awarded(client)
    r = _open(client, poster, task, rank=1, amount=500_000)
    assert r.status_code == 201, r.json
    assert (r.json["solver_id"], r.json["respondent_id"]) == (a.id, None)
    # The share is the winner's: 75% to A less the fee, 25% back to the poster's wallet.
    r = _decide(client, r.json["id"], 7500)
    assert r.status_code == 200, r.json
    assert wallet(a) == 337_500 and wallet(poster) == 125_000
    assert revenue() == 37_500
    release_prizes()
    assert escrow(f"task:{task.id}") == 0
    assert verify().ok, verify().format()


def test_a_rejected_entrant_disputes_through_the_pages(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(100_000,))
    winner, w = enter(client, task)
    loser, lost = enter(client, task)
    r = client.post(f"/api/v1/submissions/{lost['id']}/reject", headers=api_headers(poster), json={"reason": "超出字数"})
    assert r.status_code == 200 and r.json["status"] == "ineligible"
    pass_deadline(task)
    assert client.post(f"/api/v1/tasks/{task.id}/winners", json={"awards": [{"submission_id": w["id"], "rank": 1}]},
                       headers=api_headers(poster)).status_code == 200
    winner_browser = app.test_client()
    login(winner_browser, winner)
    assert 'data-testid="my-prize-held"' in winner_browser.get("/me/submissions").get_data(as_text=True)
    browser = app.test_client()
    login(browser, loser)
    results = browser.get(f"/tasks/{task.id}/results").get_data(as_text=True)
    assert 'data-testid="prize-held"' in results and 'data-testid="dispute-award"' in results
    page = browser.get(f"/disputes/new?task_id={task.id}")
    assert page.status_code == 200 and 'data-testid="prize-dispute-help"' in page.get_data(as_text=True)
    r = browser.post(f"/disputes/new?task_id={task.id}", data={"rank": "1", "amount": "", "reason": ""})
    assert r.status_code == 422
    r = browser.post(f"/disputes/new?task_id={task.id}", data={"rank": "1", "amount": "500.00",
                                                                "reason": "评审未看附件。"})
    assert r.status_code == 303, r.get_data(as_text=True)
    dispute = db.session.scalar(db.select(Dispute))
    assert (dispute.solver_id, dispute.respondent_id, dispute.amount) == (loser.id, winner.id, 50_000)
    case = browser.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert 'data-testid="prize-parties"' in case and 'data-testid="settlement-form"' in case
    op = app.test_client()
    login(op, make_operator())
    decision_page = op.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert 'data-testid="prize-share-hint"' in decision_page and 'data-testid="decision-form"' in decision_page
    held = app.test_client().get(f"/tasks/{task.id}/results").get_data(as_text=True)
    assert 'data-testid="prize-disputed"' in held
    assert 'data-testid="my-prize-disputed"' in winner_browser.get("/me/submissions").get_data(as_text=True)
    outsider = app.test_client()
    login(outsider, make_user())
    assert outsider.get(f"/disputes/new?task_id={task.id}").status_code == 404
    assert outsider.get(f"/disputes/{dispute.id}").status_code == 404


def test_32_concurrent_openings_on_a_prize_open_one(app, client, postgres_only):
    poster, task, (a, b, c, d) = _awarded(client)
    users = [d, b, c, poster]
    headers = [api_headers(users[i % 4]) for i in range(32)]
    task_id = task.id

    def send(cl, i):
        return cl.post("/api/v1/disputes", headers=headers[i],
                       json={"task_id": task_id, "rank": 1, "amount": 100_000, "reason": f"理由 {i}"})

    results = race_clients(app, send, 32)
    assert all(not isinstance(r, Exception) for r in results), results
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 1 and set(codes) <= {201, 409}, codes
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Dispute.id))) == 1
    assert _prize(task, 1).status == "disputed"
    assert db.session.scalar(db.select(db.func.count(LedgerTransaction.id)).where(
        LedgerTransaction.kind == "release")) == 0


def test_a_dispute_between_entrants_does_not_count_against_the_posters_dispute_rate(app, client):
    poster, task, (a, b, c, d) = _awarded(client)
    make_contract(make_task(poster), make_user())  # one contract, undisputed
    assert poster_reliability(poster.id)["dispute_rate"] == 0
    assert _open(client, d, task, rank=3, amount=200_000).status_code == 201  # D against the winner C
    assert poster_reliability(poster.id)["dispute_rate"] == 0
    assert _open(client, poster, task, rank=2, amount=300_000).status_code == 409  # one open dispute per bounty
    db.session.execute(db.update(Dispute).values(status="withdrawn"))
    db.session.commit()
    assert _open(client, poster, task, rank=2, amount=300_000).status_code == 201  # the poster is a party now
    assert poster_reliability(poster.id)["dispute_rate"] == 1.0
