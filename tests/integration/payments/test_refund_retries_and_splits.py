"""Card refunds survive Stripe being down at commit time (the timer retries them); an operator's
split sends the payer's part back to the card; late payments for a subject that no longer accepts
money go to the wallet; a refused event is stored once and funds nothing."""
from __future__ import annotations

import datetime as dt

from marketplace.core.db import commit, utcnow
from marketplace.core.errors import WrongState
from marketplace.extensions import db
from marketplace.jobs import service as jobs
from marketplace.ledger import service as ledger
from marketplace.ledger.verify import verify
from marketplace.payments import service
from marketplace.payments.models import CardRefund, ExternalEvent, Funding
from tests.factories import make_user
from tests.factories_payments import ORDERS, deliver, make_order
from tests.integration.payments.test_card_and_webhooks import pay_in_browser, sdk, start_card_funding
from tests.stripe_server import closed_port_base, stripe_base, stripe_server  # noqa: F401


def funded_by_card(client, base, amount):
    poster = make_user()
    order = make_order(poster, amount=amount)
    body = start_card_funding(client, poster, order)
    assert deliver(client, "payment_intent.succeeded", pay_in_browser(base, body["payment_intent_id"])) \
        .get_json()["outcome"] == "applied"
    return poster, order, body


def test_refund_sent_later_by_the_timer_when_stripe_was_down(client, stripe_base, app):  # noqa: F811
    poster, order, body = funded_by_card(client, stripe_base, 40_000)
    app.config["STRIPE_API_BASE"] = closed_port_base()
    service.refund(order.escrow_ref, idempotency_key="cancel:down")
    commit()
    card_refund = db.session.query(CardRefund).one()
    assert card_refund.status == "pending" and card_refund.last_error
    assert ledger.escrow_balance(order.escrow_ref) == 0  # the ledger already says it is going back
    assert jobs.pending_due_at(service.REFUND_TIMER, f"card_refund:{card_refund.id}") is not None

    app.config["STRIPE_API_BASE"] = stripe_base
    jobs.run_due(utcnow() + dt.timedelta(minutes=10))
    db.session.expire_all()
    card_refund = db.session.get(CardRefund, card_refund.id)
    assert card_refund.status == "succeeded"
    refunds = sdk(stripe_base).v1.refunds.list(params={"payment_intent": body["payment_intent_id"]}).data
    assert [r["amount"] for r in refunds] == [40_000]
    # Nothing is left to retry.
    assert jobs.pending_due_at(service.REFUND_TIMER, f"card_refund:{card_refund.id}") is None
    assert verify().ok


def test_split_returns_the_payers_part_to_the_card(client, stripe_base):  # noqa: F811
    poster, order, body = funded_by_card(client, stripe_base, 10_001)
    solver = make_user()
    service.split(order.escrow_ref, solver, 60, idempotency_key="decision:1", fee_bps=1000)
    commit()
    card_refund = db.session.query(CardRefund).one()
    solver_part = 6_001  # largest remainder of 10,001 at 60%
    assert card_refund.amount == 10_001 - solver_part and card_refund.status == "succeeded"
    assert ledger.wallet_balance(solver) == solver_part - solver_part // 10
    assert ledger.wallet_balance(poster) == 0
    refunds = sdk(stripe_base).v1.refunds.list(params={"payment_intent": body["payment_intent_id"]}).data
    assert [r["amount"] for r in refunds] == [4_000]
    assert verify().ok


def test_bank_funded_escrow_refunds_to_the_wallet(client):
    from tests.factories import make_operator
    poster = make_user()
    order = make_order(poster, amount=7_700)
    funding = service.start_funding(poster, "order", order.id, "bank_transfer")
    db.session.commit()
    service.confirm_bank_transfer(make_operator(), funding.id, 7_700)
    db.session.commit()
    service.refund(order.escrow_ref, idempotency_key="cancel:bank")
    commit()
    assert ledger.wallet_balance(poster) == 7_700
    assert db.session.query(CardRefund).count() == 0


class ClosedOrder:
    """An order that was cancelled before the card payment landed."""

    def __init__(self, order):
        self.__dict__.update(order.__dict__)
        self.payer_user = order.payer

    @property
    def payer(self):
        return self.payer_user

    def can_fund(self, user):
        return True

    def accepts_funding(self):
        return False

    def on_funded(self, funding):
        raise AssertionError("must not be called")


def test_a_late_card_payment_for_a_closed_subject_goes_to_the_wallet(client, stripe_base):  # noqa: F811
    poster = make_user()
    order = make_order(poster, amount=8_800)
    body = start_card_funding(client, poster, order)
    paid = pay_in_browser(stripe_base, body["payment_intent_id"])
    ORDERS[order.id] = ClosedOrder(order)
    assert deliver(client, "payment_intent.succeeded", paid).get_json()["outcome"] == "applied"
    funding = db.session.get(Funding, body["id"])
    assert funding.flagged and funding.status == "succeeded"
    assert ledger.wallet_balance(poster) == 8_800
    assert ledger.escrow_balance(order.escrow_ref) == 0
    assert verify().ok


class RefusingOrder(ClosedOrder):
    def accepts_funding(self):
        return True

    def on_funded(self, funding):
        raise WrongState("The order was cancelled.")


def test_an_event_refused_by_the_subject_is_kept_once_and_funds_nothing(client, stripe_base):  # noqa: F811
    poster = make_user()
    order = make_order(poster, amount=5_500)
    body = start_card_funding(client, poster, order)
    paid = pay_in_browser(stripe_base, body["payment_intent_id"])
    ORDERS[order.id] = RefusingOrder(order)
    response = deliver(client, "payment_intent.succeeded", paid, event_id="evt_refused")
    assert response.status_code == 200
    assert response.get_json()["outcome"].startswith("refused")
    assert db.session.query(ExternalEvent).one().outcome.startswith("refused")
    assert db.session.get(Funding, body["id"]).status == "pending"
    assert ledger.escrow_balance(order.escrow_ref) == 0
    assert ledger.transaction_for_key(f"funding:{body['id']}") is None


def test_a_refund_stripe_reports_failed_flags_the_payment(monkeypatch):
    from marketplace.payments import gateway
    poster = make_user()
    order = make_order(poster, amount=3_000)
    funding = Funding(subject_kind="order", subject_id=str(order.id), escrow_ref=order.escrow_ref,
                      title=order.title, payer_user_id=poster.id, amount=3_000, currency="CNY",
                      method="card", status="pending", payment_intent_id="pi_fake_failed", key_nonce="n1")
    db.session.add(funding)
    db.session.flush()
    service._record_funded(funding, order)
    commit()
    monkeypatch.setattr(gateway, "create_refund", lambda **kwargs: {"id": "re_failed_1", "status": "failed"})
    service.refund(order.escrow_ref, idempotency_key="cancel:failed")
    commit()
    card_refund = db.session.query(CardRefund).one()
    assert card_refund.status == "failed" and card_refund.stripe_refund_id == "re_failed_1"
    funding = db.session.get(Funding, funding.id)
    assert funding.flagged and "failed" in funding.flag_reason
    assert [f.id for f in service.flagged_fundings()] == [funding.id]
