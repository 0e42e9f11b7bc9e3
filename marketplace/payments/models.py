"""Payments rows: fundings (card, bank transfer, wallet), card refunds, payouts, the Stripe
connected account of a payee, and every external event received (unique on its id)."""
from __future__ import annotations

from ..core.db import utcnow
from ..extensions import db
from .flags import flag_text

FUNDING_METHODS = ("card", "bank_transfer", "wallet")
FUNDING_STATUSES = ("pending", "succeeded", "failed", "canceled", "mismatch")
REFUND_STATUSES = ("pending", "succeeded", "failed")
PAYOUT_STATUSES = ("requested", "approved", "paid", "rejected", "failed")


class Funding(db.Model):
    """Money coming in for one fundable subject ("milestone:12") by one method.

    Card: `payment_intent_id` is the Stripe PaymentIntent; it is funded only when a verified
    `payment_intent.succeeded` webhook arrives. Bank transfer: `reference` is the code the payer
    writes on the transfer; it is funded when an operator confirms the exact amount. Wallet: funded
    at once from the payer's available balance.
    """
    __tablename__ = "fundings"
    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint("method in ('card', 'bank_transfer', 'wallet')", name="method_known"),
        db.CheckConstraint("status in ('pending', 'succeeded', 'failed', 'canceled', 'mismatch')",
                           name="status_known"),
        db.CheckConstraint("refunded_amount >= 0 and refunded_amount <= amount",
                           name="refunded_within_amount"),
        db.CheckConstraint("method <> 'bank_transfer' or reference is not null",
                           name="bank_transfer_has_reference"),
        db.Index("ix_fundings_subject", "subject_kind", "subject_id"),
        db.Index("ix_fundings_method_status", "method", "status"),
        db.Index("ix_fundings_flag_open", "flagged", "flag_reviewed_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    subject_kind = db.Column(db.String(32), nullable=False)
    subject_id = db.Column(db.String(64), nullable=False)
    escrow_ref = db.Column(db.String(80), nullable=False, index=True)
    title = db.Column(db.String(200), nullable=False, default="")
    payer_user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    # The organisation paying, when the payer is one (the ledger keys its wallet by owner type/id).
    payer_org_id = db.Column(db.Integer, nullable=True)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False)
    method = db.Column(db.String(16), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="pending")
    reference = db.Column(db.String(16), nullable=True, unique=True)
    payment_intent_id = db.Column(db.String(255), nullable=True, unique=True)
    # A random part of the Stripe idempotency key: SQLite may hand out an id again after a
    # rollback, and Stripe remembers keys for a day.
    key_nonce = db.Column(db.String(16), nullable=False)
    received_amount = db.Column(db.BigInteger, nullable=True)
    confirmed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    failure_message = db.Column(db.String(500), nullable=True)
    flagged = db.Column(db.Boolean, nullable=False, default=False)
    flag_reason = db.Column(db.String(500), nullable=True)  # in English; shown translated (flags.flag_text)
    flag_code = db.Column(db.String(40), nullable=True)  # a key of flags.REASONS
    flag_params = db.Column(db.JSON, nullable=True)
    # An operator looked at the flag (what was done about it is in flag_note and the audit log).
    flag_reviewed_at = db.Column(db.DateTime, nullable=True)
    flag_reviewed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    flag_note = db.Column(db.String(500), nullable=True)
    refunded_amount = db.Column(db.BigInteger, nullable=False, default=0)
    # The ledger transaction that recorded the money (fund_escrow or fund_wallet).
    ledger_transaction_id = db.Column(db.Integer, db.ForeignKey("ledger_transactions.id"),
                                      nullable=True, unique=True)
    funded_at = db.Column(db.DateTime, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    payer = db.relationship("User", foreign_keys=[payer_user_id], lazy="select")

    # Set on the instance returned by start_funding for card payments; never stored.
    client_secret = None

    @property
    def flag_text(self) -> str:
        """Why it was flagged, in the reader's language."""
        return flag_text(self)

    @property
    def subject_ref(self) -> str:
        return f"{self.subject_kind}:{self.subject_id}"

    @property
    def stripe_idempotency_key(self) -> str:
        return f"fund:{self.id}:{self.key_nonce}"

    def __repr__(self) -> str:
        return f"<Funding {self.id} {self.method} {self.status} {self.amount} {self.currency}>"


class CardRefund(db.Model):
    """Money going back to the card of a card funding; sent to Stripe after the commit."""
    __tablename__ = "card_refunds"
    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint("status in ('pending', 'succeeded', 'failed')", name="status_known"),
    )

    id = db.Column(db.Integer, primary_key=True)
    funding_id = db.Column(db.Integer, db.ForeignKey("fundings.id"), nullable=False, index=True)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="pending", index=True)
    stripe_refund_id = db.Column(db.String(255), nullable=True, unique=True)
    key_nonce = db.Column(db.String(16), nullable=False)
    # The ledger refund that moved the money out of escrow: one card refund per such transaction.
    ledger_transaction_id = db.Column(db.Integer, db.ForeignKey("ledger_transactions.id"),
                                      nullable=False, unique=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.String(500), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    funding = db.relationship("Funding", lazy="select")

    @property
    def stripe_idempotency_key(self) -> str:
        return f"refund:{self.id}:{self.key_nonce}"


class Payout(db.Model):
    """A payee takes available balance out: requested -> approved -> paid | failed, or rejected.

    A user's own payout has `org_id` empty; an organisation's payout (from the organisation's
    wallet) has `org_id` set and `user_id` is the owner or manager who asked for it."""
    __tablename__ = "payouts"
    __table_args__ = (
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint("status in ('requested', 'approved', 'paid', 'rejected', 'failed')",
                           name="status_known"),
        db.CheckConstraint("channel is null or channel in ('stripe', 'bank')", name="channel_known"),
        db.Index("ix_payouts_user_created", "user_id", "created_at"),
        db.Index("ix_payouts_org_created", "org_id", "created_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=True)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="requested", index=True)
    channel = db.Column(db.String(16), nullable=True)
    reference = db.Column(db.String(255), nullable=True)  # bank reference or Stripe transfer id
    stripe_transfer_id = db.Column(db.String(255), nullable=True, unique=True)
    key_nonce = db.Column(db.String(16), nullable=False)
    reason = db.Column(db.String(500), nullable=True)  # why rejected or failed
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    decided_at = db.Column(db.DateTime, nullable=True)
    paid_at = db.Column(db.DateTime, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    user = db.relationship("User", foreign_keys=[user_id], lazy="select")
    org = db.relationship("Organisation", foreign_keys=[org_id], lazy="select")

    @property
    def payee(self):
        """Whose wallet pays it out: the organisation, or the user."""
        return self.org if self.org_id is not None else self.user

    @property
    def stripe_idempotency_key(self) -> str:
        return f"payout:{self.id}:{self.key_nonce}"


class ConnectedAccount(db.Model):
    """The Stripe connected account a payee's payouts are transferred to: a user's or an
    organisation's (exactly one of `user_id`, `org_id`)."""
    __tablename__ = "stripe_connected_accounts"
    __table_args__ = (
        db.CheckConstraint("(user_id is null) <> (org_id is null)", name="one_owner"),
    )

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True, unique=True)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=True, unique=True)
    stripe_account_id = db.Column(db.String(255), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class ExternalEvent(db.Model):
    """Every event received from a payment provider, stored once: (source, external_id) is unique,
    so a replayed or duplicated webhook is recognised and changes nothing."""
    __tablename__ = "external_events"
    __table_args__ = (db.UniqueConstraint("source", "external_id"),)

    id = db.Column(db.Integer, primary_key=True)
    source = db.Column(db.String(20), nullable=False)
    external_id = db.Column(db.String(255), nullable=False)
    type = db.Column(db.String(100), nullable=False)
    object_id = db.Column(db.String(255), nullable=True, index=True)
    payload = db.Column(db.JSON, nullable=False)
    outcome = db.Column(db.String(200), nullable=True)  # what processing did (applied, ignored, ...)
    received_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class PayoutAccount(db.Model):
    """The bank account a user's (or an organisation's) payouts are sent to by bank transfer.
    Pages show the number masked to its owner; the operator paying a payout sees it whole."""
    __tablename__ = "payout_accounts"
    __table_args__ = (
        db.UniqueConstraint("owner_type", "owner_id"),
        db.CheckConstraint("owner_type in ('user', 'org')", name="owner_type_known"),
    )

    id = db.Column(db.Integer, primary_key=True)
    owner_type = db.Column(db.String(8), nullable=False)
    owner_id = db.Column(db.Integer, nullable=False)
    bank_name = db.Column(db.String(100), nullable=False)
    holder_name = db.Column(db.String(100), nullable=False)
    account_number = db.Column(db.String(32), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @property
    def masked_number(self) -> str:
        n = self.account_number
        return f"{n[:4]} **** **** {n[-4:]}" if len(n) > 8 else "****" + n[-2:]
