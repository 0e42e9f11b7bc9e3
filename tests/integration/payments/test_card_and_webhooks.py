"""Card payments against localstripe with the real SDK: PaymentIntent -> signed webhook -> escrow
funded -> refund to card seen on Stripe; webhook signature checks, duplicates and out-of-order
events; Stripe down; Connect payouts through the test extension."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import stripe

from marketplace.core.db import commit, utcnow
from marketplace.extensions import db
from marketplace.jobs import service as jobs
from marketplace.ledger import service as ledger
from marketplace.ledger.models import LedgerTransaction
from marketplace.ledger.verify import verify
from marketplace.payments import service
from marketplace.payments.models import CardRefund, ExternalEvent, Funding, Payout
from tests.factories import api_headers, make_operator, make_user
from tests.factories_ledger import row_counts
from tests.factories_payments import (
    deliver,
    event_payload,
    make_order,
    make_verified_user,
    signed_header,
    top_up,
)
from tests.stripe_server import closed_port_base, stripe_base, stripe_server  # noqa: F401


def sdk(base: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_localstripe", base_addresses={"api": base, "connect": base, "files": base},
                               http_client=stripe.RequestsClient(timeout=5))


def start_card_funding(client, poster, order) -> dict:
    response = client.post("/api/v1/fundings", json={"kind": "order", "subject_id": order.id, "method": "card"},
                           headers=api_headers(poster))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def pay_in_browser(base: str, intent_id: str, payment_method: str = "pm_card_visa") -> dict:
    """What Stripe.js does when the payer confirms the Payment Element."""
    stripe_client = sdk(base)
    stripe_client.v1.payment_intents.update(intent_id, params={"payment_method": payment_method})
    try:
        stripe_client.v1.payment_intents.confirm(intent_id)
    except stripe.CardError:
        pass
    return stripe_client.v1.payment_intents.retrieve(intent_id).to_dict()


def funding_transactions(funding_id: int) -> int:
    return db.session.query(LedgerTransaction).filter(
        LedgerTransaction.idempotency_key == f"funding:{funding_id}").count()


def test_card_payment_funds_escrow_from_the_webhook_and_refunds_to_the_card(client, stripe_base):  # noqa: F811
    poster = make_user()
    order = make_order(poster, amount=88_800)
    body = start_card_funding(client, poster, order)
    assert body["client_secret"].startswith(body["payment_intent_id"])
    assert body["status"] == "pending"
    intent = sdk(stripe_base).v1.payment_intents.retrieve(body["payment_intent_id"])
    assert intent["amount"] == 88_800 and intent["currency"] == "cny"
    assert intent["metadata"]["funding_id"] == str(body["id"])

    # The browser saying "paid" is not enough: nothing is funded until Stripe's webhook.
    paid = pay_in_browser(stripe_base, body["payment_intent_id"])
    assert paid["status"] == "succeeded"
    assert ledger.escrow_balance(order.escrow_ref) == 0
    assert client.get(f"/api/v1/fundings/{body['id']}", headers=api_headers(poster)).get_json()["status"] == "pending"

    response = deliver(client, "payment_intent.succeeded", paid)
    assert response.status_code == 200 and response.get_json()["outcome"] == "applied"
    assert ledger.escrow_balance(order.escrow_ref) == 88_800
    assert ledger.balance(ledger._find_account("cash:stripe", "CNY")) == -88_800
    assert order.funded_with == [body["id"]]
    assert client.get(f"/api/v1/fundings/{body['id']}", headers=api_headers(poster)).get_json()["status"] == "succeeded"
    assert verify().ok

    # The escrow is refunded: the money goes back to the card, sent to Stripe after the commit.
    service.refund(order.escrow_ref, idempotency_key="order-cancel:1")
    commit()
    assert ledger.escrow_balance(order.escrow_ref) == 0
    assert ledger.wallet_balance(poster) == 0
    card_refund = db.session.query(CardRefund).one()
    assert card_refund.status == "succeeded" and card_refund.amount == 88_800
    refunds = sdk(stripe_base).v1.refunds.list(params={"payment_intent": body["payment_intent_id"]}).data
    assert [(r["id"], r["amount"]) for r in refunds] == [(card_refund.stripe_refund_id, 88_800)]
    assert db.session.get(Funding, body["id"]).refunded_amount == 88_800
    # Refunding again changes nothing.
    service.refund(order.escrow_ref, idempotency_key="order-cancel:1")
    commit()
    assert db.session.query(CardRefund).count() == 1
    assert len(sdk(stripe_base).v1.refunds.list(params={"payment_intent": body["payment_intent_id"]}).data) == 1

    # Stripe's charge.refunded agrees with what we recorded: nothing is flagged.
    charge = paid["latest_charge"]
    charge = charge if isinstance(charge, dict) else sdk(stripe_base).v1.charges.retrieve(charge).to_dict()
    charge["amount_refunded"] = 88_800
    assert deliver(client, "charge.refunded", charge).get_json()["outcome"] == "consistent"
    assert db.session.get(Funding, body["id"]).flagged is False
    assert verify().ok


def test_the_same_event_twice_posts_one_funding_transaction(client, stripe_base):  # noqa: F811
    poster = make_user()
    order = make_order(poster, amount=10_000)
    body = start_card_funding(client, poster, order)
    paid = pay_in_browser(stripe_base, body["payment_intent_id"])
    payload = event_payload("payment_intent.succeeded", paid, event_id="evt_same_1")
    for _ in range(2):
        response = client.post("/webhooks/stripe", data=payload, headers=signed_header(payload),
                               content_type="application/json")
        assert response.status_code == 200
    assert response.get_json()["outcome"] == "duplicate"
    # A second event id for the same intent (Stripe can send one) does not post twice either.
    assert deliver(client, "payment_intent.succeeded", paid).get_json()["outcome"] == "already applied"
    assert funding_transactions(body["id"]) == 1
    assert ledger.escrow_balance(order.escrow_ref) == 10_000
    assert db.session.query(ExternalEvent).count() == 2
    assert not service.check_card_fundings()


def test_failure_after_success_does_not_unfund(client, stripe_base):  # noqa: F811
    poster = make_user()
    order = make_order(poster, amount=20_000)
    body = start_card_funding(client, poster, order)
    paid = pay_in_browser(stripe_base, body["payment_intent_id"])
    assert deliver(client, "payment_intent.succeeded", paid).status_code == 200
    failed = dict(paid, status="requires_payment_method",
                  last_payment_error={"message": "Your card was declined."})
    assert deliver(client, "payment_intent.payment_failed", failed).get_json()["outcome"] == "ignored: succeeded"
    assert deliver(client, "payment_intent.canceled", dict(paid, status="canceled")).get_json()["outcome"] \
        == "ignored: succeeded"
    assert db.session.get(Funding, body["id"]).status == "succeeded"
    assert ledger.escrow_balance(order.escrow_ref) == 20_000


def test_declined_card_then_success_on_the_same_intent(client, stripe_base):  # noqa: F811
    poster = make_user()
    order = make_order(poster, amount=30_000)
    body = start_card_funding(client, poster, order)
    declined = pay_in_browser(stripe_base, body["payment_intent_id"], "pm_card_chargeCustomerFail")
    assert declined["status"] != "succeeded"
    failed_event = dict(declined, last_payment_error=declined.get("last_payment_error")
                        or {"message": "Your card was declined."})
    assert deliver(client, "payment_intent.payment_failed", failed_event).get_json()["outcome"] == "failed"
    funding = db.session.get(Funding, body["id"])
    assert funding.status == "failed" and funding.failure_message
    assert ledger.escrow_balance(order.escrow_ref) == 0
    # Stripe lets the payer retry the same intent with another card; localstripe cannot confirm
    # an intent twice, so the success is the real intent as Stripe would then send it.
    paid = dict(declined, status="succeeded", amount_received=30_000, last_payment_error=None)
    assert deliver(client, "payment_intent.succeeded", paid).get_json()["outcome"] == "applied"
    assert ledger.escrow_balance(order.escrow_ref) == 30_000
    assert db.session.get(Funding, body["id"]).status == "succeeded"


def test_after_a_decline_a_new_attempt_gets_a_new_intent(client, stripe_base):  # noqa: F811
    poster = make_user()
    order = make_order(poster, amount=30_000)
    first = start_card_funding(client, poster, order)
    declined = pay_in_browser(stripe_base, first["payment_intent_id"], "pm_card_chargeCustomerFail")
    deliver(client, "payment_intent.payment_failed", declined)
    second = start_card_funding(client, poster, order)
    assert second["id"] != first["id"] and second["payment_intent_id"] != first["payment_intent_id"]
    deliver(client, "payment_intent.succeeded", pay_in_browser(stripe_base, second["payment_intent_id"]))
    assert ledger.escrow_balance(order.escrow_ref) == 30_000
    assert db.session.get(Funding, first["id"]).status == "failed"


def test_success_after_cancel_is_recorded_and_flagged(client, stripe_base):  # noqa: F811
    poster = make_user()
    order = make_order(poster, amount=15_000)
    body = start_card_funding(client, poster, order)
    paid = pay_in_browser(stripe_base, body["payment_intent_id"])
    assert deliver(client, "payment_intent.canceled", dict(paid, status="canceled")).get_json()["outcome"] == "canceled"
    assert db.session.get(Funding, body["id"]).status == "canceled"
    assert deliver(client, "payment_intent.succeeded", paid).get_json()["outcome"] == "applied"
    funding = db.session.get(Funding, body["id"])
    assert funding.status == "succeeded" and funding.flagged
    assert funding.flag_code == "succeeded_after_cancel" and "cancelled" in funding.flag_reason
    assert ledger.escrow_balance(order.escrow_ref) == 15_000


def test_a_second_payment_for_a_funded_subject_goes_to_the_wallet(client, stripe_base):  # noqa: F811
    poster, operator = make_user(), make_operator()
    order = make_order(poster, amount=12_000)
    card = start_card_funding(client, poster, order)
    bank = service.start_funding(poster, "order", order.id, "bank_transfer")
    db.session.commit()
    service.confirm_bank_transfer(operator, bank.id, 12_000)
    db.session.commit()
    paid = pay_in_browser(stripe_base, card["payment_intent_id"])
    assert deliver(client, "payment_intent.succeeded", paid).status_code == 200
    funding = db.session.get(Funding, card["id"])
    assert funding.status == "succeeded" and funding.flagged
    assert ledger.escrow_balance(order.escrow_ref) == 12_000
    assert ledger.wallet_balance(poster) == 12_000
    assert order.funded_with == [bank.id]
    assert verify().ok


def test_refund_of_charge_outside_the_platform_is_flagged(client, stripe_base):  # noqa: F811
    poster = make_user()
    order = make_order(poster, amount=9_000)
    body = start_card_funding(client, poster, order)
    paid = pay_in_browser(stripe_base, body["payment_intent_id"])
    deliver(client, "payment_intent.succeeded", paid)
    charge = {"id": "ch_outside", "object": "charge", "payment_intent": body["payment_intent_id"],
              "amount": 9_000, "amount_refunded": 9_000, "refunded": True}
    assert deliver(client, "charge.refunded", charge).get_json()["outcome"] == "flagged"
    assert db.session.get(Funding, body["id"]).flagged


def test_unknown_event_types_are_stored_and_ignored(client):
    response = deliver(client, "customer.created", {"id": "cus_1", "object": "customer"})
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"
    assert db.session.query(ExternalEvent).one().type == "customer.created"


@pytest.mark.parametrize("case", ["bad", "missing", "stale", "wrong_secret", "tampered"])
def test_bad_signatures_are_400_and_store_nothing(client, case):
    payload = event_payload("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})
    headers = signed_header(payload)
    if case == "bad":
        headers = {"Stripe-Signature": "t=123,v1=deadbeef"}
    elif case == "missing":
        headers = {}
    elif case == "stale":
        headers = signed_header(payload, timestamp=int(time.time()) - 3600)
    elif case == "wrong_secret":
        headers = signed_header(payload, secret="whsec_other")
    elif case == "tampered":
        payload = payload.replace(b"pi_x", b"pi_y")
    response = client.post("/webhooks/stripe", data=payload, headers=headers, content_type="application/json")
    assert response.status_code == 400
    assert db.session.query(ExternalEvent).count() == 0


def test_stripe_down_is_503_and_records_nothing(client, app):
    poster = make_user()
    order = make_order(poster)
    saved = {k: app.config[k] for k in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE")}
    app.config.update(STRIPE_SECRET_KEY="sk_test_down", STRIPE_API_BASE=closed_port_base())
    try:
        before = row_counts()
        response = client.post("/api/v1/fundings", json={"kind": "order", "subject_id": order.id,
                                                         "method": "card"}, headers=api_headers(poster))
    finally:
        app.config.update(saved)
    assert response.status_code == 503
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert "payment service" in problem["title"].lower() and "unavailable" in problem["title"].lower()
    assert db.session.query(Funding).count() == 0
    assert row_counts() == before


def test_card_page_loads_stripe_js_only_with_keys(client, stripe_base, app):  # noqa: F811
    from tests.factories import login
    poster = make_user()
    order = make_order(poster, amount=5_000)
    body = start_card_funding(client, poster, order)
    login(client, poster)
    page = client.get(f"/fundings/{body['id']}")
    assert page.status_code == 200
    assert b"https://js.stripe.com/v3/" in page.data and b"payment-element" in page.data
    back_from_stripe = client.get(f"/fundings/{body['id']}?redirect_status=succeeded")
    assert b'data-testid="confirming"' in back_from_stripe.data
    assert b'http-equiv="refresh"' in back_from_stripe.data
    assert db.session.get(Funding, body["id"]).status == "pending"
    app.config["STRIPE_PUBLISHABLE_KEY"] = ""
    page = client.get(f"/fundings/{body['id']}")
    assert b"js.stripe.com" not in page.data


def test_payout_by_stripe_connect_transfer(client, stripe_base):  # noqa: F811
    solver, operator, poster = make_verified_user(), make_operator(), make_user()
    # Platform balance on Stripe: a card payment that went through.
    order = make_order(poster, amount=100_000)
    body = start_card_funding(client, poster, order)
    deliver(client, "payment_intent.succeeded", pay_in_browser(stripe_base, body["payment_intent_id"]))
    account = sdk(stripe_base).v1.accounts.create(params={"type": "custom", "country": "US"})
    put = client.put("/api/v1/wallet/connected-account", json={"account_id": account["id"]},
                     headers=api_headers(solver))
    assert put.status_code == 200, put.get_json()
    top_up(solver, 60_000)
    payout = service.request_payout(solver, 40_000)
    db.session.commit()
    response = client.post(f"/api/v1/operator/payouts/{payout.id}/approve", json={},
                           headers=api_headers(operator))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    # Approved in the request; the transfer goes to Stripe right after the commit.
    assert data["status"] == "approved" and data["channel"] == "stripe"
    db.session.expire_all()
    sent = db.session.get(Payout, payout.id)
    assert sent.status == "paid" and sent.reference.startswith("tr_") and sent.paid_at is not None
    transfers = sdk(stripe_base).v1.transfers.list(params={"destination": account["id"]}).data
    assert [(t["id"], t["amount"]) for t in transfers] == [(sent.reference, 40_000)]
    assert jobs.pending_due_at(service.PAYOUT_TIMER, f"payout:{payout.id}") is None
    assert ledger.wallet_summary(solver)["available"] == 20_000
    assert ledger.wallet_summary(solver)["pending_payout"] == 0
    assert verify().ok


def test_connect_transfer_refused_by_stripe_fails_the_payout_and_returns_the_money(client, stripe_base):  # noqa: F811
    solver, operator = make_verified_user(), make_operator()
    account = sdk(stripe_base).v1.accounts.create(params={"type": "custom", "country": "US"})
    service.set_connected_account(solver, account["id"])
    db.session.commit()
    top_up(solver, 60_000)  # by bank: the Stripe balance is empty, so the transfer is refused
    payout = service.request_payout(solver, 40_000)
    db.session.commit()
    response = client.post(f"/api/v1/operator/payouts/{payout.id}/approve", json={},
                           headers=api_headers(operator))
    assert response.status_code == 200
    db.session.expire_all()
    assert ledger.wallet_summary(solver)["available"] == 60_000
    assert db.session.get(Payout, payout.id).status == "failed"
    assert jobs.pending_due_at(service.PAYOUT_TIMER, f"payout:{payout.id}") is None
    assert verify().ok


def test_connect_transfer_with_stripe_down_stays_retryable_and_the_timer_sends_it(client, stripe_base, app):  # noqa: F811
    solver, operator, poster = make_verified_user(), make_operator(), make_user()
    order = make_order(poster, amount=100_000)  # platform balance on Stripe for the transfer
    body = start_card_funding(client, poster, order)
    deliver(client, "payment_intent.succeeded", pay_in_browser(stripe_base, body["payment_intent_id"]))
    account = sdk(stripe_base).v1.accounts.create(params={"type": "custom", "country": "US"})
    service.set_connected_account(solver, account["id"])
    db.session.commit()
    top_up(solver, 60_000)
    payout = service.request_payout(solver, 40_000)
    db.session.commit()
    entries_before = row_counts()

    app.config["STRIPE_API_BASE"] = closed_port_base()
    response = client.post(f"/api/v1/operator/payouts/{payout.id}/approve", json={},
                           headers=api_headers(operator))
    assert response.status_code == 200 and response.get_json()["status"] == "approved"
    db.session.expire_all()
    # Stripe could not be reached: the payout waits, approved, with its money held; no ledger
    # posting was made and the books are clean; a timer will try again.
    assert db.session.get(Payout, payout.id).status == "approved"
    assert ledger.wallet_summary(solver)["pending_payout"] == 40_000
    assert ledger.wallet_summary(solver)["available"] == 20_000
    assert row_counts() == entries_before
    assert verify().ok
    assert jobs.pending_due_at(service.PAYOUT_TIMER, f"payout:{payout.id}") is not None
    jobs.run_due(utcnow() + dt.timedelta(minutes=10))  # Stripe still down: retried later
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).status == "approved"
    assert verify().ok

    app.config["STRIPE_API_BASE"] = stripe_base
    jobs.run_due(utcnow() + dt.timedelta(hours=2))
    db.session.expire_all()
    sent = db.session.get(Payout, payout.id)
    assert sent.status == "paid" and sent.reference.startswith("tr_")
    transfers = sdk(stripe_base).v1.transfers.list(params={"destination": account["id"]}).data
    assert [t["amount"] for t in transfers] == [40_000]
    assert ledger.wallet_summary(solver)["pending_payout"] == 0
    assert jobs.pending_due_at(service.PAYOUT_TIMER, f"payout:{payout.id}") is None
    assert verify().ok


def test_unknown_connected_account_is_422(client, stripe_base):  # noqa: F811
    user = make_user()
    response = client.put("/api/v1/wallet/connected-account", json={"account_id": "acct_nope"},
                          headers=api_headers(user))
    assert response.status_code == 422 and "account_id" in response.get_json()["errors"]


def test_webhook_payload_is_stored_as_sent(client):
    payload = event_payload("payment_intent.created", {"id": "pi_z", "object": "payment_intent"}, "evt_z")
    client.post("/webhooks/stripe", data=payload, headers=signed_header(payload), content_type="application/json")
    stored = db.session.query(ExternalEvent).one()
    assert stored.payload == json.loads(payload) and stored.external_id == "evt_z"


def test_the_webhook_needs_no_csrf_token_when_forms_do(app):
    from config import TestingConfig
    from marketplace import create_app
    strict = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                        WTF_CSRF_ENABLED=True)
    with strict.app_context():
        client = strict.test_client()
        response = deliver(client, "customer.created", {"id": "cus_csrf", "object": "customer"})
        assert response.status_code == 200
        # ...while a page form without its token is refused.
        assert client.post("/wallet/payouts", data={"amount": "20"}).status_code == 400
        db.session.remove()
    assert db.session.query(ExternalEvent).filter_by(object_id="cus_csrf").count() == 1


def test_flagged_payments_wait_in_the_queue_until_an_operator_reviews_them(client, stripe_base):  # noqa: F811
    from tests.factories import login
    poster, operator = make_user(), make_operator()
    order = make_order(poster, amount=15_000)
    body = start_card_funding(client, poster, order)
    paid = pay_in_browser(stripe_base, body["payment_intent_id"])
    deliver(client, "payment_intent.canceled", dict(paid, status="canceled"))
    deliver(client, "payment_intent.succeeded", paid)
    queue = client.get("/api/v1/operator/queue", headers=api_headers(operator)).get_json()
    assert [(f["id"], f["user_id"]) for f in queue["flagged_payments"]] == [(body["id"], poster.id)]
    assert queue["flagged_payments"][0]["flag_code"] == "succeeded_after_cancel"
    login(client, operator)
    assert 'data-testid="queue-flagged-payments"' in client.get("/operator/").get_data(as_text=True)

    empty = client.post(f"/api/v1/operator/fundings/{body['id']}/review", json={"note": " "},
                        headers=api_headers(operator))
    assert empty.status_code == 422 and "note" in empty.get_json()["errors"]
    member = client.post(f"/api/v1/operator/fundings/{body['id']}/review", json={"note": "ok"},
                         headers=api_headers(poster))
    assert member.status_code == 403
    page = client.post(f"/operator/fundings/{body['id']}/review",
                       data={"note": "Customer confirmed they wanted it; kept in escrow."})
    assert page.status_code == 303
    db.session.expire_all()
    funding = db.session.get(Funding, body["id"])
    assert funding.flag_reviewed_by_id == operator.id and funding.flag_note.startswith("Customer")
    queue = client.get("/api/v1/operator/queue", headers=api_headers(operator)).get_json()
    assert queue["flagged_payments"] == []
    again = client.post(f"/api/v1/operator/fundings/{body['id']}/review", json={"note": "again"},
                        headers=api_headers(operator))
    assert again.status_code == 409
