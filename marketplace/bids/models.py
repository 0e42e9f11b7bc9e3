"""Bids on tenders and the files attached to them."""
from __future__ import annotations

import secrets

from sqlalchemy import text

from ..core.db import utcnow
from ..extensions import db

STATUSES = ("submitted", "withdrawn", "shortlisted", "accepted", "rejected")
# A solver has at most one live bid per task (enforced by a partial unique index).
LIVE_STATUSES = ("submitted", "shortlisted")
_LIVE_SQL = "status in ('submitted', 'shortlisted')"


class Bid(db.Model):
    __tablename__ = "bids"
    __table_args__ = (
        db.CheckConstraint("status in ('submitted', 'withdrawn', 'shortlisted', 'accepted', 'rejected')",
                           name="status_known"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint("days > 0", name="days_positive"),
        db.Index("uq_bids_live_task_solver", "task_id", "solver_id", unique=True,
                 sqlite_where=text(_LIVE_SQL), postgresql_where=text(_LIVE_SQL)),
        db.Index("ix_bids_task_status", "task_id", "status"),
        db.Index("ix_bids_solver_id", "solver_id", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id"), nullable=False)
    solver_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    # A bid placed on behalf of an organisation the solver manages; the contract then pays it.
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=True, index=True)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="CNY")
    days = db.Column(db.Integer, nullable=False)
    proposal = db.Column(db.Text, nullable=False)
    status = db.Column(db.String(16), nullable=False, default="submitted")
    reject_reason = db.Column(db.Text, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    decided_at = db.Column(db.DateTime, nullable=True)

    task = db.relationship("Task", lazy="raise")
    solver = db.relationship("User", lazy="raise")
    org = db.relationship("Organisation", lazy="raise")
    attachments = db.relationship("BidAttachment", back_populates="bid", lazy="raise",
                                  order_by="BidAttachment.id", cascade="all, delete-orphan")

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Bid {self.id} task={self.task_id} solver={self.solver_id} {self.status}>"


class BidAttachment(db.Model):
    """A file attached to a bid; visible to the bidder and the poster side only."""
    __tablename__ = "bid_attachments"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(32), nullable=False, unique=True,
                          default=lambda: secrets.token_urlsafe(16))
    bid_id = db.Column(db.Integer, db.ForeignKey("bids.id", ondelete="CASCADE"), nullable=False, index=True)
    path = db.Column(db.String(255), nullable=False)
    name = db.Column(db.String(200), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    mime = db.Column(db.String(80), nullable=False)
    uploaded_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    bid = db.relationship("Bid", back_populates="attachments", lazy="raise")
