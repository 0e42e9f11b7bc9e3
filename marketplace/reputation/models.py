"""Reputation: engagements that ended with money moved, their double-blind reviews, the
hash-chained credit records (信用记录) of users and organisations, each subject's credit standing
(stored aggregates the score is read from) and the expert pool (专家库)."""
from __future__ import annotations

from sqlalchemy import DDL, event

from ..core.db import utcnow
from ..extensions import db
from . import ddl

ENGAGEMENT_KINDS = ("contract", "claim", "bounty")
SIDES = ("poster", "solver")
SUBJECT_TYPES = ("user", "org")
GENESIS_HASH = "0" * 64


class Engagement(db.Model):
    """A finished piece of work that moved money: a completed contract, a confirmed claim or one
    bounty winner. Each side may review the other until `review_closes_at`; the reviews are
    hidden until `published_at` (both reviewed, or the window closed)."""
    __tablename__ = "engagements"
    __table_args__ = (
        db.CheckConstraint("kind in ('contract', 'claim', 'bounty')", name="kind_known"),
        db.CheckConstraint("amount > 0", name="amount_positive"),
        db.UniqueConstraint("task_id", "solver_id"),
        db.Index("ix_engagements_poster", "poster_id", "id"),
        db.Index("ix_engagements_solver", "solver_id", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(10), nullable=False)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id"), nullable=False)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id"), nullable=True, unique=True)
    poster_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    solver_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    poster_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=True)
    solver_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=True)
    amount = db.Column(db.BigInteger, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="CNY")
    on_time = db.Column(db.Boolean, nullable=True)  # None: no due date to judge by
    ended_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    review_closes_at = db.Column(db.DateTime, nullable=False)
    published_at = db.Column(db.DateTime, nullable=True)

    task = db.relationship("Task", lazy="raise")
    poster = db.relationship("User", foreign_keys=[poster_id], lazy="raise")
    solver = db.relationship("User", foreign_keys=[solver_id], lazy="raise")

    def side_of(self, user_id) -> str | None:
        if user_id == self.poster_id:
            return "poster"
        if user_id == self.solver_id:
            return "solver"
        return None


class Review(db.Model):
    """One side's review of the other. One per side per engagement (the database says so)."""
    __tablename__ = "reviews"
    __table_args__ = (
        db.CheckConstraint("side in ('poster', 'solver')", name="side_known"),
        db.CheckConstraint("rating between 1 and 5", name="rating_range"),
        db.CheckConstraint("quality between 1 and 5", name="quality_range"),
        db.CheckConstraint("communication between 1 and 5", name="communication_range"),
        db.CheckConstraint("timeliness between 1 and 5", name="timeliness_range"),
        db.UniqueConstraint("engagement_id", "side"),
        db.Index("ix_reviews_reviewee", "reviewee_id", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    engagement_id = db.Column(db.Integer, db.ForeignKey("engagements.id"), nullable=False)
    side = db.Column(db.String(10), nullable=False)  # the reviewer's side
    reviewer_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    reviewee_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    rating = db.Column(db.Integer, nullable=False)
    quality = db.Column(db.Integer, nullable=False)
    communication = db.Column(db.Integer, nullable=False)
    timeliness = db.Column(db.Integer, nullable=False)
    text = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    reply = db.Column(db.Text, nullable=True)
    replied_at = db.Column(db.DateTime, nullable=True)

    engagement = db.relationship("Engagement", lazy="raise")
    reviewer = db.relationship("User", foreign_keys=[reviewer_id], lazy="raise")


class CreditRecord(db.Model):
    """One link of a subject's append-only credit chain. `hash` covers the subject, seq, kind,
    time, data (stored as the exact JSON text that was hashed) and `prev_hash`. On PostgreSQL a
    trigger refuses UPDATE and DELETE; `flask credit verify` recomputes every chain."""
    __tablename__ = "credit_records"
    __table_args__ = (
        db.CheckConstraint("subject_type in ('user', 'org')", name="subject_type_known"),
        db.CheckConstraint("seq >= 1", name="seq_positive"),
        db.UniqueConstraint("subject_type", "subject_id", "seq"),
    )

    id = db.Column(db.Integer, primary_key=True)
    subject_type = db.Column(db.String(8), nullable=False)
    subject_id = db.Column(db.Integer, nullable=False)
    seq = db.Column(db.Integer, nullable=False)
    kind = db.Column(db.String(40), nullable=False)
    at = db.Column(db.DateTime, nullable=False)
    data = db.Column(db.Text, nullable=False)  # canonical JSON, hashed as stored
    prev_hash = db.Column(db.String(64), nullable=False)
    hash = db.Column(db.String(64), nullable=False)


class CreditStanding(db.Model):
    """A subject's aggregates, rebuilt from its chain whenever a record is appended, so pages and
    cards read a score without scanning history. Its row is also the lock that orders appends."""
    __tablename__ = "credit_standings"
    __table_args__ = (
        db.CheckConstraint("subject_type in ('user', 'org')", name="subject_type_known"),
        db.UniqueConstraint("subject_type", "subject_id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    subject_type = db.Column(db.String(8), nullable=False)
    subject_id = db.Column(db.Integer, nullable=False)
    seq = db.Column(db.Integer, nullable=False, default=0)
    head = db.Column(db.String(64), nullable=False, default=GENESIS_HASH)
    completed = db.Column(db.Integer, nullable=False, default=0)
    completed_value = db.Column(db.BigInteger, nullable=False, default=0)
    on_time = db.Column(db.Integer, nullable=False, default=0)
    timed = db.Column(db.Integer, nullable=False, default=0)
    reviews = db.Column(db.Integer, nullable=False, default=0)
    rating = db.Column(db.Float, nullable=True)  # weighted by value and recency
    plain_rating = db.Column(db.Float, nullable=True)  # the simple mean shown on cards
    disputes_lost = db.Column(db.Integer, nullable=False, default=0)
    abandonments = db.Column(db.Integer, nullable=False, default=0)
    cancellations = db.Column(db.Integer, nullable=False, default=0)
    violations = db.Column(db.Integer, nullable=False, default=0)
    verified = db.Column(db.Boolean, nullable=False, default=False)
    score = db.Column(db.Integer, nullable=True)
    level = db.Column(db.String(16), nullable=True)
    parts = db.Column(db.JSON, nullable=False, default=dict)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class Expert(db.Model):
    """An entry of the expert pool (专家库): a verified individual or organisation that listed
    itself. `search_key` holds "|skill|…|field|…|" in lower case for filtering in SQL."""
    __tablename__ = "experts"
    __table_args__ = (
        db.CheckConstraint("(user_id is null) <> (org_id is null)", name="one_subject"),
        db.Index("ix_experts_city", "city"),
    )

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True, unique=True)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=True, unique=True)
    name = db.Column(db.String(200), nullable=False)
    headline = db.Column(db.String(200), nullable=False, default="")
    city = db.Column(db.String(16), nullable=True)
    fields = db.Column(db.JSON, nullable=False, default=list)  # category slugs
    skills = db.Column(db.JSON, nullable=False, default=list)
    search_key = db.Column(db.Text, nullable=False, default="|")
    available = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    @property
    def subject(self) -> tuple[str, int]:
        return ("user", self.user_id) if self.user_id else ("org", self.org_id)


def _attach_postgresql_ddl() -> None:

    for statement in ddl.ALL:
        event.listen(CreditRecord.__table__, "after_create", DDL(statement).execute_if(dialect="postgresql"))


_attach_postgresql_ddl()
