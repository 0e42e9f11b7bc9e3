"""Ledger tables: accounts, transactions, entries, holds, hold resolutions and reversals.

Only `marketplace.ledger.service` writes these rows. See the package docstring for the model.

Sign convention: every account's balance is the sum of its entries (kept in
`LedgerAccount.balance` by the database, see `ddl.py`). Wallets, escrows, payout
accounts and revenue hold what the platform owes or has earned, so they are >= 0; cash accounts are
the counterpart of money that came from outside (card, bank) and are therefore <= 0.
"""
from __future__ import annotations

from sqlalchemy import DDL, event

from ..core.db import utcnow
from ..extensions import db
from . import ddl

ACCOUNT_KINDS = ("cash", "revenue", "wallet", "escrow", "payout")
OWNER_TYPES = ("user", "org")
CHANNELS = ("card", "bank", "wallet")
HOLD_KINDS = ("escrow", "payout")
HOLD_STATUSES = ("open", "released", "refunded", "split", "paid", "failed")
TRANSACTION_KINDS = ("fund_escrow", "fund_wallet", "release", "refund", "split",
                     "payout_request", "payout_complete", "payout_fail", "reversal")


def _in(column: str, values) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class LedgerAccount(db.Model):
    """One account per (code, currency): cash:stripe, cash:bank, revenue:fees, wallet:user:12,
    wallet:org:3, payout:user:12 (money on its way out of a wallet), escrow:milestone:12."""
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        db.UniqueConstraint("code", "currency"),
        # Target of the entries' composite foreign key: an entry's currency is its account's.
        db.UniqueConstraint("id", "currency", name="uq_ledger_accounts_id_currency"),
        # An escrow has one currency: one escrow account per funded object.
        db.Index("uq_ledger_accounts_escrow_code", "code", unique=True,
                 sqlite_where=db.text("kind = 'escrow'"), postgresql_where=db.text("kind = 'escrow'")),
        db.Index("ix_ledger_accounts_owner", "owner_type", "owner_id"),
        db.CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind_known"),
        db.CheckConstraint(_in("status", ("open", "closed")), name="status_known"),
        db.CheckConstraint("owner_type is null or " + _in("owner_type", OWNER_TYPES), name="owner_type_known"),
        db.CheckConstraint("(kind in ('wallet', 'payout')) = (owner_type is not null and owner_id is not null)",
                           name="owner_iff_wallet"),
        db.CheckConstraint("(kind = 'escrow') = (ref is not null)", name="ref_iff_escrow"),
        db.CheckConstraint("(status = 'closed') = (closed_at is not null)", name="closed_at_iff_closed"),
        db.CheckConstraint("status = 'open' or kind = 'escrow'", name="only_escrow_closes"),
        # The overdraft rule, held by the database under any race: only cash goes below zero.
        db.CheckConstraint("kind = 'cash' or balance >= 0", name="balance_not_negative"),
    )

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(100), nullable=False)
    currency = db.Column(db.String(3), nullable=False)
    kind = db.Column(db.String(10), nullable=False)
    owner_type = db.Column(db.String(4), nullable=True)
    owner_id = db.Column(db.Integer, nullable=True)
    ref = db.Column(db.String(80), nullable=True)  # escrow: the funded object, e.g. "milestone:12"
    status = db.Column(db.String(10), nullable=False, default="open")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    closed_at = db.Column(db.DateTime, nullable=True)
    # The sum of the account's entries in minor units, added by a trigger on ledger_entries in the
    # statement that inserts them (ddl.py); never written by the application. Cash and revenue
    # accounts are not maintained (0; their balance is the sum of their entries). Read it with a
    # column query (readers.balance), not from a loaded object, which may predate a posting.
    balance = db.Column(db.BigInteger, nullable=False, default=0, server_default=db.text("0"))

    def __repr__(self) -> str:
        return f"<LedgerAccount {self.id} {self.code} {self.currency}>"


class LedgerTransaction(db.Model):
    """A balanced set of entries posted at once. Never updated or deleted."""
    __tablename__ = "ledger_transactions"
    __table_args__ = (
        db.CheckConstraint(_in("kind", TRANSACTION_KINDS), name="kind_known"),
        db.Index("ix_ledger_transactions_ref", "ref"),
    )

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(20), nullable=False)
    idempotency_key = db.Column(db.String(200), nullable=False, unique=True)
    # SHA-256 of the call's parameters: the same key with other parameters is refused.
    request_hash = db.Column(db.String(64), nullable=False)
    ref = db.Column(db.String(80), nullable=False)  # the business object, e.g. "milestone:12"
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    entries = db.relationship("LedgerEntry", lazy="select", order_by="LedgerEntry.id",
                              back_populates="transaction", viewonly=True)

    def __repr__(self) -> str:
        return f"<LedgerTransaction {self.id} {self.kind} {self.ref}>"


class LedgerEntry(db.Model):
    """One leg of a transaction: a signed amount on one account. Never updated or deleted."""
    __tablename__ = "ledger_entries"
    __table_args__ = (
        db.CheckConstraint("amount <> 0", name="amount_nonzero"),
        db.ForeignKeyConstraint(["account_id", "currency"],
                                ["ledger_accounts.id", "ledger_accounts.currency"],
                                name="fk_ledger_entries_account_currency"),
        # Balances and wallet lines: an index-only sum per account, newest lines first.
        db.Index("ix_ledger_entries_account_id_id", "account_id", "id", "amount"),
    )

    id = db.Column(db.Integer, primary_key=True)
    transaction_id = db.Column(db.Integer, db.ForeignKey("ledger_transactions.id"), nullable=False,
                               index=True)
    account_id = db.Column(db.Integer, nullable=False)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False)

    transaction = db.relationship("LedgerTransaction", back_populates="entries", lazy="raise")
    account = db.relationship("LedgerAccount", lazy="raise", viewonly=True,
                              primaryjoin="LedgerEntry.account_id == LedgerAccount.id",
                              foreign_keys="LedgerEntry.account_id")

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.id} acct={self.account_id} {self.amount} {self.currency}>"


class Hold(db.Model):
    """An amount reserved for one purpose, resolved at most once.

    kind "escrow": money in an escrow account for one purpose ("milestone:12", "bounty:3:prize:1");
    resolved by release, refund or split. kind "payout": money moved from a wallet to its payout
    account by a payout request ("payout:45"); resolved by complete (paid) or fail.
    """
    __tablename__ = "ledger_holds"
    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint(_in("kind", HOLD_KINDS), name="kind_known"),
        db.CheckConstraint(_in("status", HOLD_STATUSES), name="status_known"),
        db.CheckConstraint(_in("channel", CHANNELS), name="channel_known"),
        db.CheckConstraint("(status = 'open') = (resolved_at is null)", name="resolved_at_iff_resolved"),
        db.Index("ix_ledger_holds_account_status", "account_id", "status"),
        db.Index("ix_ledger_holds_payer_status", "payer_account_id", "status"),
    )

    id = db.Column(db.Integer, primary_key=True)
    ref = db.Column(db.String(120), nullable=False, unique=True)
    kind = db.Column(db.String(10), nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("ledger_accounts.id"), nullable=False)
    # Where a refund (escrow) or a failed payout returns the money: the payer's / owner's wallet.
    payer_account_id = db.Column(db.Integer, db.ForeignKey("ledger_accounts.id"), nullable=False)
    channel = db.Column(db.String(10), nullable=False)  # how the money came in (escrow holds)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False)
    status = db.Column(db.String(10), nullable=False, default="open")
    funding_transaction_id = db.Column(db.Integer, db.ForeignKey("ledger_transactions.id"),
                                       nullable=False, index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    resolved_at = db.Column(db.DateTime, nullable=True)

    account = db.relationship("LedgerAccount", foreign_keys=[account_id], lazy="joined")
    payer_account = db.relationship("LedgerAccount", foreign_keys=[payer_account_id], lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def __repr__(self) -> str:
        return f"<Hold {self.id} {self.ref} {self.amount} {self.status}>"


class HoldResolution(db.Model):
    """The one resolution of a hold: the unique hold_id is the database's guarantee."""
    __tablename__ = "ledger_hold_resolutions"
    __table_args__ = (
        db.CheckConstraint(_in("outcome", HOLD_STATUSES[1:]), name="outcome_known"),
    )

    id = db.Column(db.Integer, primary_key=True)
    hold_id = db.Column(db.Integer, db.ForeignKey("ledger_holds.id"), nullable=False, unique=True)
    transaction_id = db.Column(db.Integer, db.ForeignKey("ledger_transactions.id"), nullable=False,
                               index=True)
    outcome = db.Column(db.String(10), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class Reversal(db.Model):
    """Links a reversal transaction to the transaction it undoes; each is reversed at most once."""
    __tablename__ = "ledger_reversals"

    id = db.Column(db.Integer, primary_key=True)
    original_id = db.Column(db.Integer, db.ForeignKey("ledger_transactions.id"), nullable=False, unique=True)
    reversal_id = db.Column(db.Integer, db.ForeignKey("ledger_transactions.id"), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


def _attach_ddl() -> None:
    for table, statements, dialect in (
        (LedgerTransaction.__table__, (ddl.IMMUTABLE_FUNCTION, ddl.TRANSACTIONS_IMMUTABLE_TRIGGER),
         "postgresql"),
        (LedgerEntry.__table__, (ddl.BALANCE_FUNCTION, ddl.BALANCE_TRIGGER, ddl.IMMUTABLE_FUNCTION,
                                 ddl.ENTRIES_IMMUTABLE_TRIGGER, ddl.APPLY_FUNCTION, ddl.APPLY_TRIGGER),
         "postgresql"),
        (LedgerAccount.__table__, (ddl.GUARD_FUNCTION, ddl.GUARD_TRIGGER), "postgresql"),
        (LedgerEntry.__table__, ddl.BALANCES_SQLITE, "sqlite"),
    ):
        for statement in statements:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))


_attach_ddl()
