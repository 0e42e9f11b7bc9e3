"""`flask ledger verify`: exit 0 on a clean ledger, 1 with a report after the data is corrupted."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import text

from marketplace.extensions import db
from marketplace.ledger import ddl, service
from marketplace.ledger.models import LedgerTransaction
from marketplace.ledger.verify import register_check, unregister_check
from tests.factories_ledger import fund_escrow, fund_wallet, key, row_counts

POSTER = ("user", 1)
SOLVER = ("user", 2)


def run_verify(app):
    return app.test_cli_runner().invoke(args=["ledger", "verify"])


def some_money():
    fund_wallet(POSTER, 20000)
    fund_escrow("milestone:1", POSTER, 10000)
    fund_escrow("bounty:2", POSTER, 3000, holds=[("bounty:2:prize:1", 2000), ("bounty:2:prize:2", 1000)])
    service.release("bounty:2:prize:1", SOLVER, idempotency_key=key())
    service.request_payout(SOLVER, 1000, payout_ref="payout:1", idempotency_key=key())
    db.session.commit()


def _account_id(code):
    return db.session.execute(text("select id from ledger_accounts where code = :c"), {"c": code}).scalar_one()


@contextmanager
def past_the_triggers():
    """Write ledger rows the way a careless hand would: with the database's guards off (on
    PostgreSQL every user trigger of the ledger tables; on SQLite the balance trigger)."""
    if db.engine.dialect.name == "postgresql":
        for table in ("ledger_entries", "ledger_accounts"):
            db.session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        yield
        for table in ("ledger_entries", "ledger_accounts"):
            db.session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    else:
        db.session.execute(text(ddl.DROP_BALANCES_SQLITE[0]))
        yield
        db.session.execute(text(ddl.SQLITE_APPLY_TRIGGER))


def _insert_entries(legs, kind="refund"):
    """Insert a transaction with the given (account code, amount) legs directly, past the service
    and the database's guards: the maintained balances do not follow."""
    txn = LedgerTransaction(kind=kind, idempotency_key=key("sql"), request_hash="x", ref="corrupt:1")
    db.session.add(txn)
    db.session.flush()
    with past_the_triggers():
        for code, amount in legs:
            db.session.execute(text(
                "insert into ledger_entries (transaction_id, account_id, amount, currency) "
                "values (:t, :a, :m, 'CNY')"), {"t": txn.id, "a": _account_id(code), "m": amount})
    db.session.commit()


def test_clean_ledger_exits_zero_and_writes_nothing(app):
    some_money()
    before = row_counts()
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert "ledger clean" in result.output
    assert "FAIL" not in result.output
    assert row_counts() == before


def test_empty_ledger_is_clean(app):
    assert run_verify(app).exit_code == 0


def test_unbalanced_entry_is_reported(app):
    some_money()
    _insert_entries([("wallet:user:1", 55)])
    result = run_verify(app)
    assert result.exit_code == 1
    assert "FAIL  trial balance is zero" in result.output
    assert "sums to 55 CNY, not 0" in result.output
    assert "ledger drift" in result.output


def test_negative_wallet_is_reported(app):
    some_money()
    _insert_entries([("wallet:user:2", -5000), ("cash:bank", 5000)])
    result = run_verify(app)
    assert result.exit_code == 1
    assert "wallet:user:2 (CNY) is negative: -4200" in result.output
    assert "wallet:user:2 (CNY) has balance 800 but its entries add up to -4200" in result.output
    assert "FAIL  trial balance" not in result.output


def test_tampered_balance_is_reported_by_name(app):
    some_money()
    with past_the_triggers():
        db.session.execute(text("update ledger_accounts set balance = balance + 700 "
                                "where code = 'escrow:milestone:1'"))
    db.session.commit()
    result = run_verify(app)
    assert result.exit_code == 1
    assert "FAIL  balances equal the sum of their entries" in result.output
    assert "escrow:milestone:1 (CNY) has balance 10700 but its entries add up to 10000" in result.output
    assert "wallet:user:1" not in result.output


def test_entries_inserted_by_hand_move_the_balance_and_stay_clean(app):
    some_money()
    txn = LedgerTransaction(kind="refund", idempotency_key=key("sql"), request_hash="x", ref="hand:1")
    db.session.add(txn)
    db.session.flush()
    for code, amount in (("wallet:user:1", 250), ("cash:bank", -250)):
        db.session.execute(text(
            "insert into ledger_entries (transaction_id, account_id, amount, currency) "
            "values (:t, :a, :m, 'CNY')"), {"t": txn.id, "a": _account_id(code), "m": amount})
    db.session.commit()
    assert service.wallet_balance(POSTER) == 20000 + 250
    result = run_verify(app)
    assert result.exit_code == 0, result.output


def test_escrow_drifting_from_its_holds_is_reported(app):
    some_money()
    _insert_entries([("escrow:milestone:1", -1), ("wallet:user:1", 1)])
    result = run_verify(app)
    assert result.exit_code == 1
    assert "escrow:milestone:1 holds 9999 CNY but its open holds add up to 10000" in result.output


def test_closed_escrow_with_money_and_hold_without_resolution_are_reported(app):
    some_money()
    db.session.execute(text("update ledger_accounts set status = 'closed', closed_at = created_at "
                            "where code = 'escrow:milestone:1'"))
    db.session.execute(text("update ledger_holds set status = 'released', resolved_at = created_at "
                            "where ref = 'bounty:2:prize:2'"))
    db.session.commit()
    result = run_verify(app)
    assert result.exit_code == 1
    assert "escrow:milestone:1 is closed but holds 10000 CNY" in result.output
    assert "hold bounty:2:prize:2 is released but its resolution is missing" in result.output


def test_registered_check_problems_make_verify_fail(app):
    some_money()
    register_check("stripe payments funded once", lambda: iter(["payment pi_123 has 2 funding transactions"]))
    try:
        result = run_verify(app)
    finally:
        unregister_check("stripe payments funded once")
    assert result.exit_code == 1
    assert "FAIL  stripe payments funded once" in result.output
    assert "payment pi_123 has 2 funding transactions" in result.output
    register_check("quiet check", lambda: iter(()))
    try:
        result = run_verify(app)
    finally:
        unregister_check("quiet check")
    assert result.exit_code == 0
    assert "ok    quiet check" in result.output


def test_reversal_that_does_not_mirror_its_original_is_reported(app):
    from marketplace.ledger.models import Reversal

    original = fund_wallet(POSTER, 700)
    other = fund_wallet(SOLVER, 300)
    result = run_verify(app)
    assert result.exit_code == 0
    db.session.add(Reversal(original_id=original.id, reversal_id=other.id))
    db.session.commit()
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"transaction {other.id} does not exactly reverse transaction {original.id}" in result.output
