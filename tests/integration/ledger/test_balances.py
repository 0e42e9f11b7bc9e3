"""Maintained balances: `ledger_accounts.balance` is the sum of the account's entries after any
sequence of postings (hypothesis), whoever inserts the entries, and under races on PostgreSQL a
wallet is never overdrawn, even by debits written past the service."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from marketplace.core.errors import Conflict, ValidationFailed, WrongState
from marketplace.extensions import db
from marketplace.ledger import service
from marketplace.ledger.models import LedgerAccount, LedgerEntry
from marketplace.ledger.verify import verify
from tests.factories_ledger import fund_escrow, fund_wallet, key
from tests.races import race_services

POSTER = ("user", 1)
SOLVER = ("user", 2)
THREADS = 24


def maintained_and_summed() -> tuple[dict, dict]:
    """({code: maintained balance}, {code: sum of entries}) over every maintained account (all but
    cash and revenue)."""
    maintained = dict(db.session.execute(db.select(LedgerAccount.code, LedgerAccount.balance)
                                         .where(LedgerAccount.kind.not_in(("cash", "revenue")))).all())
    summed = dict(db.session.execute(
        db.select(LedgerAccount.code, db.func.coalesce(db.func.sum(LedgerEntry.amount), 0))
        .outerjoin(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind.not_in(("cash", "revenue")))
        .group_by(LedgerAccount.code)).all())
    return maintained, summed


def _empty_ledger():
    db.session.rollback()
    tables = ("ledger_reversals", "ledger_hold_resolutions", "ledger_holds", "ledger_entries",
              "ledger_transactions", "ledger_accounts")
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()


# One posting: (operation, owner index, amount). Refused ones (too little money, already resolved)
# must leave every balance as it was.
operations = st.lists(st.tuples(
    st.sampled_from(["fund_wallet", "payout", "complete", "fail", "to_escrow", "fund_card", "release",
                     "refund", "split", "reverse"]),
    st.integers(min_value=0, max_value=2),
    st.integers(min_value=1, max_value=40_000)), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_balance_equals_the_sum_of_entries_after_any_postings(app, steps):
    _empty_ledger()
    owners = [("user", 1), ("user", 2), ("org", 1)]
    payouts, holds, fundings = [], [], []
    for n, (op, who, amount) in enumerate(steps):
        owner = owners[who]
        try:
            if op == "fund_wallet":
                fundings.append(service.fund_wallet(owner, amount, channel="bank", idempotency_key=key()).id)
            elif op == "payout":
                service.request_payout(owner, amount, payout_ref=f"payout:{n}", idempotency_key=key())
                payouts.append(f"payout:{n}")
            elif op in ("complete", "fail") and payouts:
                ref = payouts.pop(amount % len(payouts))
                if op == "complete":
                    service.complete_payout(ref, idempotency_key=key())
                else:
                    service.fail_payout(ref, idempotency_key=key())
            elif op in ("to_escrow", "fund_card"):
                service.fund_escrow(f"claim:{n}", owner, amount, channel="wallet" if op == "to_escrow" else "card",
                                    idempotency_key=key())
                holds.append(f"claim:{n}")
            elif op in ("release", "refund", "split") and holds:
                ref = holds.pop(amount % len(holds))
                if op == "release":
                    service.release(ref, owners[(who + 1) % 3], idempotency_key=key(), fee_bps=1000)
                elif op == "refund":
                    service.refund(ref, idempotency_key=key())
                else:
                    service.split(ref, owners[(who + 1) % 3], amount % 101, idempotency_key=key(), fee_bps=500)
            elif op == "reverse" and fundings:
                service.reverse(fundings.pop(amount % len(fundings)), idempotency_key=key())
            db.session.commit()
        except (ValidationFailed, WrongState):
            db.session.rollback()
        maintained, summed = maintained_and_summed()
        assert maintained == summed, (op, maintained, summed)
        assert all(v >= 0 for code, v in maintained.items() if not code.startswith("cash:"))
        for o in owners:
            assert service.wallet_balance(o) == summed.get(f"wallet:{o[0]}:{o[1]}", 0)
    report = verify()
    assert report.ok, report.format()


def test_readers_use_the_maintained_balance(app):
    fund_wallet(POSTER, 5000)
    fund_escrow("milestone:1", POSTER, 3000, channel="wallet")
    service.request_payout(POSTER, 500, payout_ref="payout:1", idempotency_key=key())
    db.session.commit()
    assert service.wallet_balance(POSTER) == 1500
    assert service.escrow_balance("milestone:1") == 3000
    assert service.balance(service.wallet_account(POSTER)) == 1500
    assert service.wallet_summary(POSTER) == {"currency": "CNY", "available": 1500, "held": 3000,
                                              "pending_payout": 500}
    lines = service.wallet_lines(POSTER)
    assert [(line.amount, line.balance_after) for line in lines] == [(-500, 1500), (-3000, 2000), (5000, 5000)]
    page2 = service.wallet_lines(POSTER, limit=2, before_id=lines[0].id)
    assert [(line.amount, line.balance_after) for line in page2] == [(-3000, 2000), (5000, 5000)]


def test_a_debit_past_the_service_cannot_overdraw_a_wallet(app):
    fund_wallet(POSTER, 1000)
    wallet = service.wallet_account(POSTER).id
    bank = service._find_account("cash:bank", "CNY").id
    db.session.execute(text(
        "insert into ledger_transactions (kind, idempotency_key, request_hash, ref, created_at) "
        "values ('refund', 'sql:over', 'x', 'x:1', CURRENT_TIMESTAMP)"))
    txn = db.session.execute(text("select id from ledger_transactions where idempotency_key = 'sql:over'")).scalar()
    with pytest.raises(IntegrityError) as exc:
        db.session.execute(text(
            "insert into ledger_entries (transaction_id, account_id, amount, currency) "
            "values (:t, :w, -1001, 'CNY'), (:t, :b, 1001, 'CNY')"), {"t": txn, "w": wallet, "b": bank})
    assert "balance_not_negative" in str(exc.value)
    db.session.rollback()
    assert service.wallet_balance(POSTER) == 1000
    assert verify().ok


# --- PostgreSQL ------------------------------------------------------------------------------------

def _race(app, work, threads=THREADS):
    return race_services(app, work, threads)


def test_threads_debiting_one_wallet_never_take_it_below_zero(app, postgres_only):
    fund_wallet(SOLVER, 7000)

    def work(i):
        if i % 3 == 0:
            return service.fund_escrow(f"claim:{i}", SOLVER, 1000, channel="wallet", idempotency_key=f"esc:{i}").id
        return service.request_payout(SOLVER, 1000, payout_ref=f"payout:{i}", idempotency_key=f"pay:{i}").id

    results = _race(app, work)
    wins = [r for r in results if r[0] == "ok"]
    losses = [r[1] for r in results if r[0] == "err"]
    assert len(wins) == 7
    assert all(isinstance(e, ValidationFailed) and "amount" in e.errors for e in losses), losses
    assert service.wallet_balance(SOLVER) == 0
    maintained, summed = maintained_and_summed()
    assert maintained == summed
    report = verify()
    assert report.ok, report.format()


def test_threads_debiting_one_wallet_past_the_service_are_stopped_by_the_database(app, postgres_only):
    """No lock, no check in the application: 24 hand-written debits of 1000 race for 10000; the
    CHECK constraint on the maintained balance lets exactly ten through."""
    fund_wallet(SOLVER, 10000)
    wallet = service.wallet_account(SOLVER).id
    bank = service._find_account("cash:bank", "CNY").id

    def work(i):
        txn = db.session.execute(text(
            "insert into ledger_transactions (kind, idempotency_key, request_hash, ref, created_at) "
            "values ('payout_request', :k, 'x', 'x:1', now()) returning id"), {"k": f"sql:{i}"}).scalar()
        db.session.execute(text(
            "insert into ledger_entries (transaction_id, account_id, amount, currency) "
            "values (:t, :w, -1000, 'CNY'), (:t, :b, 1000, 'CNY')"), {"t": txn, "w": wallet, "b": bank})

    results = _race(app, work)
    losses = [r[1] for r in results if r[0] == "err"]
    assert len([r for r in results if r[0] == "ok"]) == 10
    assert all(isinstance(e, IntegrityError) and "balance_not_negative" in str(e) for e in losses), losses
    assert service.wallet_balance(SOLVER) == 0
    maintained, summed = maintained_and_summed()
    assert maintained == summed
    assert verify().ok


def test_mixed_postings_on_one_owner_neither_deadlock_nor_drift(app, postgres_only):
    """Payout requests (wallet, then payout account), failed payouts (back into the wallet), escrow
    fundings from the wallet, refunds and releases into it, all at once: each one either posts or
    is refused cleanly, and the balances still equal the entries."""
    fund_wallet(POSTER, 20000)
    for n in range(6):
        service.request_payout(POSTER, 500, payout_ref=f"payout:old:{n}", idempotency_key=f"old:{n}")
        service.fund_escrow("bounty:9", POSTER, 400, channel="wallet", idempotency_key=f"b9:{n}",
                            holds=[(f"bounty:9:prize:{n}", 400)])
    db.session.commit()

    def work(i):
        n = i // 4
        match i % 4:
            case 0:
                return service.request_payout(POSTER, 700, payout_ref=f"payout:new:{i}", idempotency_key=f"p:{i}").id
            case 1:
                return service.fail_payout(f"payout:old:{n}", idempotency_key=f"f:{i}").id
            case 2:
                return service.fund_escrow("bounty:9", POSTER, 300, channel="wallet", idempotency_key=f"e:{i}",
                                           holds=[(f"bounty:9:more:{i}", 300)]).id
            case _:
                if n % 2:
                    return service.refund(f"bounty:9:prize:{n}", idempotency_key=f"r:{i}").id
                return service.release(f"bounty:9:prize:{n}", SOLVER, idempotency_key=f"r:{i}", fee_bps=0).id

    results = _race(app, work)
    problems = [r[1] for r in results if r[0] == "err" and not isinstance(r[1], (ValidationFailed, WrongState))]
    assert problems == []
    assert [r for r in results if r[0] == "ok"]
    maintained, summed = maintained_and_summed()
    assert maintained == summed
    report = verify()
    assert report.ok, report.format()
    assert not any(isinstance(r[1], Conflict) for r in results if r[0] == "err")


@pytest.mark.parametrize("statement", [
    "update ledger_accounts set balance = balance + 1 where code = 'wallet:user:1'",
    "insert into ledger_accounts (code, currency, kind, owner_type, owner_id, status, created_at, balance) "
    "values ('wallet:user:99', 'CNY', 'wallet', 'user', 99, 'open', now(), 500)",
])
def test_a_balance_written_by_hand_is_refused(postgres_only, statement):
    fund_wallet(POSTER, 1000)
    with pytest.raises(DBAPIError) as exc:
        db.session.execute(text(statement))
    assert "post entries instead" in str(exc.value)
    db.session.rollback()
    assert service.wallet_balance(POSTER) == 1000
    assert verify().ok
