"""Bounty entries (稿件) kept in the confidential vault, their files and co-authors, and the
operator reviews of bounties whose selection window ended without a choice.

A submission's `public_id` is what URLs and the API show (never the sequential primary key).
Its fingerprint (`sha256`, see `bounties.receipts`) is unique and stays valid after withdrawal.
"""
from __future__ import annotations

import secrets

from ..core.db import utcnow
from ..extensions import db

SUBMISSION_STATUSES = ("submitted", "withdrawn", "eligible", "ineligible", "accepted", "rejected", "winner")
# Entries still in the running (one per solver per task).
LIVE_STATUSES = ("submitted", "eligible", "accepted", "winner")
# Entries that may still win or be accepted.
CONTENDING_STATUSES = ("submitted", "eligible")
REVIEW_STATUSES = ("open", "awarded", "refunded")


def _in(column: str, values) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


def _public_id() -> str:
    return secrets.token_urlsafe(16)


class Submission(db.Model):
    __tablename__ = "bounty_submissions"
    __table_args__ = (
        db.CheckConstraint(_in("status", SUBMISSION_STATUSES), name="status_known"),
        db.CheckConstraint("rank IS NULL OR rank > 0", name="rank_positive"),
        db.CheckConstraint("paid_amount >= 0", name="paid_not_negative"),
        # One live entry per solver and task; one winner per rank; one entry per paid piece.
        db.Index("uq_bounty_submissions_live", "task_id", "solver_id", unique=True,
                 sqlite_where=db.text("status NOT IN ('withdrawn', 'ineligible', 'rejected')"),
                 postgresql_where=db.text("status NOT IN ('withdrawn', 'ineligible', 'rejected')")),
        db.UniqueConstraint("task_id", "rank", name="uq_bounty_submissions_rank"),
        db.UniqueConstraint("task_id", "piece_no", name="uq_bounty_submissions_piece"),
    )

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(32), nullable=False, unique=True, default=_public_id)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    solver_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    text = db.Column(db.Text, nullable=False, default="")
    sha256 = db.Column(db.String(64), nullable=False, unique=True)
    received_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    status = db.Column(db.String(12), nullable=False, default="submitted")
    reason = db.Column(db.Text, nullable=True)        # why ineligible / rejected (the solver reads it)
    note = db.Column(db.Text, nullable=True)          # the poster side's private note
    shortlisted = db.Column(db.Boolean, nullable=False, default=False)
    rank = db.Column(db.Integer, nullable=True)       # winners of single / ranked bounties
    piece_no = db.Column(db.Integer, nullable=True)   # accepted entries of piece bounties
    paid_amount = db.Column(db.BigInteger, nullable=False, default=0)  # gross prize or piece price
    replaces_id = db.Column(db.Integer, db.ForeignKey("bounty_submissions.id"), nullable=True)
    withdrawn_at = db.Column(db.DateTime, nullable=True)
    decided_at = db.Column(db.DateTime, nullable=True)

    files = db.relationship("SubmissionFile", back_populates="submission", lazy="raise",
                            order_by="SubmissionFile.id", cascade="all, delete-orphan")
    authors = db.relationship("SubmissionAuthor", back_populates="submission", lazy="raise",
                              order_by="SubmissionAuthor.id", cascade="all, delete-orphan")
    solver = db.relationship("User", lazy="raise")

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Submission {self.id} task={self.task_id} {self.status}>"


class SubmissionFile(db.Model):
    """A file of an entry, stored by core.files under a random name outside the web root."""
    __tablename__ = "bounty_submission_files"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(32), nullable=False, unique=True, default=_public_id)
    submission_id = db.Column(db.Integer, db.ForeignKey("bounty_submissions.id", ondelete="CASCADE"),
                              nullable=False, index=True)
    path = db.Column(db.String(255), nullable=False)  # relative to UPLOAD_DIR
    name = db.Column(db.String(200), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    mime = db.Column(db.String(80), nullable=False)

    submission = db.relationship("Submission", back_populates="files", lazy="raise")


class SubmissionAuthor(db.Model):
    """Who shares an entry's prize, in basis points (the submitter included); shares sum to 10000."""
    __tablename__ = "bounty_submission_authors"
    __table_args__ = (
        db.UniqueConstraint("submission_id", "user_id"),
        db.CheckConstraint("share_bps > 0 AND share_bps <= 10000", name="share_in_range"),
    )

    id = db.Column(db.Integer, primary_key=True)
    submission_id = db.Column(db.Integer, db.ForeignKey("bounty_submissions.id", ondelete="CASCADE"),
                              nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    share_bps = db.Column(db.Integer, nullable=False)

    submission = db.relationship("Submission", back_populates="authors", lazy="raise")
    user = db.relationship("User", lazy="raise")


class BountyReview(db.Model):
    """A bounty whose selection window ended with eligible entries and no winners: an operator
    awards by the published criteria or refunds with a written reason (one review per task)."""
    __tablename__ = "bounty_reviews"
    __table_args__ = (db.CheckConstraint(_in("status", REVIEW_STATUSES), name="status_known"),)

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, unique=True)
    status = db.Column(db.String(10), nullable=False, default="open")
    opened_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    decided_at = db.Column(db.DateTime, nullable=True)
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    reason = db.Column(db.Text, nullable=True)

    task = db.relationship("Task", lazy="raise")


PRIZE_STATUSES = ("held", "disputed", "released", "split")


class BountyPrize(db.Model):
    """A prize of a single or ranked bounty after the award: held in the bounty's escrow (its
    ledger holds `<escrow>:prize:<rank>` and top-ups stay open) until `held_until`, within which an
    entrant or the poster side may dispute it; then the `bounty.prize_release` timer pays it to the
    winning entry's authors. A dispute freezes that timer; its outcome splits the prize instead."""
    __tablename__ = "bounty_prizes"
    __table_args__ = (
        db.CheckConstraint(_in("status", PRIZE_STATUSES), name="status_known"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.UniqueConstraint("task_id", "rank", name="uq_bounty_prizes_rank"),
    )

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    submission_id = db.Column(db.Integer, db.ForeignKey("bounty_submissions.id", ondelete="CASCADE"),
                              nullable=False, unique=True)
    rank = db.Column(db.Integer, nullable=False)
    amount = db.Column(db.BigInteger, nullable=False)  # gross, before the fee
    currency = db.Column(db.String(3), nullable=False, default="CNY")
    status = db.Column(db.String(10), nullable=False, default="held")
    awarded_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    held_until = db.Column(db.DateTime, nullable=False)
    paid_at = db.Column(db.DateTime, nullable=True)

    submission = db.relationship("Submission", lazy="raise")

    @property
    def is_held(self) -> bool:
        return self.status in ("held", "disputed")
