"""Payments factories: a fundable kind defined for the tests ("order"), verified users, wallet
money through the real bank-transfer path, and hand-signed Stripe webhook deliveries."""
from __future__ import annotations

import itertools
import json
import time

import stripe

from marketplace.core.ids import resident_id_check_char
from marketplace.extensions import db
from marketplace.payments import fundables
from marketplace.payments import service as payments
from marketplace.payments.models import Funding

from .factories import make_operator, make_user

_seq = itertools.count(1)
_id_seq = itertools.count(1)

WEBHOOK_SECRET = "whsec_test_secret"  # TestingConfig.STRIPE_WEBHOOK_SECRET


class Order:
    """A model-free fundable subject: an amount a user owes for one thing.

    The registry only knows `kind` and `subject_id`; the orders live in ORDERS, so loading the same
    id in another request or thread gives the same object (its `funded_with` records on_funded).
    """

    def __init__(self, order_id: int, payer_id: int, amount: int, currency: str, title: str):
        self.id = order_id
        self.payer_id = payer_id
        self.amount = amount
        self.currency = currency
        self.title = title
        self.escrow_ref = f"order:{order_id}"
        self.funded_with: list[int] = []

    @property
    def payer(self):
        from marketplace.accounts.models import User
        return db.session.get(User, self.payer_id)

    payer_user = payer

    def can_fund(self, user) -> bool:
        return user is not None and user.id == self.payer_id and not self.funded_with

    def on_funded(self, funding) -> None:
        self.funded_with.append(funding.id)


ORDERS: dict[int, Order] = {}


def load_order(subject_id):
    try:
        return ORDERS.get(int(subject_id))
    except (TypeError, ValueError):
        return None


fundables.register("order", load_order)


def make_order(payer, amount: int = 50_000, currency: str = "CNY", title: str | None = None) -> Order:
    n = next(_seq)
    order = Order(n, payer.id, amount, currency, title or f"Order {n}")
    ORDERS[n] = order
    return order


def resident_id() -> str:
    """A fresh valid resident ID number (GB 11643 check digit)."""
    n = next(_id_seq)
    first17 = "420106" + "19900101" + f"{n % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def verify(user, operator=None):
    from flask import current_app

    from marketplace.verification import service as verification
    operator = operator or make_operator()
    with current_app.test_request_context():  # its notifications link to pages
        req = verification.submit_individual(user, real_name="张三", id_number=resident_id())
        verification.approve(operator, req)
        db.session.commit()
    return user


def make_verified_user(**kwargs):
    return verify(make_user(**kwargs))


def top_up(user, amount: int, operator=None) -> Funding:
    """Money into the user's wallet the way the platform does it: a bank transfer confirmed."""
    operator = operator or make_operator()
    funding = payments.start_funding(user, "wallet", user.id, "bank_transfer", amount=amount)
    db.session.commit()
    payments.confirm_bank_transfer(operator, funding.id, amount)
    db.session.commit()
    if funding.status == "pending":  # above the four-eyes amount: a second operator confirms too
        payments.confirm_bank_transfer(make_operator(), funding.id, amount)
        db.session.commit()
    return funding


def event_payload(event_type: str, obj: dict, event_id: str | None = None) -> bytes:
    event = {"id": event_id or f"evt_test_{next(_seq)}_{int(time.time() * 1000)}", "object": "event",
             "type": event_type, "created": int(time.time()), "livemode": False,
             "api_version": "2024-06-20", "data": {"object": obj}}
    return json.dumps(event).encode()


def signed_header(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> dict:
    return {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
        payload.decode(), secret, timestamp=timestamp)}


def deliver(client, event_type: str, obj: dict, event_id: str | None = None):
    """Post a signed event to /webhooks/stripe; returns the response."""
    payload = event_payload(event_type, obj, event_id)
    return client.post("/webhooks/stripe", data=payload, headers=signed_header(payload),
                       content_type="application/json")
