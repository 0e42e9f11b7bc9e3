"""The timers table."""
from __future__ import annotations

from sqlalchemy import text

from ..core.db import utcnow
from ..extensions import db

TIMER_STATUSES = ("pending", "done", "cancelled", "failed")


class Timer(db.Model):
    """One piece of work due at `due_at` for one subject ("milestone:12").

    At most one pending timer exists per (kind, subject_ref); scheduling again moves its due time.
    """
    __tablename__ = "timers"
    __table_args__ = (
        db.CheckConstraint("status in ('pending', 'done', 'cancelled', 'failed')", name="status_known"),
        db.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        db.Index("uq_timers_pending_kind_subject", "kind", "subject_ref", unique=True,
                 sqlite_where=text("status = 'pending'"),
                 postgresql_where=text("status = 'pending'")),
        db.Index("ix_timers_status_due_at", "status", "due_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(64), nullable=False)
    subject_ref = db.Column(db.String(64), nullable=False)
    due_at = db.Column(db.DateTime, nullable=False)
    status = db.Column(db.String(16), nullable=False, default="pending")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.Text, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    done_at = db.Column(db.DateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<Timer {self.id} {self.kind} {self.subject_ref} {self.status} due {self.due_at}>"


class TimerFreeze(db.Model):
    """A subject whose timers are paused (e.g. "task:7" while a dispute about it is open): the
    sweeper skips them, and thawing moves their due times on by the time they were frozen."""
    __tablename__ = "timer_freezes"

    id = db.Column(db.Integer, primary_key=True)
    subject_ref = db.Column(db.String(64), nullable=False, unique=True)
    by_ref = db.Column(db.String(64), nullable=False)  # what froze it, e.g. "dispute:3"
    frozen_at = db.Column(db.DateTime, nullable=False, default=utcnow)
