"""Ledger use cases: the only functions that write money rows.

Writers (each returns the `LedgerTransaction` it posted, never commits, and takes an
`idempotency_key`: the same key with the same parameters returns the first transaction and writes
nothing; with other parameters it raises `ValidationFailed` naming ``idempotency_key``):

- `fund_escrow(ref, payer, amount, currency, channel=, idempotency_key=, holds=)`: card/bank
  cash (or the payer's wallet) -> escrow of `ref`, creating one hold per purpose.
- `move_wallet_to_escrow(...)`: `fund_escrow` with channel "wallet".
- `fund_wallet(owner, amount, currency, channel=, idempotency_key=)`: card/bank cash -> wallet.
- `release(hold_ref, solver, idempotency_key=)`: the hold -> solver's wallet minus the fee,
  fee -> revenue:fees.
- `refund(hold_ref, idempotency_key=, to="wallet")`: the hold -> payer's wallet (or back to the
  card/bank channel it came from, when `to` names that channel).
- `refund_escrow(escrow_ref, idempotency_key=)`: every open hold of an escrow, in one transaction.
- `split(hold_ref, solver, solver_percent, idempotency_key=)`: an operator decision; the solver's
  part (largest remainder) minus the fee on that part -> solver, the rest -> payer.
- `request_payout` / `complete_payout` / `fail_payout`: wallet -> payout account -> cash (paid),
  or back to the wallet (failed).
- `reverse(transaction, idempotency_key=)`: the exact opposite of a wallet funding made by mistake.

Readers: `balance`, `wallet_account`, `wallet_balance`, `wallet_summary`, `wallet_lines`,
`escrow_balance`, `escrow_account`, `get_hold`, `escrow_holds`, `transaction_for_key`,
`fee_bps_for`.

Concurrency: resolutions lock the escrow account and the hold (SELECT ... FOR UPDATE) and flip the
hold with a conditional UPDATE; the unique `HoldResolution.hold_id` is the last line. Wallet debits
lock the wallet account row before summing it. The idempotency key is unique; a concurrent insert
of the same key is caught inside a SAVEPOINT and answered with the winner's transaction.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from ..core.db import utcnow
from ..core.errors import Conflict, NotFound, ValidationFailed, WrongState
from ..core.money import (
    SUPPORTED_CURRENCIES,
    check_minor_amount,
    fee_for,
    split_largest_remainder,
)
from ..extensions import db
from .models import OWNER_TYPES, Hold, HoldResolution, LedgerAccount, LedgerEntry, LedgerTransaction, Reversal

CASH_ACCOUNTS = {"card": "cash:stripe", "bank": "cash:bank"}
REVENUE_FEES = "revenue:fees"
FUNDING_CHANNELS = ("card", "bank", "wallet")
REFUND_TARGETS = ("wallet", "card", "bank")
PAYOUT_CHANNELS = ("bank", "card")

_REF = re.compile(r"^[a-z][a-z0-9_]*(:[A-Za-z0-9_.-]+)+$")


# ---------------------------------------------------------------------------------------------
# Fees


def _parse_fee_overrides(text: str) -> dict[str, int]:
    overrides: dict[str, int] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        slug, sep, bps = part.partition("=")
        if not sep or not slug.strip() or not bps.strip().isdigit() or int(bps) > 10000:
            raise ValueError(f"PLATFORM_FEE_BPS_BY_CATEGORY: bad item {part!r} (want slug=bps)")
        overrides[slug.strip()] = int(bps)
    return overrides


def fee_bps_for(category: str | None) -> int:
    """The platform fee in basis points for a task category (PLATFORM_FEE_BPS_BY_CATEGORY
    "slug=bps,..." overrides PLATFORM_FEE_BPS, default 1000 = 10%)."""
    config = current_app.config
    if category:
        overrides = _parse_fee_overrides(config.get("PLATFORM_FEE_BPS_BY_CATEGORY", ""))
        if category in overrides:
            return overrides[category]
    bps = int(config.get("PLATFORM_FEE_BPS", 1000))
    if not 0 <= bps <= 10000:
        raise ValueError("PLATFORM_FEE_BPS must be within 0..10000")
    return bps


# ---------------------------------------------------------------------------------------------
# Input checks (all before anything is written)


def _bad(field: str, message) -> ValidationFailed:
    return ValidationFailed(errors={field: [message]})


def _check_currency(value, field: str = "currency") -> str:
    if value not in SUPPORTED_CURRENCIES:
        raise _bad(field, _l("Unsupported currency."))
    return value


def _check_ref(value, field: str = "ref", max_length: int = 80) -> str:
    if not isinstance(value, str) or len(value) > max_length or not _REF.match(value):
        raise _bad(field, _l("Not a valid reference."))
    return value


def _check_key(value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise _bad("idempotency_key", _l("Give an idempotency key of 1 to 200 characters."))
    return value


def _check_choice(value, choices, field: str) -> str:
    if value not in choices:
        raise _bad(field, _l("Not a valid choice."))
    return value


def _check_fee_bps(fee_bps, category) -> int:
    if fee_bps is None:
        return fee_bps_for(category)
    if isinstance(fee_bps, bool) or not isinstance(fee_bps, int) or not 0 <= fee_bps <= 10000:
        raise _bad("fee_bps", _l("The fee must be between 0 and 10000 basis points."))
    return fee_bps


def owner_key(owner) -> tuple[str, int]:
    """("user"|"org", id) for a User, an Organisation or such a tuple."""
    if isinstance(owner, tuple):
        if (len(owner) == 2 and owner[0] in OWNER_TYPES and isinstance(owner[1], int)
                and not isinstance(owner[1], bool)):
            return owner
        raise TypeError(f"not a ledger owner: {owner!r}")
    table = getattr(owner, "__tablename__", None)
    kind = {"users": "user", "organisations": "org"}.get(table)
    if kind is None or getattr(owner, "id", None) is None:
        raise TypeError(f"not a ledger owner (or not flushed): {owner!r}")
    return kind, owner.id


def _actor_id(actor) -> int | None:
    if actor is None or isinstance(actor, int):
        return actor
    return actor.id


# ---------------------------------------------------------------------------------------------
# Accounts


@dataclass(frozen=True)
class _Spec:
    code: str
    currency: str
    kind: str
    owner_type: str | None = None
    owner_id: int | None = None
    ref: str | None = None


def _wallet_spec(owner, currency: str) -> _Spec:
    kind, oid = owner_key(owner)
    return _Spec(f"wallet:{kind}:{oid}", currency, "wallet", kind, oid)


def _payout_spec(owner, currency: str) -> _Spec:
    kind, oid = owner_key(owner)
    return _Spec(f"payout:{kind}:{oid}", currency, "payout", kind, oid)


def _cash_spec(channel: str, currency: str) -> _Spec:
    return _Spec(CASH_ACCOUNTS[channel], currency, "cash")


def _revenue_spec(currency: str) -> _Spec:
    return _Spec(REVENUE_FEES, currency, "revenue")


def _escrow_spec(ref: str, currency: str) -> _Spec:
    return _Spec(f"escrow:{ref}", currency, "escrow", ref=ref)


def _insert_ignoring_conflicts(model, index_elements=None):
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model).on_conflict_do_nothing(index_elements=index_elements)


def _account_ids(*specs: _Spec) -> list[int]:
    """Ids of the accounts named by specs, creating missing ones (race-safe, one round trip when
    they all exist)."""
    wanted = {(s.code, s.currency) for s in specs}
    codes = sorted({s.code for s in specs})
    rows = db.session.execute(
        select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.currency)
        .where(LedgerAccount.code.in_(codes))
    ).all()
    found = {(code, cur): aid for aid, code, cur in rows if (code, cur) in wanted}
    escrow_codes = {s.code for s in specs if s.kind == "escrow"}
    if any(code in escrow_codes and (code, cur) not in wanted for _aid, code, cur in rows):
        raise _bad("currency", _l("This escrow holds another currency."))
    missing = [s for s in dict.fromkeys(specs) if (s.code, s.currency) not in found]
    if missing:
        now = utcnow()
        db.session.execute(_insert_ignoring_conflicts(LedgerAccount), [
            dict(code=s.code, currency=s.currency, kind=s.kind, owner_type=s.owner_type,
                 owner_id=s.owner_id, ref=s.ref, status="open", created_at=now) for s in missing])
        rows = db.session.execute(
            select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.currency)
            .where(LedgerAccount.code.in_([s.code for s in missing]))
        ).all()
        found.update({(code, cur): aid for aid, code, cur in rows if (code, cur) in wanted})
    for s in specs:
        if (s.code, s.currency) not in found:
            # Only an escrow can be refused: it already exists in another currency.
            raise _bad("currency", _l("This escrow holds another currency."))
    return [found[(s.code, s.currency)] for s in specs]


def _lock_account(account_id: int) -> LedgerAccount:
    return db.session.execute(
        select(LedgerAccount).where(LedgerAccount.id == account_id)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def _sum(account_id: int) -> int:
    return int(db.session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.account_id == account_id)
    ).scalar_one())


def _find_account(code: str, currency: str | None = None) -> LedgerAccount | None:
    query = select(LedgerAccount).where(LedgerAccount.code == code)
    if currency is not None:
        query = query.where(LedgerAccount.currency == currency)
    return db.session.execute(query.limit(1)).scalar_one_or_none()


# ---------------------------------------------------------------------------------------------
# Posting


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
               resolved=_l("This money has already been released or refunded.")):
    """(first transaction, None, None) when this key was already used for this request; otherwise
    (None, hold, account) with both locked and the hold still open. The key is checked again after
    the locks, since a concurrent request may have just used it."""
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing, None, None
    hold, account = _hold_for_resolution(hold_ref, kind)
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing, None, None
    if not hold.is_open:
        raise WrongState(resolved)
    return None, hold, account


def _hold_for_resolution(hold_ref: str, kind: str = "escrow") -> tuple[Hold, LedgerAccount]:
    """Find the hold, lock its account then the hold itself (the same order everywhere)."""
    account_id = db.session.execute(
        select(Hold.account_id).where(Hold.ref == hold_ref, Hold.kind == kind)
    ).scalar_one_or_none()
    if account_id is None:
        raise NotFound(_l("No money is held for this."))
    account = _lock_account(account_id)
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
    if wallet_id is not None:
        _lock_account(wallet_id)
        existing = _replay(key, request_hash)
        if existing is not None:
            return existing
    if wallet_id is None or _sum(wallet_id) < amount:
        raise _bad("amount", message)
    return None


def _refund_target(hold: Hold, to: str, currency: str) -> int:
    if to == "wallet":
        return hold.payer_account_id
    if hold.channel != to:
        raise _bad("to", _l("This money did not come in through that channel."))
    return _account_ids(_cash_spec(to, currency))[0]


# ---------------------------------------------------------------------------------------------
# Writers


def fund_escrow(ref: str, payer, amount: int, currency: str = "CNY", *, channel: str,
                idempotency_key: str, actor=None,
                holds: list[tuple[str, int]] | None = None) -> LedgerTransaction:
    """Put `amount` into the escrow of the funded object `ref` ("milestone:12", "bounty:3").

    channel "card" (from cash:stripe) or "bank" (from cash:bank): the payer paid from outside;
    channel "wallet": from the payer's wallet, which must hold enough (422 on `amount` otherwise).
    `holds` splits the amount into purposes [(hold_ref, amount), ...] whose refs are `ref` or start
    with `ref + ":"` and whose amounts sum to `amount`; by default one hold with ref `ref`.
    An escrow may be funded again while open (new hold refs); funding a closed one is WrongState.
    """
    key = _check_key(idempotency_key)
    _check_ref(ref)
    amount = check_minor_amount(amount)
    currency = _check_currency(currency)
    channel = _check_choice(channel, FUNDING_CHANNELS, "channel")
    payer_kind, payer_id = owner_key(payer)
    holds = [(ref, amount)] if holds is None else list(holds)
    if not holds:
        raise _bad("holds", _l("Name at least one purpose for the money."))
    seen = set()
    for hold_ref, hold_amount in holds:
        _check_ref(hold_ref, "holds", max_length=120)
        if hold_ref != ref and not hold_ref.startswith(ref + ":") or hold_ref in seen:
            raise _bad("holds", _l("Not a valid reference."))
        seen.add(hold_ref)
        check_minor_amount(hold_amount, "holds")
    if sum(a for _r, a in holds) != amount:
        raise _bad("amount", _l("The amounts held must add up to the amount funded."))
    request_hash = _fingerprint("fund_escrow", dict(
        ref=ref, payer=[payer_kind, payer_id], amount=amount, currency=currency, channel=channel,
        holds=holds))

    existing = _replay(key, request_hash)
    if existing is not None:
        return existing
    if channel == "wallet":
        # Lock the wallet and check it before anything is written (wallet before escrow, always).
        existing = _debit_wallet_check(payer, amount, currency, key, request_hash,
                                       _l("The wallet balance is not enough."))
        if existing is not None:
            return existing
    source_spec = (_wallet_spec(payer, currency) if channel == "wallet"
                   else _cash_spec(channel, currency))
    escrow_id, wallet_id, source_id = _account_ids(
        _escrow_spec(ref, currency), _wallet_spec(payer, currency), source_spec)
    escrow = _lock_account(escrow_id)
    existing = _replay(key, request_hash)  # a twin may have committed while we waited
    if existing is not None:
        return existing
    if escrow.status != "open":
        raise WrongState(_l("This escrow is closed."))
    now = utcnow()

    def add_holds(txn):
        db.session.execute(db.insert(Hold), [
            dict(ref=hold_ref, kind="escrow", account_id=escrow_id, payer_account_id=wallet_id,
                 channel=channel, amount=hold_amount, currency=currency, status="open",
                 funding_transaction_id=txn.id, created_at=now)
            for hold_ref, hold_amount in holds])

    return _post("fund_escrow", ref, key, request_hash, actor,
                 [(source_id, -amount, currency), (escrow_id, amount, currency)], after=add_holds)


def move_wallet_to_escrow(ref: str, payer, amount: int, currency: str = "CNY", *,
                          idempotency_key: str, actor=None,
                          holds: list[tuple[str, int]] | None = None) -> LedgerTransaction:
    """Fund the escrow of `ref` from the payer's wallet (422 on `amount` if it holds too little)."""
    return fund_escrow(ref, payer, amount, currency, channel="wallet", idempotency_key=idempotency_key,
                       actor=actor, holds=holds)


def fund_wallet(owner, amount: int, currency: str = "CNY", *, channel: str, idempotency_key: str,
                actor=None, ref: str | None = None) -> LedgerTransaction:
    """Credit a wallet with money received from outside: channel "card" (cash:stripe) or "bank"
    (cash:bank). `ref` names the business object (e.g. "payment:9"); default the wallet's code."""
    key = _check_key(idempotency_key)
    amount = check_minor_amount(amount)
    currency = _check_currency(currency)
    channel = _check_choice(channel, tuple(CASH_ACCOUNTS), "channel")
    wallet = _wallet_spec(owner, currency)
    ref = wallet.code if ref is None else _check_ref(ref)
    request_hash = _fingerprint("fund_wallet", dict(
        owner=[wallet.owner_type, wallet.owner_id], amount=amount, currency=currency, channel=channel,
        ref=ref))
    # No lock and no read first: the key's unique index answers a retry, and the accounts are
    # found by code inside the INSERT (two statements for a transfer between known accounts).
    return _post("fund_wallet", ref, key, request_hash, actor,
                 [(_cash_spec(channel, currency), -amount, currency), (wallet, amount, currency)])


def release(hold_ref: str, solver, *, idempotency_key: str, actor=None, category: str | None = None,
            fee_bps: int | None = None) -> LedgerTransaction:
    """Pay a hold to the solver's wallet, minus the platform fee (to revenue:fees).

    The fee is `fee_bps` if given, else `fee_bps_for(category)`, of the hold, rounded down to 1 分.
    NotFound if no such hold; WrongState if it is already resolved.
    """
    key = _check_key(idempotency_key)
    _check_ref(hold_ref, "hold", max_length=120)
    solver_kind, solver_id = owner_key(solver)
    bps = _check_fee_bps(fee_bps, category)
    # The fee as asked for (not as configured now), so a retry after a fee change still matches.
    request_hash = _fingerprint("release", dict(hold=hold_ref, solver=[solver_kind, solver_id],
                                                fee_bps=fee_bps, category=category))
    existing, hold, escrow = _open_hold(key, request_hash, hold_ref)
    if existing is not None:
        return existing
    currency = hold.currency
    fee = fee_for(hold.amount, bps)
    solver_wallet, revenue = _account_ids(_wallet_spec(solver, currency), _revenue_spec(currency))
    now = utcnow()

    def resolve(txn):
        _resolve([hold], "released", txn, now)
        _close_escrow_if_done(escrow.id, now)

    return _post("release", escrow.ref, key, request_hash, actor, [
        (escrow.id, -hold.amount, currency),
        (solver_wallet, hold.amount - fee, currency),
        (revenue, fee, currency),
    ], after=resolve)


def release_shared(hold_ref: str, recipients: list[tuple[object, int]], *, idempotency_key: str,
                   actor=None, category: str | None = None, fee_bps: int | None = None) -> LedgerTransaction:
    """Pay a hold to several wallets (co-authors of a bounty entry), minus the platform fee.

    recipients: [(owner, share_bps), ...] with distinct owners and shares (> 0) summing to 10000.
    The fee is taken from the whole hold (as `release` does); what is left is divided by the
    largest remainder method, so the parts always add up to the hold minus the fee exactly.
    """
    key = _check_key(idempotency_key)
    _check_ref(hold_ref, "hold", max_length=120)
    owners = [owner_key(owner) for owner, _share in recipients]
    shares = [share for _owner, share in recipients]
    if (not recipients or len(set(owners)) != len(owners)
            or any(isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in shares)
            or sum(shares) != 10000):
        raise _bad("shares", _l("The shares must be whole basis points above zero that add up to 100%."))
    bps = _check_fee_bps(fee_bps, category)
    request_hash = _fingerprint("release_shared", dict(
        hold=hold_ref, recipients=[[k, i, s] for (k, i), s in zip(owners, shares, strict=True)],
        fee_bps=fee_bps, category=category))
    existing, hold, escrow = _open_hold(key, request_hash, hold_ref)
    if existing is not None:
        return existing
    currency = hold.currency
    fee = fee_for(hold.amount, bps)
    parts = split_largest_remainder(hold.amount - fee, shares)
    wallets = _account_ids(*(_wallet_spec(owner, currency) for owner, _share in recipients))
    (revenue,) = _account_ids(_revenue_spec(currency))
    now = utcnow()

    def resolve(txn):
        _resolve([hold], "released", txn, now)
        _close_escrow_if_done(escrow.id, now)

    legs = [(escrow.id, -hold.amount, currency), (revenue, fee, currency)]
    legs += [(wallet, part, currency) for wallet, part in zip(wallets, parts, strict=True)]
    return _post("release", escrow.ref, key, request_hash, actor, legs, after=resolve)


def refund(hold_ref: str, *, idempotency_key: str, actor=None, to: str = "wallet") -> LedgerTransaction:
    """Return a hold to the payer: to their wallet (default), or to "card"/"bank" when the money
    came in that way (payments then returns it through that channel after commit)."""
    key = _check_key(idempotency_key)
    _check_ref(hold_ref, "hold", max_length=120)
    to = _check_choice(to, REFUND_TARGETS, "to")
    request_hash = _fingerprint("refund", dict(hold=hold_ref, to=to))
    existing, hold, escrow = _open_hold(key, request_hash, hold_ref)
    if existing is not None:
        return existing
    target = _refund_target(hold, to, hold.currency)
    now = utcnow()

    def resolve(txn):
        _resolve([hold], "refunded", txn, now)
        _close_escrow_if_done(escrow.id, now)

    return _post("refund", escrow.ref, key, request_hash, actor, [
        (escrow.id, -hold.amount, hold.currency), (target, hold.amount, hold.currency)], after=resolve)


def refund_escrow(escrow_ref: str, *, idempotency_key: str, actor=None,
                  to: str = "wallet") -> LedgerTransaction:
    """Refund every open hold of an escrow in one transaction (e.g. a bounty's unclaimed prizes).
    WrongState if nothing is left to refund."""
    key = _check_key(idempotency_key)
    _check_ref(escrow_ref)
    to = _check_choice(to, REFUND_TARGETS, "to")
    request_hash = _fingerprint("refund_escrow", dict(escrow=escrow_ref, to=to))
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing
    found = _find_account(f"escrow:{escrow_ref}")
    if found is None or found.kind != "escrow":
        raise NotFound(_l("No money is held for this."))
    escrow = _lock_account(found.id)
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing
    holds = [h for h in _locked_open_holds(escrow, None) if h.is_open]
    if not holds:
        raise WrongState(_l("This money has already been released or refunded."))
    legs = []
    for hold in holds:
        legs.append((escrow.id, -hold.amount, hold.currency))
        legs.append((_refund_target(hold, to, hold.currency), hold.amount, hold.currency))
    now = utcnow()

    def resolve(txn):
        _resolve(holds, "refunded", txn, now)
        _close_escrow_if_done(escrow.id, now)

    return _post("refund", escrow_ref, key, request_hash, actor, legs, after=resolve)


def split(hold_ref: str, solver, solver_percent: int | None = None, *, idempotency_key: str,
          actor=None, solver_amount: int | None = None, category: str | None = None,
          fee_bps: int | None = None, to: str = "wallet") -> LedgerTransaction:
    """Divide a hold by an operator decision: `solver_percent` (0..100) of it, by the largest
    remainder method, or exactly `solver_amount` (<= the hold), goes to the solver minus the fee
    on that part; the rest goes back to the payer (wallet, or the card/bank channel via `to`)."""
    key = _check_key(idempotency_key)
    _check_ref(hold_ref, "hold", max_length=120)
    solver_kind, solver_id = owner_key(solver)
    if (solver_percent is None) == (solver_amount is None):
        raise _bad("solver_percent", _l("Give either a percentage or an amount for the solver."))
    if solver_percent is not None and (isinstance(solver_percent, bool) or not isinstance(solver_percent, int)
                                       or not 0 <= solver_percent <= 100):
        raise _bad("solver_percent", _l("The percentage must be a whole number from 0 to 100."))
    if solver_amount is not None and (isinstance(solver_amount, bool) or solver_amount != 0):
        check_minor_amount(solver_amount)  # 0 is allowed: everything back to the payer
    to = _check_choice(to, REFUND_TARGETS, "to")
    bps = _check_fee_bps(fee_bps, category)
    request_hash = _fingerprint("split", dict(
        hold=hold_ref, solver=[solver_kind, solver_id], percent=solver_percent, amount=solver_amount,
        fee_bps=fee_bps, category=category, to=to))
    existing, hold, escrow = _open_hold(key, request_hash, hold_ref)
    if existing is not None:
        return existing
    if solver_amount is not None:
        if solver_amount > hold.amount:
            raise _bad("amount", _l("The amount is more than the money held."))
        solver_part, payer_part = solver_amount, hold.amount - solver_amount
    else:
        solver_part, payer_part = split_largest_remainder(hold.amount, [solver_percent, 100 - solver_percent])
    currency = hold.currency
    fee = fee_for(solver_part, bps)
    solver_wallet, revenue = _account_ids(_wallet_spec(solver, currency), _revenue_spec(currency))
    target = _refund_target(hold, to, currency) if payer_part else hold.payer_account_id
    now = utcnow()

    def resolve(txn):
        _resolve([hold], "split", txn, now)
        _close_escrow_if_done(escrow.id, now)

    return _post("split", escrow.ref, key, request_hash, actor, [
        (escrow.id, -hold.amount, currency),
        (solver_wallet, solver_part - fee, currency),
        (revenue, fee, currency),
        (target, payer_part, currency),
    ], after=resolve)


def request_payout(owner, amount: int, currency: str = "CNY", *, payout_ref: str, idempotency_key: str,
                   actor=None) -> LedgerTransaction:
    """Move `amount` from the owner's wallet to its payout account, held under `payout_ref`
    ("payout:45") until `complete_payout` or `fail_payout`. 422 on `amount` above the balance."""
    key = _check_key(idempotency_key)
    amount = check_minor_amount(amount)
    currency = _check_currency(currency)
    _check_ref(payout_ref, "payout_ref", max_length=120)
    kind, oid = owner_key(owner)
    request_hash = _fingerprint("payout_request", dict(
        owner=[kind, oid], amount=amount, currency=currency, payout=payout_ref))
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing
    existing = _debit_wallet_check(owner, amount, currency, key, request_hash,
                                   _l("The amount is more than your available balance."))
    if existing is not None:
        return existing
    wallet_id, payout_id = _account_ids(_wallet_spec(owner, currency), _payout_spec(owner, currency))
    now = utcnow()

    def add_hold(txn):
        db.session.execute(db.insert(Hold), [dict(
            ref=payout_ref, kind="payout", account_id=payout_id, payer_account_id=wallet_id,
            channel="wallet", amount=amount, currency=currency, status="open",
            funding_transaction_id=txn.id, created_at=now)])

    return _post("payout_request", payout_ref, key, request_hash, actor,
                 [(wallet_id, -amount, currency), (payout_id, amount, currency)], after=add_hold)


def complete_payout(payout_ref: str, *, channel: str = "bank", idempotency_key: str,
                    actor=None) -> LedgerTransaction:
    """Record that a requested payout was sent out ("bank" transfer or "card" = Stripe):
    payout account -> cash of that channel."""
    key = _check_key(idempotency_key)
    _check_ref(payout_ref, "payout_ref", max_length=120)
    channel = _check_choice(channel, PAYOUT_CHANNELS, "channel")
    request_hash = _fingerprint("payout_complete", dict(payout=payout_ref, channel=channel))
    return _resolve_payout(payout_ref, key, request_hash, actor, "paid", channel)


def fail_payout(payout_ref: str, *, idempotency_key: str, actor=None) -> LedgerTransaction:
    """A requested payout could not be sent (rejected or bounced): the money returns to the wallet."""
    key = _check_key(idempotency_key)
    _check_ref(payout_ref, "payout_ref", max_length=120)
    request_hash = _fingerprint("payout_fail", dict(payout=payout_ref))
    return _resolve_payout(payout_ref, key, request_hash, actor, "failed", None)


def _resolve_payout(payout_ref, key, request_hash, actor, outcome, channel) -> LedgerTransaction:
    existing, hold, account = _open_hold(
        key, request_hash, payout_ref, kind="payout",
        resolved=_l("This payout has already been completed or failed."))
    if existing is not None:
        return existing
    target = (hold.payer_account_id if outcome == "failed"
              else _account_ids(_cash_spec(channel, hold.currency))[0])
    now = utcnow()
    return _post("payout_complete" if outcome == "paid" else "payout_fail", payout_ref, key, request_hash,
                 actor, [(account.id, -hold.amount, hold.currency), (target, hold.amount, hold.currency)],
                 after=lambda txn: _resolve([hold], outcome, txn, now))


REVERSIBLE_KINDS = ("fund_wallet",)


def reverse(transaction: LedgerTransaction | int, *, idempotency_key: str, actor=None) -> LedgerTransaction:
    """Post the exact opposite of a wallet funding recorded by mistake (e.g. a bank transfer
    confirmed twice). Entries are never edited; this is the only way to undo one. Money that moved
    through holds is undone by refund/fail instead (WrongState here). A transaction is reversed at
    most once; the wallet must still hold the money (422 on amount otherwise)."""
    key = _check_key(idempotency_key)
    txn_id = transaction if isinstance(transaction, int) else transaction.id
    request_hash = _fingerprint("reversal", dict(transaction=txn_id))
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing
    original = db.session.get(LedgerTransaction, txn_id)
    if original is None:
        raise NotFound(_l("No such ledger transaction."))
    if original.kind not in REVERSIBLE_KINDS:
        raise WrongState(_l("This transaction cannot be reversed; refund or fail it instead."))
    if db.session.execute(select(Reversal.id).where(Reversal.original_id == txn_id)).first():
        raise WrongState(_l("This transaction has already been reversed."))
    entries = list(db.session.execute(
        select(LedgerEntry).where(LedgerEntry.transaction_id == txn_id).order_by(LedgerEntry.id)).scalars())
    debited = sorted({e.account_id for e in entries if e.amount > 0})
    for account_id in debited:  # the accounts the reversal takes money from
        account = _lock_account(account_id)
        if account.kind in ("wallet", "escrow", "payout", "revenue"):
            needed = sum(e.amount for e in entries if e.account_id == account_id)
            existing = _replay(key, request_hash)
            if existing is not None:
                return existing
            if _sum(account_id) < needed:
                raise _bad("amount", _l("The wallet no longer holds this money."))
    if db.session.execute(select(Reversal.id).where(Reversal.original_id == txn_id)).first():
        raise WrongState(_l("This transaction has already been reversed."))  # while we waited

    def link(txn):
        db.session.execute(db.insert(Reversal), [dict(original_id=txn_id, reversal_id=txn.id,
                                                      created_at=utcnow())])

    return _post("reversal", original.ref, key, request_hash, actor,
                 [(e.account_id, -e.amount, e.currency) for e in entries], after=link)


# ---------------------------------------------------------------------------------------------
# Readers


def balance(account: LedgerAccount | int) -> int:
    """The balance of an account (or account id): the sum of its entries."""
    return _sum(account if isinstance(account, int) else account.id)


def wallet_account(owner, currency: str = "CNY") -> LedgerAccount | None:
    """The owner's wallet in `currency`, or None if it never received money."""
    spec = _wallet_spec(owner, currency)
    return _find_account(spec.code, currency)


def wallet_balance(owner, currency: str = "CNY") -> int:
    """Available wallet balance (0 for a wallet that does not exist yet)."""
    account = wallet_account(owner, currency)
    return 0 if account is None else _sum(account.id)


def wallet_summary(owner, currency: str = "CNY") -> dict:
    """{"currency", "available" (wallet balance), "held" (open holds in escrows this owner funded),
    "pending_payout" (requested, not yet paid)} in minor units."""
    wallet = _wallet_spec(owner, currency)
    payout = _payout_spec(owner, currency)
    rows = db.session.execute(
        select(LedgerAccount.kind, func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.code.in_([wallet.code, payout.code]), LedgerAccount.currency == currency)
        .group_by(LedgerAccount.kind)
    ).all()
    sums = {kind: int(total) for kind, total in rows}
    held = db.session.execute(
        select(func.coalesce(func.sum(Hold.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == Hold.payer_account_id)
        .where(LedgerAccount.code == wallet.code, LedgerAccount.currency == currency,
               Hold.kind == "escrow", Hold.status == "open")
    ).scalar_one()
    return {"currency": currency, "available": sums.get("wallet", 0), "held": int(held),
            "pending_payout": sums.get("payout", 0)}


@dataclass(frozen=True)
class WalletLine:
    """One wallet entry with the wallet's balance right after it."""
    id: int  # entry id: pass the last one as `before_id` for the next page
    transaction_id: int
    at: datetime
    kind: str
    ref: str
    amount: int
    currency: str
    balance_after: int


def wallet_lines(owner, currency: str = "CNY", limit: int = 50, before_id: int | None = None) -> list[WalletLine]:
    """The newest wallet lines (entries) first, at most `limit`, older than entry `before_id`,
    each with `balance_after`. Two queries whatever the page size."""
    account = wallet_account(owner, currency)
    if account is None:
        return []
    limit = max(1, min(int(limit), 500))
    query = (select(LedgerEntry.id, LedgerEntry.transaction_id, LedgerEntry.amount, LedgerEntry.currency,
                    LedgerTransaction.created_at, LedgerTransaction.kind, LedgerTransaction.ref)
             .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
             .where(LedgerEntry.account_id == account.id))
    if before_id is not None:
        query = query.where(LedgerEntry.id < before_id)
    rows = db.session.execute(query.order_by(LedgerEntry.id.desc()).limit(limit)).all()
    if not rows:
        return []
    running = int(db.session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .where(LedgerEntry.account_id == account.id, LedgerEntry.id <= rows[0].id)
    ).scalar_one())
    lines = []
    for row in rows:
        lines.append(WalletLine(id=row.id, transaction_id=row.transaction_id, at=row.created_at,
                                kind=row.kind, ref=row.ref, amount=row.amount, currency=row.currency,
                                balance_after=running))
        running -= row.amount
    return lines


def escrow_account(ref: str) -> LedgerAccount | None:
    """The escrow account of a funded object, or None if it was never funded."""
    return _find_account(f"escrow:{ref}")


def escrow_balance(ref: str) -> int:
    """Money currently in the escrow of `ref` (0 if never funded)."""
    account = escrow_account(ref)
    return 0 if account is None else _sum(account.id)


def get_hold(ref: str) -> Hold | None:
    """The hold with this ref (escrow purpose or payout), or None."""
    return db.session.execute(select(Hold).where(Hold.ref == ref)).scalar_one_or_none()


def escrow_holds(escrow_ref: str) -> list[Hold]:
    """All holds of an escrow, oldest first."""
    return list(db.session.execute(
        select(Hold).join(LedgerAccount, LedgerAccount.id == Hold.account_id)
        .where(LedgerAccount.code == f"escrow:{escrow_ref}", LedgerAccount.kind == "escrow")
        .order_by(Hold.id)
    ).scalars())


def transaction_for_key(idempotency_key: str) -> LedgerTransaction | None:
    """The transaction posted under an idempotency key, if any."""
    return db.session.execute(
        select(LedgerTransaction).where(LedgerTransaction.idempotency_key == idempotency_key)
    ).scalar_one_or_none()
