"""PostgreSQL races: 32 operators' concurrent decisions, and 32 concurrent openings, of one dispute
subject: exactly one wins, the money moves once."""
from __future__ import annotations

from marketplace.disputes.models import Dispute
from marketplace.extensions import db
from marketplace.ledger.models import LedgerTransaction
from marketplace.ledger.verify import verify
from tests.factories import api_headers, make_operator
from tests.integration.contracts.helpers import wallet
from tests.races import race_clients

from .helpers import delivered_milestone

THREADS = 32


def test_32_concurrent_decisions_decide_once(app, client, postgres_only):
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    r = client.post("/api/v1/disputes", headers=api_headers(solver),
                    json={"milestone_id": milestone.id, "amount": 100_000, "reason": "Unpaid"})
    assert r.status_code == 201
    dispute_id = r.json["id"]
    headers = [api_headers(make_operator()) for _ in range(THREADS)]

    def send(c, i):
        return c.post(f"/api/v1/operator/disputes/{dispute_id}/decision", headers=headers[i],
                      json={"solver_share_bps": 100 * (i + 1), "reason": f"Decision {i}"})

    results = race_clients(app, send, THREADS)
    assert all(not isinstance(r, Exception) for r in results), results
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) == 1 and set(codes) <= {200, 409}, codes
    winner = next(r for r in results if r.status_code == 200).json
    db.session.expire_all()
    dispute = db.session.get(Dispute, dispute_id)
    assert dispute.status == "decided" and dispute.solver_share_bps == winner["solver_share_bps"]
    splits = db.session.scalar(db.select(db.func.count(LedgerTransaction.id)).where(
        LedgerTransaction.idempotency_key == f"dispute:{dispute_id}"))
    assert splits == 1
    solver_part = winner["solver_amount"]
    assert wallet(solver) == solver_part - solver_part // 10
    assert wallet(poster) == 100_000 - solver_part
    assert verify().ok, verify().format()


def test_32_concurrent_openings_open_one_dispute(app, client, postgres_only):
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    headers = [api_headers(solver if i % 2 else poster) for i in range(THREADS)]
    milestone_id = milestone.id

    def send(c, i):
        return c.post("/api/v1/disputes", headers=headers[i],
                      json={"milestone_id": milestone_id, "amount": 100_000, "reason": f"Reason {i}"})

    results = race_clients(app, send, THREADS)
    assert all(not isinstance(r, Exception) for r in results), results
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 1 and set(codes) <= {201, 409}, codes
    assert db.session.scalar(db.select(db.func.count(Dispute.id))) == 1
