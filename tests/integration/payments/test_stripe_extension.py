"""The Connect extension of the local Stripe (tests/stripe_server.py), through the real SDK:
accounts, transfers limited by the platform's available balance, reversals."""
from __future__ import annotations

import pytest
import stripe

from tests.integration.payments.test_card_and_webhooks import sdk
from tests.stripe_server import flush, stripe_server  # noqa: F401


def charge(client, amount):
    intent = client.v1.payment_intents.create(params={"amount": amount, "currency": "cny"})
    client.v1.payment_intents.update(intent["id"], params={"payment_method": "pm_card_visa"})
    client.v1.payment_intents.confirm(intent["id"])
    return intent["id"]


def test_transfers_are_limited_by_the_available_balance_and_can_be_reversed(stripe_server):  # noqa: F811
    flush(stripe_server)
    client = sdk(stripe_server)
    account = client.v1.accounts.create(params={"type": "custom", "country": "US"})
    assert client.v1.accounts.retrieve(account["id"])["id"] == account["id"]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.transfers.create(params={"amount": 100, "currency": "cny", "destination": account["id"]})
    assert exc.value.code == "balance_insufficient"

    intent_id = charge(client, 10_000)
    transfer = client.v1.transfers.create(params={"amount": 6_000, "currency": "cny",
                                                  "destination": account["id"]})
    with pytest.raises(stripe.InvalidRequestError):  # 4,000 left
        client.v1.transfers.create(params={"amount": 4_001, "currency": "cny", "destination": account["id"]})
    client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 1_000})
    with pytest.raises(stripe.InvalidRequestError):  # 3,000 left after the refund
        client.v1.transfers.create(params={"amount": 3_001, "currency": "cny", "destination": account["id"]})

    reversal = client.v1.transfers.reversals.create(transfer["id"], params={"amount": 2_000})
    assert reversal["amount"] == 2_000
    assert client.v1.transfers.retrieve(transfer["id"])["amount_reversed"] == 2_000
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.reversals.create(transfer["id"], params={"amount": 4_001})
    assert client.v1.transfers.create(params={"amount": 5_000, "currency": "cny",
                                              "destination": account["id"]})["amount"] == 5_000
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.create(params={"amount": 1, "currency": "cny", "destination": "acct_unknown"})
    flush(stripe_server)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.retrieve(account["id"])
