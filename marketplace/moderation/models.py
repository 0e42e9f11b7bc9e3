"""User reports of content (a task or a user) for the operators' queue."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.db import utcnow
from ..core.statuses import register
from ..extensions import db

REPORT_STATUSES = ("open", "resolved")
REPORT_SUBJECTS = ("task", "user")


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        db.CheckConstraint("status in ('open', 'resolved')", name="status_known"),
        db.CheckConstraint("subject_type in ('task', 'user')", name="subject_type_known"),
        # Exactly the subject the type names.
        db.CheckConstraint(
            "(subject_type = 'task' AND task_id IS NOT NULL AND user_id IS NULL) OR "
            "(subject_type = 'user' AND user_id IS NOT NULL AND task_id IS NULL)",
            name="one_subject"),
        db.Index("ix_reports_status_id", "status", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    reporter_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    subject_type = db.Column(db.String(10), nullable=False)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id"), nullable=True, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True, index=True)
    reason = db.Column(db.Text, nullable=False)
    status = db.Column(db.String(10), nullable=False, default="open")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    resolved_at = db.Column(db.DateTime, nullable=True)
    resolved_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    resolution = db.Column(db.Text, nullable=True)

    reporter = db.relationship("User", foreign_keys=[reporter_id], lazy="raise")
    user = db.relationship("User", foreign_keys=[user_id], lazy="raise")
    task = db.relationship("Task", lazy="raise")


class NegativeRule(db.Model):
    """An operator's change to the negative list: a rule of their own, or a configured rule whose
    words they replaced (status active) or that they switched off (status removed). Configured
    rules without a row here apply as configured."""
    __tablename__ = "negative_rules"
    __table_args__ = (db.CheckConstraint("status in ('active', 'removed')", name="status_known"),)

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(40), nullable=False, unique=True)  # the rule key, e.g. "gambling"
    label = db.Column(db.String(100), nullable=False, default="")
    words = db.Column(db.JSON, nullable=False, default=list)
    status = db.Column(db.String(10), nullable=False, default="active")
    reason = db.Column(db.Text, nullable=False, default="")
    updated_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class NegativeListHit(db.Model):
    """A post the negative list refused: which rule and word, in which field, by whom. Written
    even though the refused request itself is rolled back (see core.db.after_rollback)."""
    __tablename__ = "negative_list_hits"
    __table_args__ = (db.Index("ix_negative_list_hits_rule_id", "rule", "id"),)

    id = db.Column(db.Integer, primary_key=True)
    rule = db.Column(db.String(40), nullable=False)
    word = db.Column(db.String(100), nullable=False, default="")
    field = db.Column(db.String(40), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True, index=True)
    excerpt = db.Column(db.String(300), nullable=False, default="")
    at = db.Column(db.DateTime, nullable=False, default=utcnow)

    user = db.relationship("User", lazy="raise")


register("negative_rules", {"active": _l("In force"), "removed": _l("Switched off")})
