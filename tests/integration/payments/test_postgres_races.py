"""PostgreSQL races: 32 concurrent deliveries of one Stripe event, 32 concurrent confirmations of one
bank transfer and 32 concurrent payout requests with one Idempotency-Key each move money once."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.ledger import service as ledger
from marketplace.ledger.models import LedgerTransaction
from marketplace.ledger.verify import verify
from marketplace.payments import service
from marketplace.payments.models import ExternalEvent, Funding, Payout
from tests.factories import api_headers, make_operator, make_user
from tests.factories_payments import event_payload, make_order, make_verified_user, signed_header, top_up
from tests.integration.payments.test_card_and_webhooks import pay_in_browser, start_card_funding
from tests.races import race_clients
from tests.stripe_server import stripe_base, stripe_server  # noqa: F401

THREADS = 32


def _race(app, send):
    return race_clients(app, send, THREADS)


def funding_transactions(funding_id: int) -> int:
    return db.session.query(LedgerTransaction).filter(
        LedgerTransaction.idempotency_key == f"funding:{funding_id}").count()


def test_32_deliveries_of_the_same_event_fund_once(app, client, postgres_only, stripe_base):  # noqa: F811
    poster = make_user()
    order = make_order(poster, amount=66_600)
    body = start_card_funding(client, poster, order)
    paid = pay_in_browser(stripe_base, body["payment_intent_id"])
    # Half the threads deliver one event, half a second event for the same intent.
    payloads = [event_payload("payment_intent.succeeded", paid, event_id=f"evt_race_{n}") for n in (1, 2)]

    def send(c, i):
        payload = payloads[i % 2]
        return c.post("/webhooks/stripe", data=payload, headers=signed_header(payload),
                      content_type="application/json")

    results = _race(app, send)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted({r.status_code for r in results}) == [200]
    outcomes = [r.get_json()["outcome"] for r in results]
    assert outcomes.count("applied") == 1
    db.session.expire_all()
    assert funding_transactions(body["id"]) == 1
    assert db.session.query(ExternalEvent).count() == 2
    assert ledger.escrow_balance(order.escrow_ref) == 66_600
    assert db.session.get(Funding, body["id"]).status == "succeeded"
    assert order.funded_with == [body["id"]]
    assert verify().ok


def test_32_confirmations_of_one_bank_transfer_fund_once(app, postgres_only):
    poster, operator = make_user(), make_operator()
    order = make_order(poster, amount=123_400)
    funding = service.start_funding(poster, "order", order.id, "bank_transfer")
    db.session.commit()
    headers = [api_headers(operator) for _ in range(THREADS)]
    url = f"/api/v1/operator/bank-transfers/{funding.id}/confirm"

    def send(c, i):
        return c.post(url, json={"amount": 123_400},
                      headers=headers[i])

    results = _race(app, send)
    assert all(not isinstance(r, Exception) for r in results), results
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) == 1 and codes.count(409) == THREADS - 1, codes
    db.session.expire_all()
    assert funding_transactions(funding.id) == 1
    assert ledger.escrow_balance(order.escrow_ref) == 123_400
    assert order.funded_with == [funding.id]
    assert verify().ok


def test_32_payout_requests_with_one_idempotency_key_make_one_payout(app, postgres_only):
    solver = make_verified_user()
    top_up(solver, 500_000)
    headers = api_headers(solver, **{"Idempotency-Key": "payout-race-1"})

    def send(c, i):
        return c.post("/api/v1/payouts", json={"amount": 100_000}, headers=headers)

    results = _race(app, send)
    assert all(not isinstance(r, Exception) for r in results), results
    codes = [r.status_code for r in results]
    assert set(codes) <= {201, 409}, codes
    bodies = {r.get_json()["id"] for r in results if r.status_code == 201}
    assert len(bodies) == 1
    db.session.expire_all()
    assert db.session.query(Payout).count() == 1
    assert ledger.wallet_summary(solver)["pending_payout"] == 100_000


def test_32_payout_requests_never_overdraw_the_wallet(app, postgres_only):
    solver = make_verified_user()
    top_up(solver, 100_000)
    headers = [api_headers(solver) for _ in range(THREADS)]

    def send(c, i):
        return c.post("/api/v1/payouts", json={"amount": 30_000}, headers=headers[i])

    results = _race(app, send)
    assert all(not isinstance(r, Exception) for r in results), results
    created = [r for r in results if r.status_code == 201]
    assert len(created) == 3
    assert {r.status_code for r in results} <= {201, 409, 422}
    db.session.expire_all()
    assert ledger.wallet_summary(solver) == {"currency": "CNY", "available": 10_000, "held": 0,
                                            "pending_payout": 90_000}
    assert verify().ok
