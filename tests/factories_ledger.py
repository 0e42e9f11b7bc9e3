"""Ledger factories: money in wallets and escrows through the real service, committed."""
from __future__ import annotations

import itertools

from marketplace.extensions import db
from marketplace.ledger import service
from marketplace.ledger.models import (
    Hold,
    HoldResolution,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Reversal,
)

_seq = itertools.count(1)


def key(prefix: str = "test") -> str:
    """A fresh idempotency key."""
    return f"{prefix}:{next(_seq)}"


def fund_wallet(owner, amount: int, currency: str = "CNY", channel: str = "bank"):
    txn = service.fund_wallet(owner, amount, currency, channel=channel, idempotency_key=key("wallet"))
    db.session.commit()
    return txn


def fund_escrow(ref: str, payer, amount: int, currency: str = "CNY", channel: str = "card", holds=None):
    txn = service.fund_escrow(ref, payer, amount, currency, channel=channel, idempotency_key=key("fund"),
                              holds=holds)
    db.session.commit()
    return txn


def row_counts() -> dict[str, int]:
    """Rows per ledger table: compare before/after to prove nothing was written."""
    return {model.__tablename__: db.session.query(model).count()
            for model in (LedgerAccount, LedgerTransaction, LedgerEntry, Hold, HoldResolution, Reversal)}
