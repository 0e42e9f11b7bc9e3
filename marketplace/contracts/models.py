"""Contracts (after an award or a claim), their milestones, deliveries, claim abandonments and the
private message threads between a poster and a solver."""
from __future__ import annotations

from sqlalchemy import text

from ..core.db import StoredFileColumns, utcnow
from ..extensions import db

KINDS = ("tender", "claim")
STATUSES = ("proposed", "active", "completed", "cancelled", "disputed")
# A task has at most one contract in these statuses (a cancelled claim lets the task reopen).
LIVE_STATUSES = ("proposed", "active", "completed", "disputed")
_LIVE_SQL = "status in ('proposed', 'active', 'completed', 'disputed')"

MILESTONE_STATUSES = ("pending_funding", "funded", "delivered", "revision_requested", "accepted",
                      "disputed", "refunded", "cancelled")
# Money of the milestone is in escrow and not yet released.
HELD_STATUSES = ("funded", "delivered", "revision_requested", "disputed")
DELIVERABLE_STATUSES = ("funded", "revision_requested")


def _in(column: str, values) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class Contract(db.Model):
    __tablename__ = "contracts"
    __table_args__ = (
        db.CheckConstraint(_in("kind", KINDS), name="kind_known"),
        db.CheckConstraint(_in("status", STATUSES), name="status_known"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint("poster_id <> solver_id", name="parties_differ"),
        db.Index("uq_contracts_live_task", "task_id", unique=True,
                 sqlite_where=text(_LIVE_SQL), postgresql_where=text(_LIVE_SQL)),
        db.Index("ix_contracts_poster_id", "poster_id", "id"),
        db.Index("ix_contracts_solver_id", "solver_id", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(10), nullable=False)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id"), nullable=False)
    bid_id = db.Column(db.Integer, db.ForeignKey("bids.id"), nullable=True, unique=True)
    poster_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    solver_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    org_id = db.Column(db.Integer, nullable=True, index=True)  # the task's organisation
    # The organisation the solver bid for (its wallet is paid); none for a personal bid or a claim.
    solver_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=True, index=True)
    status = db.Column(db.String(16), nullable=False, default="proposed")
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="CNY")
    days = db.Column(db.Integer, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    accepted_at = db.Column(db.DateTime, nullable=True)
    completed_at = db.Column(db.DateTime, nullable=True)
    cancelled_at = db.Column(db.DateTime, nullable=True)
    # Mutual cancel: each side's request; the contract is cancelled when both are set.
    poster_cancel_at = db.Column(db.DateTime, nullable=True)
    solver_cancel_at = db.Column(db.DateTime, nullable=True)

    task = db.relationship("Task", lazy="raise")
    poster = db.relationship("User", foreign_keys=[poster_id], lazy="raise")
    solver = db.relationship("User", foreign_keys=[solver_id], lazy="raise")
    bid = db.relationship("Bid", lazy="raise")
    milestones = db.relationship("Milestone", back_populates="contract", lazy="raise",
                                 order_by="Milestone.position", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Contract {self.id} {self.kind} task={self.task_id} {self.status}>"


class Milestone(db.Model):
    __tablename__ = "milestones"
    __table_args__ = (
        db.CheckConstraint(_in("status", MILESTONE_STATUSES), name="status_known"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint("revisions >= 0", name="revisions_non_negative"),
        db.UniqueConstraint("contract_id", "position"),
        db.Index("ix_milestones_status", "status"),
    )

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False)
    position = db.Column(db.Integer, nullable=False)
    title = db.Column(db.String(200), nullable=False)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="CNY")
    status = db.Column(db.String(20), nullable=False, default="pending_funding")
    # Where the money is held: "milestone:<id>" for tenders, the task's escrow for a claim.
    escrow_ref = db.Column(db.String(64), nullable=True)
    due_at = db.Column(db.DateTime, nullable=True)
    funded_at = db.Column(db.DateTime, nullable=True)
    delivered_at = db.Column(db.DateTime, nullable=True)
    review_due_at = db.Column(db.DateTime, nullable=True)
    accepted_at = db.Column(db.DateTime, nullable=True)
    auto_accepted = db.Column(db.Boolean, nullable=False, default=False)
    revisions = db.Column(db.Integer, nullable=False, default=0)

    contract = db.relationship("Contract", back_populates="milestones", lazy="raise")
    deliveries = db.relationship("Delivery", back_populates="milestone", lazy="raise",
                                 order_by="Delivery.id", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Milestone {self.id} contract={self.contract_id} {self.status}>"


class Delivery(db.Model):
    """What the solver handed in for a milestone (or the "done" note of a claim), and the
    poster's revision request on it, if any."""
    __tablename__ = "deliveries"

    id = db.Column(db.Integer, primary_key=True)
    milestone_id = db.Column(db.Integer, db.ForeignKey("milestones.id", ondelete="CASCADE"),
                             nullable=False, index=True)
    solver_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    note = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    revision_reason = db.Column(db.Text, nullable=True)
    revision_requested_at = db.Column(db.DateTime, nullable=True)

    milestone = db.relationship("Milestone", back_populates="deliveries", lazy="raise")
    files = db.relationship("DeliveryFile", back_populates="delivery", lazy="raise",
                            order_by="DeliveryFile.id", cascade="all, delete-orphan")


class DeliveryFile(StoredFileColumns, db.Model):
    __tablename__ = "delivery_files"

    id = db.Column(db.Integer, primary_key=True)
    delivery_id = db.Column(db.Integer, db.ForeignKey("deliveries.id", ondelete="CASCADE"),
                            nullable=False, index=True)

    delivery = db.relationship("Delivery", back_populates="files", lazy="raise")


class ClaimAbandonment(db.Model):
    """A solver gave up a claimed task before starting it. Append-only; the credit domain reads
    these rows (kind of credit event: "claim_abandoned")."""
    __tablename__ = "claim_abandonments"

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id"), nullable=False, index=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id"), nullable=False, unique=True)
    solver_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    reason = db.Column(db.Text, nullable=False, default="")
    at = db.Column(db.DateTime, nullable=False, default=utcnow)


class Message(db.Model):
    """A private message between the poster side of a task and one solver (bidder or claimant).
    A thread is (task_id, solver_id)."""
    __tablename__ = "task_messages"
    __table_args__ = (db.Index("ix_task_messages_thread", "task_id", "solver_id", "id"),)

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id"), nullable=False)
    solver_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    sender_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    sender = db.relationship("User", foreign_keys=[sender_id], lazy="raise")
