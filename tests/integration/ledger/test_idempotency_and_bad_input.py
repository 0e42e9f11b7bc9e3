"""Retries with the same key post once; bad input is refused with a field-named 422 and writes
nothing."""
from __future__ import annotations

import pytest

from marketplace.core.errors import NotFound, ValidationFailed, WrongState
from marketplace.core.money import MAX_AMOUNT
from marketplace.extensions import db
from marketplace.ledger import service
from marketplace.ledger.verify import verify
from tests.factories import make_user
from tests.factories_ledger import fund_escrow, fund_wallet, key, row_counts

POSTER = ("user", 1)
SOLVER = ("user", 2)


def test_same_key_same_parameters_returns_the_first_transaction_and_writes_nothing():
    fund_escrow("milestone:1", POSTER, 10000)
    k = key()
    first = service.release("milestone:1", SOLVER, idempotency_key=k)
    db.session.commit()
    before = row_counts()
    again = service.release("milestone:1", SOLVER, idempotency_key=k)
    assert again.id == first.id
    assert row_counts() == before
    assert service.wallet_balance(SOLVER) == 9000


@pytest.mark.parametrize("call", ["fund_wallet", "fund_escrow", "request_payout"])
def test_same_key_retry_of_every_writer_posts_once(call):
    fund_wallet(POSTER, 50000)
    k = key()
    calls = {
        "fund_wallet": lambda: service.fund_wallet(POSTER, 700, channel="card", idempotency_key=k),
        "fund_escrow": lambda: service.move_wallet_to_escrow("claim:2", POSTER, 700, idempotency_key=k),
        "request_payout": lambda: service.request_payout(POSTER, 700, payout_ref="payout:9",
                                                         idempotency_key=k),
    }
    first = calls[call]()
    db.session.commit()
    before = row_counts()
    assert calls[call]().id == first.id
    db.session.commit()
    assert row_counts() == before
    assert verify().ok


def test_same_key_with_other_parameters_is_refused_with_422():
    fund_escrow("milestone:3", POSTER, 10000)
    k = key()
    service.release("milestone:3", SOLVER, idempotency_key=k)
    db.session.commit()
    before = row_counts()
    with pytest.raises(ValidationFailed) as exc:
        service.release("milestone:3", ("user", 99), idempotency_key=k)
    assert exc.value.status == 422 and "idempotency_key" in exc.value.errors
    with pytest.raises(ValidationFailed):
        service.fund_wallet(POSTER, 5, channel="bank", idempotency_key=k)
    assert row_counts() == before


def test_second_resolution_of_a_hold_is_wrong_state():
    fund_escrow("milestone:4", POSTER, 10000)
    service.release("milestone:4", SOLVER, idempotency_key=key())
    db.session.commit()
    before = row_counts()
    with pytest.raises(WrongState):
        service.refund("milestone:4", idempotency_key=key())
    with pytest.raises(WrongState):
        service.split("milestone:4", SOLVER, 50, idempotency_key=key())
    with pytest.raises(WrongState):
        service.refund_escrow("milestone:4", idempotency_key=key())
    assert row_counts() == before


def test_funding_a_closed_escrow_is_wrong_state_and_unknown_hold_is_not_found():
    fund_escrow("claim:5", POSTER, 100)
    service.refund("claim:5", idempotency_key=key())
    db.session.commit()
    with pytest.raises(WrongState):
        service.fund_escrow("claim:5", POSTER, 100, channel="card", idempotency_key=key(),
                            holds=[("claim:5:again", 100)])
    db.session.rollback()
    with pytest.raises(NotFound):
        service.release("claim:404", SOLVER, idempotency_key=key())


BAD_AMOUNTS = [0, -1, 10.5, "100", True, None, MAX_AMOUNT + 1]


def _assert_422(fn, field):
    before = row_counts()
    with pytest.raises(ValidationFailed) as exc:
        fn()
    assert exc.value.status == 422
    assert field in exc.value.errors, exc.value.errors
    assert row_counts() == before
    db.session.rollback()
    assert row_counts() == before


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bad_amounts_are_refused_naming_amount(amount):
    fund_wallet(POSTER, 10000)
    _assert_422(lambda: service.fund_escrow("claim:6", POSTER, amount, channel="card",
                                            idempotency_key=key()), "amount")
    _assert_422(lambda: service.fund_wallet(POSTER, amount, channel="bank", idempotency_key=key()), "amount")
    _assert_422(lambda: service.move_wallet_to_escrow("claim:6", POSTER, amount, idempotency_key=key()),
                "amount")
    _assert_422(lambda: service.request_payout(POSTER, amount, payout_ref="payout:6", idempotency_key=key()),
                "amount")


def test_wallet_debits_above_the_balance_are_refused():
    fund_wallet(POSTER, 10000)
    _assert_422(lambda: service.move_wallet_to_escrow("claim:7", POSTER, 10001, idempotency_key=key()),
                "amount")
    _assert_422(lambda: service.request_payout(POSTER, 10001, payout_ref="payout:7", idempotency_key=key()),
                "amount")
    # A wallet that never received money
    _assert_422(lambda: service.request_payout(("org", 5), 1, payout_ref="payout:8", idempotency_key=key()),
                "amount")
    assert service.wallet_balance(POSTER) == 10000


def test_amount_above_the_held_sum_is_refused():
    fund_escrow("milestone:8", POSTER, 5000)
    _assert_422(lambda: service.split("milestone:8", SOLVER, solver_amount=5001, idempotency_key=key()),
                "amount")
    _assert_422(lambda: service.fund_escrow("bounty:8", POSTER, 5000, channel="card", idempotency_key=key(),
                                            holds=[("bounty:8:prize:1", 3000), ("bounty:8:prize:2", 2001)]),
                "amount")
    _assert_422(lambda: service.split("milestone:8", SOLVER, 101, idempotency_key=key()), "solver_percent")
    assert service.get_hold("milestone:8").is_open


def test_currency_other_than_the_escrows_is_refused_naming_currency():
    fund_escrow("milestone:9", POSTER, 5000, currency="CNY")
    _assert_422(lambda: service.fund_escrow("milestone:9", POSTER, 100, "USD", channel="card",
                                            idempotency_key=key(), holds=[("milestone:9:extra", 100)]),
                "currency")
    _assert_422(lambda: service.fund_wallet(POSTER, 100, "XYZ", channel="card", idempotency_key=key()),
                "currency")


def test_other_bad_fields_are_named():
    fund_escrow("milestone:10", POSTER, 5000, channel="bank")
    _assert_422(lambda: service.fund_escrow("milestone:11", POSTER, 100, channel="cash",
                                            idempotency_key=key()), "channel")
    _assert_422(lambda: service.fund_escrow("not a ref", POSTER, 100, channel="card",
                                            idempotency_key=key()), "ref")
    _assert_422(lambda: service.refund("milestone:10", idempotency_key=key(), to="card"), "to")
    _assert_422(lambda: service.fund_wallet(POSTER, 100, channel="card", idempotency_key=""),
                "idempotency_key")
    _assert_422(lambda: service.release("milestone:10", SOLVER, idempotency_key=key(), fee_bps=10001),
                "fee_bps")


def test_owner_may_be_a_user_instance_or_a_tuple():
    user = make_user()
    fund_wallet(user, 300)
    assert service.wallet_balance(("user", user.id)) == 300
    assert service.owner_key(user) == ("user", user.id)
    with pytest.raises(TypeError):
        service.owner_key(("team", 1))


def test_retry_after_a_fee_change_returns_the_first_release(app):
    fund_escrow("milestone:12", POSTER, 10000)
    k = key()
    first = service.release("milestone:12", SOLVER, idempotency_key=k, category="design")
    db.session.commit()
    saved, app.config["PLATFORM_FEE_BPS"] = app.config["PLATFORM_FEE_BPS"], 500
    try:
        assert service.release("milestone:12", SOLVER, idempotency_key=k, category="design").id == first.id
    finally:
        app.config["PLATFORM_FEE_BPS"] = saved
    assert service.wallet_balance(SOLVER) == 9000
