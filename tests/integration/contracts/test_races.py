"""Concurrent requests on PostgreSQL: exactly one claim, one award, one release wins."""
from __future__ import annotations

import threading

from marketplace.bids.models import Bid
from marketplace.contracts.models import Contract, Milestone
from marketplace.extensions import db
from marketplace.ledger.models import LedgerTransaction
from tests.factories import api_headers, make_user
from tests.factories_contracts import fund_claim_escrow, fund_milestone, make_bid, make_contract, make_solver
from tests.factories_tasks import make_task

from .helpers import escrow, wallet

N = 32


def _race(app, calls):
    """Run each (url, headers) POST in its own thread and app context, all released at once."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, url, headers):
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post(url, json={}, headers=headers)
            results[i] = (response.status_code, response.get_json())
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i, url, headers)) for i, (url, headers) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_32_concurrent_claims_make_one_contract(app, postgres_only):
    poster = make_user()
    task = make_task(poster=poster, mode="claim", price=6_000)
    fund_claim_escrow(task, poster)
    solvers = [make_solver() for _ in range(N)]
    calls = [(f"/api/v1/tasks/{task.id}/claim", api_headers(s)) for s in solvers]
    results = _race(app, calls)
    codes = sorted(code for code, _body in results)
    assert codes == [201] + [409] * (N - 1), codes
    assert all("already claimed" in body["title"] for code, body in results if code == 409)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Contract.id))) == 1
    winner = next(body for code, body in results if code == 201)
    assert db.session.get(type(task), task.id).claimant_id == winner["solver_id"]


def test_32_concurrent_awards_make_one_contract(app, postgres_only):
    poster = make_user()
    task = make_task(poster=poster)
    bids = [make_bid(task, amount=100_000 + i) for i in range(N)]
    headers = [api_headers(poster) for _ in range(N)]
    calls = [(f"/api/v1/bids/{b.id}/award", h) for b, h in zip(bids, headers, strict=True)]
    results = _race(app, calls)
    codes = sorted(code for code, _body in results)
    assert codes == [201] + [409] * (N - 1), codes
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Contract.id))) == 1
    assert db.session.scalar(db.select(db.func.count(Bid.id)).where(Bid.status == "accepted")) == 1


def test_32_concurrent_awards_of_the_same_bid_make_one_contract(app, postgres_only):
    poster = make_user()
    task = make_task(poster=poster)
    bid = make_bid(task)
    results = _race(app, [(f"/api/v1/bids/{bid.id}/award", api_headers(poster)) for _ in range(N)])
    assert sorted(code for code, _ in results) == [201] + [409] * (N - 1)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Contract.id))) == 1


def test_32_concurrent_accepts_release_once(app, postgres_only):
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=100_000)
    milestone = db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract.id)).one()
    fund_milestone(milestone)
    from marketplace.contracts import service
    service.deliver_milestone(solver, milestone, "done")
    db.session.commit()
    results = _race(app, [(f"/api/v1/milestones/{milestone.id}/accept", api_headers(poster)) for _ in range(N)])
    assert sorted(code for code, _ in results) == [200] + [409] * (N - 1)
    db.session.expire_all()
    assert wallet(solver) == 90_000
    assert escrow(f"milestone:{milestone.id}") == 0
    assert db.session.scalar(db.select(db.func.count(LedgerTransaction.id))
                             .where(LedgerTransaction.kind == "release")) == 1


def test_32_concurrent_deliveries_record_one(app, postgres_only):
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=100_000)
    milestone = db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract.id)).one()
    fund_milestone(milestone)
    barrier = threading.Barrier(N)
    results = []
    headers = [api_headers(solver) for _ in range(N)]
    url = f"/api/v1/milestones/{milestone.id}/deliver"

    def run(h):
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            results.append(client.post(url, json={"note": "x"}, headers=h).status_code)
            db.session.remove()

    threads = [threading.Thread(target=run, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(results) == [200] + [409] * (N - 1)
    from marketplace.contracts.models import Delivery
    assert db.session.scalar(db.select(db.func.count(Delivery.id))) == 1


def test_both_sides_cancelling_at_once_cancels_and_refunds(app, postgres_only):
    for _ in range(5):
        poster, solver = make_user(), make_solver()
        contract = make_contract(make_task(poster=poster), solver, amount=100_000)
        milestone = db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract.id)).one()
        fund_milestone(milestone)
        url = f"/api/v1/contracts/{contract.id}/cancel"
        results = _race(app, [(url, api_headers(poster)), (url, api_headers(solver))])
        assert sorted(code for code, _ in results) == [200, 200]
        db.session.expire_all()
        assert db.session.get(Contract, contract.id).status == "cancelled"
        assert wallet(poster) == 100_000
