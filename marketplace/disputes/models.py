"""Disputes (纠纷): a disagreement about a milestone, a claim or a bounty outcome, its evidence
and how it ended (a settlement the parties agreed, an operator's decision, or a withdrawal)."""
from __future__ import annotations

from sqlalchemy import text

from ..core.db import StoredFileColumns, utcnow
from ..extensions import db

SUBJECTS = ("milestone", "claim", "bounty")
STATUSES = ("open", "settled", "decided", "withdrawn")
CLOSED_STATUSES = ("settled", "decided", "withdrawn")


class Dispute(db.Model):
    __tablename__ = "disputes"
    __table_args__ = (
        db.CheckConstraint("subject in ('milestone', 'claim', 'bounty')", name="subject_known"),
        db.CheckConstraint("status in ('open', 'settled', 'decided', 'withdrawn')", name="status_known"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.CheckConstraint("solver_share_bps IS NULL OR solver_share_bps BETWEEN 0 AND 10000",
                           name="share_in_range"),
        db.CheckConstraint("poster_offer_bps IS NULL OR poster_offer_bps BETWEEN 0 AND 10000",
                           name="poster_offer_in_range"),
        db.CheckConstraint("solver_offer_bps IS NULL OR solver_offer_bps BETWEEN 0 AND 10000",
                           name="solver_offer_in_range"),
        db.CheckConstraint("respondent_offer_bps IS NULL OR respondent_offer_bps BETWEEN 0 AND 10000",
                           name="respondent_offer_in_range"),
        # At most one open dispute per subject: the last line of defence against two openings.
        db.Index("uq_disputes_open_subject", "subject", "subject_id", unique=True,
                 sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        db.Index("ix_disputes_status_opened_at", "status", "opened_at"),
        db.Index("ix_disputes_poster_id", "poster_id", "id"),
        db.Index("ix_disputes_solver_id", "solver_id", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    subject = db.Column(db.String(10), nullable=False)
    # The milestone id (milestone), the contract id (claim) or the task id (bounty).
    subject_id = db.Column(db.Integer, nullable=False)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id"), nullable=False, index=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id"), nullable=True, index=True)
    milestone_id = db.Column(db.Integer, db.ForeignKey("milestones.id"), nullable=True, index=True)
    poster_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    solver_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    opened_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    # A dispute about a held bounty prize (`prize_id`). Brought by the poster side: `solver_id` is
    # the winner and the share is the winner's, the rest back to the payer. Brought by an entrant:
    # `solver_id` is that entrant (the complainant), `respondent_id` the winning entry's submitter;
    # the share is the complainant's, the rest stays with the winner.
    prize_id = db.Column(db.Integer, db.ForeignKey("bounty_prizes.id"), nullable=True, index=True)
    respondent_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    reason = db.Column(db.Text, nullable=False)
    amount = db.Column(db.BigInteger, nullable=False)  # the amount in question
    held = db.Column(db.BigInteger, nullable=False)    # the money frozen by the dispute
    currency = db.Column(db.String(3), nullable=False, default="CNY")
    hold_ref = db.Column(db.String(120), nullable=False)
    status = db.Column(db.String(10), nullable=False, default="open")
    opened_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    evidence_until = db.Column(db.DateTime, nullable=False)
    # What the dispute froze, so a withdrawal can resume it: the subject's status before, the
    # timer that was running and how much of its time was left.
    prior_status = db.Column(db.String(20), nullable=True)
    frozen_timer = db.Column(db.String(64), nullable=True)
    frozen_seconds = db.Column(db.Integer, nullable=True)
    # Settlement offers: each side's proposed share to the solver; equal offers settle.
    poster_offer_bps = db.Column(db.Integer, nullable=True)
    solver_offer_bps = db.Column(db.Integer, nullable=True)
    respondent_offer_bps = db.Column(db.Integer, nullable=True)  # the disputed winner's, between entrants
    solver_share_bps = db.Column(db.Integer, nullable=True)
    solver_amount = db.Column(db.BigInteger, nullable=True)  # before the fee
    payer_amount = db.Column(db.BigInteger, nullable=True)
    decision_reason = db.Column(db.Text, nullable=True)
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    closed_at = db.Column(db.DateTime, nullable=True)

    evidence = db.relationship("Evidence", back_populates="dispute", lazy="raise",
                               order_by="Evidence.id", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def __repr__(self) -> str:
        return f"<Dispute {self.id} {self.subject}:{self.subject_id} {self.status}>"


class Evidence(db.Model):
    """A statement (and files) one side adds to a dispute. Append-only."""
    __tablename__ = "dispute_evidence"

    id = db.Column(db.Integer, primary_key=True)
    dispute_id = db.Column(db.Integer, db.ForeignKey("disputes.id", ondelete="CASCADE"), nullable=False,
                           index=True)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    text = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    dispute = db.relationship("Dispute", back_populates="evidence", lazy="raise")
    files = db.relationship("EvidenceFile", back_populates="evidence", lazy="raise",
                            order_by="EvidenceFile.id", cascade="all, delete-orphan")


class EvidenceFile(StoredFileColumns, db.Model):
    __tablename__ = "dispute_evidence_files"

    id = db.Column(db.Integer, primary_key=True)
    evidence_id = db.Column(db.Integer, db.ForeignKey("dispute_evidence.id", ondelete="CASCADE"),
                            nullable=False, index=True)

    evidence = db.relationship("Evidence", back_populates="files", lazy="raise")
