"""The posting engine: idempotent transactions, entries, holds and their resolution, wallet
debit checks. Concurrency: resolutions lock the escrow account and the hold (SELECT ... FOR UPDATE)
and flip the hold with a conditional UPDATE; the unique `HoldResolution.hold_id` is the last line.
Wallet debits lock the wallet account row and read its maintained balance (ddl.py: a trigger adds
every entry to its account's balance; a CHECK constraint keeps non-cash balances >= 0). Lock order,
everywhere: wallets, then the escrow or payout account, then the hold. The idempotency key is unique; a
concurrent insert of the same key is caught inside a SAVEPOINT and answered with the winner's
transaction."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from ..core.db import utcnow
from ..core.errors import Conflict, NotFound, WrongState
from ..extensions import db
from .accounts import (
    _account_ids,
    _actor_id,
    _bad,
    _cash_spec,
    _insert_ignoring_conflicts,
    _lock_account,
    _lock_accounts,
    _wallet_spec,
)
from .models import Hold, HoldResolution, LedgerAccount, LedgerEntry, LedgerTransaction


def _fingerprint(kind: str, params: dict) -> str:
    blob = json.dumps({"kind": kind, **params}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _replay(key: str, request_hash: str) -> LedgerTransaction | None:
    """The transaction already posted under `key`, if its parameters match; else refuse."""
    txn = db.session.execute(
        select(LedgerTransaction).where(LedgerTransaction.idempotency_key == key)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if txn is not None and txn.request_hash != request_hash:
        raise _bad("idempotency_key", _l("This idempotency key was already used for a different request."))
    return txn


_statements: dict = {}


def _transaction_insert():
    """INSERT INTO ledger_transactions ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING id,
    built once per dialect (a transfer is hot enough for statement construction to matter)."""
    dialect = db.session.get_bind().dialect.name
    stmt = _statements.get(("txn", dialect))
    if stmt is None:
        table = LedgerTransaction.__table__
        stmt = (_insert_ignoring_conflicts(table, ["idempotency_key"])
                .values({c: db.bindparam(c) for c in _TXN_COLUMNS}).returning(table.c.id))
        _statements[("txn", dialect)] = stmt
    return stmt


_TXN_COLUMNS = ("kind", "idempotency_key", "request_hash", "ref", "actor_id", "created_at")


def _insert_transaction(kind, ref, key, request_hash, actor) -> LedgerTransaction | None:
    """Insert the transaction row; None when the key exists (on PostgreSQL after waiting for a
    concurrent twin to commit). The returned object is put in the session without reloading it."""
    values = dict(kind=kind, idempotency_key=key, request_hash=request_hash, ref=ref,
                  actor_id=_actor_id(actor), created_at=utcnow())
    txn_id = db.session.execute(_transaction_insert(), values).scalar_one_or_none()
    if txn_id is None:
        return None
    txn = LedgerTransaction(id=txn_id, **values)
    make_transient_to_detached(txn)
    db.session.add(txn)
    return txn


def _entries_by_code_insert(legs: int):
    stmt = _statements.get(("entries", legs))
    if stmt is None:
        selects = [f"SELECT :code{n} AS code, :cur{n} AS currency, CAST(:amount{n} AS BIGINT) AS amount"
                   for n in range(legs)]
        stmt = db.text(
            "INSERT INTO ledger_entries (transaction_id, account_id, amount, currency) "
            "SELECT :txn, a.id, v.amount, a.currency FROM ledger_accounts a JOIN ("
            + " UNION ALL ".join(selects)
            + ") v ON a.code = v.code AND a.currency = v.currency RETURNING account_id")
        _statements[("entries", legs)] = stmt
    return stmt


def _insert_entries(txn_id: int, rows) -> None:
    """rows: (account id or _Spec, amount, currency). Accounts named by spec are looked up by code
    inside the INSERT (INSERT ... SELECT), so a transfer between known accounts costs one statement;
    accounts that do not exist yet are created and their legs inserted afterwards."""
    by_id = [dict(transaction_id=txn_id, account_id=a, amount=m, currency=c)
             for a, m, c in rows if isinstance(a, int)]
    by_spec = [(a, m, c) for a, m, c in rows if not isinstance(a, int)]
    if by_id:
        db.session.execute(db.insert(LedgerEntry), by_id)
    if not by_spec:
        return
    if len({(a.code, a.currency) for a, _m, _c in by_spec}) != len(by_spec):
        ids = _account_ids(*(a for a, _m, _c in by_spec))
        db.session.execute(db.insert(LedgerEntry), [
            dict(transaction_id=txn_id, account_id=i, amount=m, currency=c)
            for i, (_a, m, c) in zip(ids, by_spec, strict=True)])
        return
    params = {"txn": txn_id}
    for n, (spec, amount, _currency) in enumerate(by_spec):
        params.update({f"code{n}": spec.code, f"cur{n}": spec.currency, f"amount{n}": amount})
    inserted = set(db.session.execute(_entries_by_code_insert(len(by_spec)), params).scalars())
    if len(inserted) == len(by_spec):
        return
    ids = _account_ids(*(a for a, _m, _c in by_spec))  # creates the missing accounts
    db.session.execute(db.insert(LedgerEntry), [
        dict(transaction_id=txn_id, account_id=i, amount=m, currency=c)
        for i, (_a, m, c) in zip(ids, by_spec, strict=True) if i not in inserted])


def _post(kind: str, ref: str, key: str, request_hash: str, actor, legs, *, after=None) -> LedgerTransaction:
    """Insert a transaction with its entries, plus whatever `after(txn)` adds.

    legs: (account id or _Spec, amount, currency); zero amounts are dropped. The idempotency key is
    unique: when it already exists (a retry, or a concurrent twin that committed first) the
    existing transaction is returned if its parameters match (422 otherwise) and nothing is
    written. With `after` (holds, resolutions) everything runs in a SAVEPOINT, so a unique
    violation there becomes a Conflict and leaves the caller's unit of work usable.
    """
    rows = [(a, amount, cur) for a, amount, cur in legs if amount != 0]
    totals: dict[str, int] = {}
    for _a, amount, cur in rows:
        totals[cur] = totals.get(cur, 0) + amount
    if not rows or any(totals.values()):  # a programming error, never user input
        raise RuntimeError(f"unbalanced ledger posting {kind} {ref}: {rows}")
    if after is None and all(not isinstance(a, int) for a, _m, _c in rows) \
            and db.session.get_bind().dialect.driver == "psycopg":
        return _post_in_one_statement(kind, ref, key, request_hash, actor, rows)
    if after is None:
        txn = _insert_transaction(kind, ref, key, request_hash, actor)
        if txn is None:
            return _replay(key, request_hash)
        _insert_entries(txn.id, rows)
        return txn
    try:
        with db.session.begin_nested():
            txn = _insert_transaction(kind, ref, key, request_hash, actor)
            if txn is None:
                raise _KeyTaken()
            _insert_entries(txn.id, rows)
            after(txn)
    except _KeyTaken:
        return _replay(key, request_hash)
    except IntegrityError:
        existing = _replay(key, request_hash)
        if existing is not None:
            return existing
        raise Conflict(_l("Another request changed this money at the same time. Please retry.")) from None
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != "40P01":  # deadlock_detected: the other one went on
            raise
        raise Conflict(_l("Another request changed this money at the same time. Please retry.")) from None
    return txn


def _one_statement_post(legs: int) -> str:
    """The SQL in the driver's own parameter style (psycopg: %(name)s): the hottest statement is
    passed straight to the driver, without SQLAlchemy compiling it each time."""
    sql = _statements.get(("cte", legs))
    if sql is None:
        selects = [f"SELECT %(code{n})s AS code, %(cur{n})s AS currency, "
                   f"CAST(%(amount{n})s AS BIGINT) AS amount" for n in range(legs)]
        sql = ("WITH t AS (INSERT INTO ledger_transactions "
               "(kind, idempotency_key, request_hash, ref, actor_id, created_at) "
               "VALUES (%(kind)s, %(idempotency_key)s, %(request_hash)s, %(ref)s, %(actor_id)s, "
               "%(created_at)s) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id), "
               "e AS (INSERT INTO ledger_entries (transaction_id, account_id, amount, currency) "
               "SELECT t.id, a.id, v.amount, a.currency FROM t CROSS JOIN ledger_accounts a JOIN ("
               + " UNION ALL ".join(selects)
               + ") v ON a.code = v.code AND a.currency = v.currency RETURNING account_id) "
               "SELECT (SELECT id FROM t) AS id, ARRAY(SELECT account_id FROM e) AS inserted")
        _statements[("cte", legs)] = sql
    return sql


def _post_in_one_statement(kind, ref, key, request_hash, actor, rows) -> LedgerTransaction:
    """PostgreSQL: the transaction row and its entries (accounts found by code) in one statement,
    so a transfer between known accounts is BEGIN, one INSERT, COMMIT."""
    if len({(a.code, a.currency) for a, _m, _c in rows}) != len(rows):
        ids = _account_ids(*(a for a, _m, _c in rows))
        rows = [(i, m, c) for i, (_a, m, c) in zip(ids, rows, strict=True)]
        return _post(kind, ref, key, request_hash, actor, rows)
    values = dict(kind=kind, idempotency_key=key, request_hash=request_hash, ref=ref,
                  actor_id=_actor_id(actor), created_at=utcnow())
    params = dict(values)
    for n, (spec, amount, _currency) in enumerate(rows):
        params.update({f"code{n}": spec.code, f"cur{n}": spec.currency, f"amount{n}": amount})
    txn_id, inserted = db.session.connection().exec_driver_sql(_one_statement_post(len(rows)), params).one()
    if txn_id is None:
        return _replay(key, request_hash)
    if len(inserted) != len(rows):  # first use of an account: create it, add the missing legs
        ids = _account_ids(*(a for a, _m, _c in rows))
        db.session.execute(db.insert(LedgerEntry), [
            dict(transaction_id=txn_id, account_id=i, amount=m, currency=c)
            for i, (_a, m, c) in zip(ids, rows, strict=True) if i not in set(inserted)])
    txn = LedgerTransaction(id=txn_id, **values)
    make_transient_to_detached(txn)
    db.session.add(txn)
    return txn


class _KeyTaken(Exception):
    """The idempotency key exists: roll the savepoint back and answer with the first transaction."""


def _resolve(holds: list[Hold], outcome: str, txn: LedgerTransaction, now: datetime) -> None:
    for hold in holds:
        changed = db.session.execute(
            update(Hold).where(Hold.id == hold.id, Hold.status == "open")
            .values(status=outcome, resolved_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise WrongState(_l("This money has already been released or refunded."))
        db.session.execute(db.insert(HoldResolution), [
            dict(hold_id=hold.id, transaction_id=txn.id, outcome=outcome, created_at=now)])
        hold.status = outcome
        hold.resolved_at = now


def _close_escrow_if_done(account_id: int, now: datetime) -> None:
    still_open = db.session.execute(
        select(func.count(Hold.id)).where(Hold.account_id == account_id, Hold.status == "open")
    ).scalar_one()
    if still_open == 0:
        db.session.execute(
            update(LedgerAccount).where(LedgerAccount.id == account_id, LedgerAccount.status == "open")
            .values(status="closed", closed_at=now).execution_options(synchronize_session=False))


def _locked_open_holds(escrow: LedgerAccount, hold_refs: list[str] | None) -> list[Hold]:
    query = select(Hold).where(Hold.account_id == escrow.id)
    if hold_refs is not None:
        query = query.where(Hold.ref.in_(hold_refs))
    return list(db.session.execute(
        query.order_by(Hold.id).with_for_update(of=Hold).execution_options(populate_existing=True)
    ).scalars())


def _open_hold(key: str, request_hash: str, hold_ref: str, *, kind: str = "escrow",
               resolved=_l("This money has already been released or refunded."), wallets=None):
    """(first transaction, None, None) when this key was already used for this request; otherwise
    (None, hold, account) with both locked and the hold still open. The key is checked again after
    the locks, since a concurrent request may have just used it. `wallets(payer_account_id,
    currency)` names the wallets the resolution pays into: they are locked first."""
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing, None, None
    hold, account = _hold_for_resolution(hold_ref, kind, wallets)
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing, None, None
    if not hold.is_open:
        raise WrongState(resolved)
    return None, hold, account


def _hold_for_resolution(hold_ref: str, kind: str = "escrow", wallets=None) -> tuple[Hold, LedgerAccount]:
    """Find the hold, lock the wallets it pays into (`wallets(payer_account_id, currency)` -> ids),
    then its account, then the hold itself (the same order everywhere). `wallets` creates the
    wallets that do not exist yet (`_account_ids`) rather than skipping them: a wallet created by
    another transaction while this one waits for the escrow would otherwise be locked by the
    balance trigger after the escrow, the opposite order — a deadlock with a posting that locked
    that wallet first and waits for the escrow."""
    row = db.session.execute(
        select(Hold.account_id, Hold.payer_account_id, Hold.currency).where(Hold.ref == hold_ref, Hold.kind == kind)
    ).one_or_none()
    if row is None:
        raise NotFound(_l("No money is held for this."))
    if wallets is not None:
        _lock_accounts(wallets(row.payer_account_id, row.currency))
    account = _lock_account(row.account_id)
    hold = db.session.execute(
        select(Hold).where(Hold.ref == hold_ref).with_for_update(of=Hold)
        .execution_options(populate_existing=True)
    ).scalar_one()
    return hold, account


def _debit_wallet_check(owner, amount: int, currency: str, key: str, request_hash: str,
                        message) -> LedgerTransaction | None:
    """Lock the owner's wallet and make sure it holds `amount` (422 on amount otherwise).

    Returns the transaction of a same-key twin that committed while we waited for the lock."""
    spec = _wallet_spec(owner, currency)
    wallet_id = db.session.execute(
        select(LedgerAccount.id).where(LedgerAccount.code == spec.code, LedgerAccount.currency == currency)
    ).scalar_one_or_none()
    wallet = None
    if wallet_id is not None:
        wallet = _lock_account(wallet_id)  # reloads the row: its balance is current and ours now
        existing = _replay(key, request_hash)
        if existing is not None:
            return existing
    if wallet is None or wallet.balance < amount:
        raise _bad("amount", message)
    return None


def _refund_target(hold: Hold, to: str, currency: str) -> int:
    if to == "wallet":
        return hold.payer_account_id
    if hold.channel != to:
        raise _bad("to", _l("This money did not come in through that channel."))
    return _account_ids(_cash_spec(to, currency))[0]
