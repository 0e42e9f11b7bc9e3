"""Balances and rows the contract tests check."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.ledger import service as ledger
from marketplace.ledger.models import LedgerAccount


def revenue() -> int:
    account = db.session.execute(db.select(LedgerAccount).where(LedgerAccount.code == "revenue:fees")).scalar_one_or_none()
    return 0 if account is None else ledger.balance(account)


def wallet(user) -> int:
    return ledger.wallet_balance(user)


def escrow(ref: str) -> int:
    return ledger.escrow_balance(ref)
