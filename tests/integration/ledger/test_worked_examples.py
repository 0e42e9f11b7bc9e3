"""Worked examples: each test tells one money story and checks every balance it touches."""
from __future__ import annotations

import pytest

from marketplace.core.errors import ValidationFailed, WrongState
from marketplace.extensions import db
from marketplace.ledger import service
from marketplace.ledger.models import Hold, LedgerAccount, LedgerTransaction
from marketplace.ledger.verify import verify
from tests.factories import make_user
from tests.factories_ledger import fund_escrow, fund_wallet, key

REVENUE = "revenue:fees"


def revenue(currency="CNY") -> int:
    account = db.session.execute(
        db.select(LedgerAccount).filter_by(code=REVENUE, currency=currency)).scalar_one_or_none()
    return 0 if account is None else service.balance(account)


def cash(channel_code: str, currency="CNY") -> int:
    account = db.session.execute(
        db.select(LedgerAccount).filter_by(code=channel_code, currency=currency)).scalar_one_or_none()
    return 0 if account is None else service.balance(account)


def assert_clean():
    report = verify()
    assert report.ok, report.format()


def test_milestone_funded_by_card_is_released_to_solver_minus_exact_fee():
    poster, solver = make_user(), make_user()
    fund_escrow("milestone:12", poster, 123457, channel="card")
    assert service.escrow_balance("milestone:12") == 123457
    assert service.wallet_summary(poster)["held"] == 123457

    txn = service.release("milestone:12", solver, idempotency_key=key(), actor=poster)
    db.session.commit()

    assert txn.kind == "release" and txn.ref == "milestone:12" and txn.actor_id == poster.id
    assert sorted(e.amount for e in txn.entries) == [-123457, 12345, 111112]
    assert service.wallet_balance(solver) == 111112  # 1,234.57 - fee 123.45
    assert revenue() == 12345
    assert cash("cash:stripe") == -123457
    assert service.escrow_balance("milestone:12") == 0
    assert service.escrow_account("milestone:12").status == "closed"
    assert service.get_hold("milestone:12").status == "released"
    assert service.wallet_summary(poster) == {"currency": "CNY", "available": 0, "held": 0,
                                              "pending_payout": 0}
    assert_clean()


def test_claim_funded_by_bank_transfer_is_refunded_to_poster_wallet():
    poster = make_user()
    fund_escrow("claim:7", poster, 8800, channel="bank")
    txn = service.refund("claim:7", idempotency_key=key())
    db.session.commit()
    assert txn.kind == "refund"
    assert service.wallet_balance(poster) == 8800
    assert cash("cash:bank") == -8800
    assert service.escrow_balance("claim:7") == 0
    assert service.escrow_account("claim:7").status == "closed"
    assert revenue() == 0
    assert_clean()


def test_card_refund_goes_back_to_the_card_channel_when_asked():
    poster = make_user()
    fund_escrow("claim:8", poster, 5000, channel="card")
    service.refund("claim:8", idempotency_key=key(), to="card")
    db.session.commit()
    assert cash("cash:stripe") == 0
    assert service.wallet_balance(poster) == 0
    assert_clean()


def test_operator_split_of_37_percent_charges_fee_on_solver_part_only():
    poster, solver = make_user(), make_user()
    fund_escrow("milestone:30", poster, 123457, channel="card")
    txn = service.split("milestone:30", solver, 37, idempotency_key=key())
    db.session.commit()
    # 37% of 1,234.57 = 456.7909 -> 456.79 to the solver side (largest remainder), 777.78 back.
    solver_part, poster_part = 45679, 77778
    assert solver_part + poster_part == 123457
    fee = 4567  # 10% of 456.79 rounded down
    assert service.wallet_balance(solver) == solver_part - fee
    assert service.wallet_balance(poster) == poster_part
    assert revenue() == fee
    assert sum(e.amount for e in txn.entries) == 0
    assert service.get_hold("milestone:30").status == "split"
    assert service.escrow_account("milestone:30").status == "closed"
    assert_clean()


def test_split_parts_always_sum_to_the_whole_for_every_percentage():
    poster, solver = make_user(), make_user()
    amount = 99_999
    for percent in range(0, 101, 7):
        ref = f"claim:{1000 + percent}"
        fund_escrow(ref, poster, amount)
        txn = service.split(ref, solver, percent, idempotency_key=key())
        db.session.commit()
        credits = [e.amount for e in txn.entries if e.amount > 0]
        assert sum(credits) == amount
    assert_clean()


def test_split_by_exact_solver_amount():
    poster, solver = make_user(), make_user()
    fund_escrow("milestone:31", poster, 10000)
    service.split("milestone:31", solver, solver_amount=2500, idempotency_key=key(), fee_bps=0)
    db.session.commit()
    assert service.wallet_balance(solver) == 2500
    assert service.wallet_balance(poster) == 7500
    assert_clean()


def test_wallet_pays_escrow_released_then_solver_is_paid_out():
    poster, solver = make_user(), make_user()
    fund_wallet(poster, 50000, channel="card")
    service.move_wallet_to_escrow("milestone:40", poster, 20000, idempotency_key=key())
    db.session.commit()
    assert service.wallet_summary(poster) == {"currency": "CNY", "available": 30000, "held": 20000,
                                              "pending_payout": 0}
    service.release("milestone:40", solver, idempotency_key=key())
    db.session.commit()
    assert service.wallet_balance(solver) == 18000

    service.request_payout(solver, 15000, payout_ref="payout:1", idempotency_key=key())
    db.session.commit()
    assert service.wallet_summary(solver) == {"currency": "CNY", "available": 3000, "held": 0,
                                              "pending_payout": 15000}
    assert_clean()

    txn = service.complete_payout("payout:1", channel="bank", idempotency_key=key())
    db.session.commit()
    assert txn.kind == "payout_complete"
    assert service.wallet_summary(solver)["pending_payout"] == 0
    assert service.wallet_balance(solver) == 3000
    assert cash("cash:bank") == 15000  # the money left through the bank
    assert service.get_hold("payout:1").status == "paid"
    assert_clean()


def test_failed_payout_returns_the_money_to_the_wallet():
    solver = make_user()
    fund_wallet(solver, 9000)
    service.request_payout(solver, 9000, payout_ref="payout:2", idempotency_key=key())
    db.session.commit()
    assert service.wallet_balance(solver) == 0
    service.fail_payout("payout:2", idempotency_key=key())
    db.session.commit()
    assert service.wallet_summary(solver) == {"currency": "CNY", "available": 9000, "held": 0,
                                              "pending_payout": 0}
    assert service.get_hold("payout:2").status == "failed"
    assert_clean()


def test_ranked_bounty_releases_first_and_second_and_refunds_unclaimed_third_prize():
    poster, first, second = make_user(), make_user(), make_user()
    prizes = [("bounty:3:prize:1", 50000), ("bounty:3:prize:2", 30000), ("bounty:3:prize:3", 20000)]
    fund_escrow("bounty:3", poster, 100000, channel="card", holds=prizes)
    assert [h.ref for h in service.escrow_holds("bounty:3")] == [r for r, _a in prizes]

    service.release("bounty:3:prize:1", first, idempotency_key=key())
    service.release("bounty:3:prize:2", second, idempotency_key=key())
    db.session.commit()
    assert service.escrow_balance("bounty:3") == 20000
    assert service.escrow_account("bounty:3").status == "open"

    service.refund("bounty:3:prize:3", idempotency_key=key())
    db.session.commit()
    assert service.wallet_balance(first) == 45000
    assert service.wallet_balance(second) == 27000
    assert service.wallet_balance(poster) == 20000
    assert revenue() == 8000
    assert service.escrow_balance("bounty:3") == 0
    assert service.escrow_account("bounty:3").status == "closed"
    assert_clean()


def test_bounty_rest_refunded_in_one_transaction():
    poster, winner = make_user(), make_user()
    fund_escrow("bounty:4", poster, 9000, holds=[("bounty:4:prize:1", 5000), ("bounty:4:prize:2", 3000),
                                                 ("bounty:4:prize:3", 1000)])
    service.release("bounty:4:prize:1", winner, idempotency_key=key())
    txn = service.refund_escrow("bounty:4", idempotency_key=key())
    db.session.commit()
    assert sorted(e.amount for e in txn.entries) == [-3000, -1000, 1000, 3000]
    assert service.wallet_balance(poster) == 4000
    assert {h.ref: h.status for h in service.escrow_holds("bounty:4")} == {
        "bounty:4:prize:1": "released", "bounty:4:prize:2": "refunded", "bounty:4:prize:3": "refunded"}
    assert service.escrow_account("bounty:4").status == "closed"
    assert_clean()


def test_piece_bounty_releases_unit_price_one_acceptance_at_a_time():
    poster = make_user()
    solvers = [make_user() for _ in range(3)]
    unit, pieces = 1999, 5
    fund_escrow("bounty:5", poster, unit * pieces,
                holds=[(f"bounty:5:piece:{n}", unit) for n in range(1, pieces + 1)])
    for n, solver in enumerate(solvers, 1):
        service.release(f"bounty:5:piece:{n}", solver, idempotency_key=key(), category="translation",
                        fee_bps=500)
        db.session.commit()
        assert service.escrow_balance("bounty:5") == unit * (pieces - n)
        assert service.wallet_balance(solver) == unit - 99  # 5% of 19.99 rounded down = 0.99
    service.refund_escrow("bounty:5", idempotency_key=key())
    db.session.commit()
    assert service.wallet_balance(poster) == 2 * unit
    assert revenue() == 3 * 99
    open_holds = db.session.query(Hold).filter_by(status="open").count()
    assert open_holds == 0
    assert_clean()


def test_organisation_wallet_funds_escrow():
    org = ("org", 77)
    fund_wallet(org, 30000)
    service.move_wallet_to_escrow("milestone:50", org, 30000, idempotency_key=key())
    db.session.commit()
    assert service.wallet_summary(org) == {"currency": "CNY", "available": 0, "held": 30000,
                                           "pending_payout": 0}
    service.refund("milestone:50", idempotency_key=key())
    db.session.commit()
    assert service.wallet_balance(org) == 30000
    assert_clean()


def test_wallet_lines_show_running_balance_newest_first_and_page_by_before_id():
    user = make_user()
    fund_wallet(user, 10000)
    fund_wallet(user, 2500)
    service.move_wallet_to_escrow("claim:60", user, 4000, idempotency_key=key())
    db.session.commit()
    service.refund("claim:60", idempotency_key=key())
    db.session.commit()

    lines = service.wallet_lines(user)
    assert [(line.kind, line.amount, line.balance_after) for line in lines] == [
        ("refund", 4000, 12500), ("fund_escrow", -4000, 8500), ("fund_wallet", 2500, 12500),
        ("fund_wallet", 10000, 10000)]
    assert lines[1].ref == "claim:60"

    page1 = service.wallet_lines(user, limit=2)
    page2 = service.wallet_lines(user, limit=2, before_id=page1[-1].id)
    assert [line.balance_after for line in page1 + page2] == [12500, 8500, 12500, 10000]
    assert service.wallet_lines(user, limit=2, before_id=page2[-1].id) == []
    assert service.wallet_lines(make_user()) == []


def test_wallet_lines_take_two_queries_whatever_the_page_size():
    from sqlalchemy import event

    user = make_user()
    for _ in range(30):
        fund_wallet(user, 100)
    owner = ("user", user.id)  # loaded now, so only ledger queries are counted below
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        lines = service.wallet_lines(owner, limit=25)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(lines) == 25 and lines[0].balance_after == 3000 and lines[-1].balance_after == 600
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 3


def test_fee_override_per_category(app):
    poster, solver = make_user(), make_user()
    app.config["PLATFORM_FEE_BPS_BY_CATEGORY"] = "tutoring=500, delivery=0"
    try:
        fund_escrow("claim:70", poster, 10001)
        fund_escrow("claim:71", poster, 10001)
        service.release("claim:70", solver, idempotency_key=key(), category="tutoring")
        service.release("claim:71", solver, idempotency_key=key(), category="delivery")
        db.session.commit()
    finally:
        app.config["PLATFORM_FEE_BPS_BY_CATEGORY"] = ""
    assert revenue() == 500  # 5% of 100.01 rounded down; delivery pays none
    assert service.wallet_balance(solver) == 10001 - 500 + 10001
    assert_clean()


def test_transfer_entries_are_visible_before_commit_for_new_and_known_accounts():
    first = service.fund_wallet(("user", 5), 500, channel="card", idempotency_key=key())
    assert sorted(e.amount for e in first.entries) == [-500, 500]  # accounts created on the way
    second = service.fund_wallet(("user", 5), 700, channel="card", idempotency_key=key())
    assert sorted(e.amount for e in second.entries) == [-700, 700]  # accounts found by code
    assert {e.currency for e in second.entries} == {"CNY"}
    assert service.wallet_balance(("user", 5)) == 1200
    db.session.commit()
    assert_clean()


def test_bank_transfer_confirmed_by_mistake_is_reversed_once():
    user = make_user()
    mistaken = fund_wallet(user, 6000, channel="bank")
    k = key()
    reversal = service.reverse(mistaken, idempotency_key=k)
    db.session.commit()
    assert reversal.kind == "reversal"
    assert sorted(e.amount for e in reversal.entries) == [-6000, 6000]
    assert service.wallet_balance(user) == 0
    assert cash("cash:bank") == 0
    assert service.reverse(mistaken.id, idempotency_key=k).id == reversal.id  # a retry
    with pytest.raises(WrongState):
        service.reverse(mistaken, idempotency_key=key())
    db.session.rollback()
    assert_clean()


def test_reversal_refuses_spent_money_and_held_money():
    user = make_user()
    funding = fund_wallet(user, 5000)
    service.move_wallet_to_escrow("claim:80", user, 4000, idempotency_key=key())
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        service.reverse(funding, idempotency_key=key())
    assert "amount" in exc.value.errors
    db.session.rollback()
    escrow_funding = db.session.execute(
        db.select(LedgerTransaction).filter_by(kind="fund_escrow")).scalar_one()
    with pytest.raises(WrongState):
        service.reverse(escrow_funding, idempotency_key=key())
    db.session.rollback()
    assert service.wallet_balance(user) == 1000
    assert_clean()


def test_open_escrow_can_be_topped_up_with_a_new_purpose():
    poster, winner = make_user(), make_user()
    fund_escrow("bounty:9", poster, 5000, holds=[("bounty:9:prize:1", 5000)])
    fund_escrow("bounty:9", poster, 2000, channel="bank", holds=[("bounty:9:prize:2", 2000)])
    assert service.escrow_balance("bounty:9") == 7000
    assert service.wallet_summary(poster)["held"] == 7000
    service.release("bounty:9:prize:2", winner, idempotency_key=key())
    db.session.commit()
    assert service.escrow_balance("bounty:9") == 5000
    assert service.escrow_account("bounty:9").status == "open"
    assert_clean()
