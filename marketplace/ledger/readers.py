"""Ledger readers: balances, wallet summaries and lines, escrows and holds. Other domains read
money through these, never through the ledger tables.

Balances are the accounts' maintained `balance` column (kept by the database in the statement
that inserts the entries, see ddl.py), read with column queries: a balance costs one indexed read
however many entries the account has."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from .accounts import CASH_ACCOUNTS, _balance, _find_account, _payout_spec, _wallet_spec
from .models import Hold, LedgerAccount, LedgerEntry, LedgerTransaction


def balance(account: LedgerAccount | int) -> int:
    """The balance of an account (or account id): the sum of its entries, as maintained."""
    return _balance(account if isinstance(account, int) else account.id)


def _balance_by_code(code: str, currency: str | None = None) -> int:
    query = select(LedgerAccount.balance).where(LedgerAccount.code == code)
    if currency is not None:
        query = query.where(LedgerAccount.currency == currency)
    return int(db.session.execute(query.limit(1)).scalar_one_or_none() or 0)


def wallet_account(owner, currency: str = "CNY") -> LedgerAccount | None:
    """The owner's wallet in `currency`, or None if it never received money."""
    spec = _wallet_spec(owner, currency)
    return _find_account(spec.code, currency)


def wallet_balance(owner, currency: str = "CNY") -> int:
    """Available wallet balance (0 for a wallet that does not exist yet)."""
    return _balance_by_code(_wallet_spec(owner, currency).code, currency)


def wallet_summary(owner, currency: str = "CNY") -> dict:
    """{"currency", "available" (wallet balance), "held" (open holds in escrows this owner funded),
    "pending_payout" (requested, not yet paid)} in minor units."""
    wallet = _wallet_spec(owner, currency)
    payout = _payout_spec(owner, currency)
    rows = db.session.execute(
        select(LedgerAccount.kind, LedgerAccount.balance)
        .where(LedgerAccount.code.in_([wallet.code, payout.code]), LedgerAccount.currency == currency)
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
    each with `balance_after`. Two queries whatever the page size; `balance_after` starts from
    the maintained balance minus the entries newer than the page (none on the first page), so a
    page costs the same however long the wallet's history."""
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
    newer = (select(func.coalesce(func.sum(LedgerEntry.amount), 0))
             .where(LedgerEntry.account_id == account.id, LedgerEntry.id > rows[0].id).scalar_subquery())
    running = int(db.session.execute(  # one statement: the balance and the newer entries agree
        select(LedgerAccount.balance - newer).where(LedgerAccount.id == account.id)).scalar_one())
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
    return _balance_by_code(f"escrow:{ref}")


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


def paid_out_to_cash(transaction: LedgerTransaction | int, channel: str, currency: str) -> int:
    """What a transaction moved back to the cash account of a funding channel ("card": the Stripe
    clearing account), in minor units."""
    txn_id = transaction if isinstance(transaction, int) else transaction.id
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerEntry.transaction_id == txn_id, LedgerAccount.code == CASH_ACCOUNTS[channel],
               LedgerAccount.currency == currency, LedgerEntry.amount > 0)) or 0)


# --- lock helpers -----------------------------------------------------------------------------------

def lock_wallet(owner, currency: str) -> LedgerAccount | None:
    """Lock the owner's wallet account row (SELECT ... FOR UPDATE) so that one owner's concurrent
    requests that check the wallet (e.g. payout limits) run one after the other; None if the owner
    has no wallet yet."""
    wallet = wallet_account(owner, currency)
    if wallet is None:
        return None
    return db.session.execute(
        select(LedgerAccount).where(LedgerAccount.id == wallet.id).with_for_update(key_share=True)
    ).scalar_one()
