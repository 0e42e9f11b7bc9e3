"""PostgreSQL: the database refuses unbalanced or edited ledger rows, and races resolve a hold once,
post one transaction per idempotency key and never overdraw a wallet."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from marketplace.core.errors import Conflict, ValidationFailed, WrongState
from marketplace.extensions import db
from marketplace.ledger import service
from marketplace.ledger.models import HoldResolution, LedgerTransaction
from marketplace.ledger.verify import verify
from tests.factories_ledger import fund_escrow, fund_wallet, key
from tests.races import race_services

THREADS = 32
POSTER = ("user", 1)
SOLVER = ("user", 2)


def _race(app, work):
    return race_services(app, work, THREADS)


def test_unbalanced_transaction_inserted_with_sql_is_rejected_at_commit(postgres_only):
    fund_wallet(POSTER, 1000)
    wallet = service.wallet_account(POSTER).id
    db.session.execute(text(
        "insert into ledger_transactions (kind, idempotency_key, request_hash, ref, created_at) "
        "values ('refund', 'sql:1', 'x', 'x:1', now())"))
    db.session.execute(text(
        "insert into ledger_entries (transaction_id, account_id, amount, currency) "
        "values (currval('ledger_transactions_id_seq'), :a, 1, 'CNY')"), {"a": wallet})
    # Accepted statement by statement: the check is deferred to the commit...
    with pytest.raises(DBAPIError) as exc:
        db.session.commit()
    assert "does not balance" in str(exc.value)
    db.session.rollback()
    assert service.wallet_balance(POSTER) == 1000
    assert db.session.query(LedgerTransaction).filter_by(idempotency_key="sql:1").count() == 0


def test_balanced_transaction_inserted_with_sql_is_accepted(postgres_only):
    fund_wallet(POSTER, 1000)
    wallet = service.wallet_account(POSTER).id
    db.session.execute(text(
        "insert into ledger_transactions (kind, idempotency_key, request_hash, ref, created_at) "
        "values ('refund', 'sql:2', 'x', 'x:1', now())"))
    for amount in (1, -1):
        db.session.execute(text(
            "insert into ledger_entries (transaction_id, account_id, amount, currency) "
            "values (currval('ledger_transactions_id_seq'), :a, :m, 'CNY')"), {"a": wallet, "m": amount})
    db.session.commit()
    assert service.wallet_balance(POSTER) == 1000


@pytest.mark.parametrize("statement", [
    "update ledger_entries set amount = amount + 1",
    "delete from ledger_entries",
    "update ledger_transactions set ref = 'edited:1'",
    "delete from ledger_transactions",
])
def test_entries_and_transactions_cannot_be_updated_or_deleted(postgres_only, statement):
    fund_wallet(POSTER, 1000)
    with pytest.raises(DBAPIError) as exc:
        db.session.execute(text(statement))
    assert "immutable" in str(exc.value)
    db.session.rollback()
    assert service.wallet_balance(POSTER) == 1000


def test_32_threads_releasing_and_refunding_one_hold_resolve_it_once(app, postgres_only):
    fund_escrow("milestone:1", POSTER, 100000)

    def work(i):
        if i % 2:
            return service.release("milestone:1", SOLVER, idempotency_key=f"release:{i}").id
        return service.refund("milestone:1", idempotency_key=f"refund:{i}").id

    results = _race(app, work)
    wins = [r for r in results if r[0] == "ok"]
    losses = [r[1] for r in results if r[0] == "err"]
    assert len(wins) == 1
    assert len(losses) == THREADS - 1
    assert all(isinstance(e, (WrongState, Conflict)) for e in losses), losses
    assert db.session.query(HoldResolution).count() == 1
    outcome = service.get_hold("milestone:1").status
    if outcome == "released":
        assert (service.wallet_balance(SOLVER), service.wallet_balance(POSTER)) == (90000, 0)
    else:
        assert (service.wallet_balance(SOLVER), service.wallet_balance(POSTER)) == (0, 100000)
    assert service.escrow_balance("milestone:1") == 0
    report = verify()
    assert report.ok, report.format()


def test_32_threads_retrying_one_idempotency_key_post_one_transaction(app, postgres_only):
    fund_escrow("milestone:2", POSTER, 100000)
    results = _race(app, lambda i: service.release("milestone:2", SOLVER, idempotency_key="release:same").id)
    assert all(r[0] == "ok" for r in results), results
    assert len({r[1] for r in results}) == 1
    assert db.session.query(LedgerTransaction).filter_by(idempotency_key="release:same").count() == 1
    assert service.wallet_balance(SOLVER) == 90000
    assert verify().ok


def test_32_threads_funding_with_one_key_post_one_transaction(app, postgres_only):
    results = _race(app, lambda i: service.fund_escrow(
        "claim:3", POSTER, 5000, channel="card", idempotency_key="fund:same").id)
    assert all(r[0] == "ok" for r in results), results
    assert len({r[1] for r in results}) == 1
    assert service.escrow_balance("claim:3") == 5000
    assert verify().ok


def test_concurrent_payout_requests_never_overdraw_a_wallet(app, postgres_only):
    fund_wallet(SOLVER, 10000)
    results = _race(app, lambda i: service.request_payout(
        SOLVER, 1000, payout_ref=f"payout:{i}", idempotency_key=f"payout:{i}").id)
    wins = [r for r in results if r[0] == "ok"]
    losses = [r[1] for r in results if r[0] == "err"]
    assert len(wins) == 10
    assert all(isinstance(e, ValidationFailed) and "amount" in e.errors for e in losses), losses
    assert service.wallet_summary(SOLVER) == {"currency": "CNY", "available": 0, "held": 0,
                                              "pending_payout": 10000}
    assert verify().ok


def test_concurrent_wallet_to_escrow_moves_never_overdraw_a_wallet(app, postgres_only):
    fund_wallet(POSTER, 5000)
    results = _race(app, lambda i: service.move_wallet_to_escrow(
        f"claim:{100 + i % 4}", POSTER, 1000, idempotency_key=key("move"),
        holds=[(f"claim:{100 + i % 4}:part:{i}", 1000)]).id)
    assert len([r for r in results if r[0] == "ok"]) == 5
    assert service.wallet_balance(POSTER) == 0
    assert sum(service.escrow_balance(f"claim:{100 + n}") for n in range(4)) == 5000
    report = verify()
    assert report.ok, report.format()


def test_32_threads_posting_one_wallet_funding_key_post_it_once(app, postgres_only):
    fund_wallet(POSTER, 1)  # the accounts exist: the one-statement path
    results = _race(app, lambda i: service.fund_wallet(
        POSTER, 2500, channel="card", idempotency_key="wallet:same").id)
    assert all(r[0] == "ok" for r in results), results
    assert len({r[1] for r in results}) == 1
    assert service.wallet_balance(POSTER) == 2501
    assert verify().ok
