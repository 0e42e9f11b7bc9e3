"""User reports of content (a task or a user) for the operators' queue."""
from __future__ import annotations

from ..core.db import utcnow
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
