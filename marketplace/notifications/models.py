from __future__ import annotations

from ..core.db import utcnow
from ..extensions import db


class Notification(db.Model):
    """One thing that happened that matters to one user. Text is rendered at display time
    from `kind` and `params`, in the reader's language."""
    __tablename__ = "notifications"
    __table_args__ = (db.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    kind = db.Column(db.String(64), nullable=False)
    params = db.Column(db.JSON, nullable=False, default=dict)
    link = db.Column(db.String(255), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    read_at = db.Column(db.DateTime, nullable=True)


class OutboxMail(db.Model):
    """Every email the platform sends; in development this is where mail goes."""
    __tablename__ = "outbox_mails"

    id = db.Column(db.Integer, primary_key=True)
    to = db.Column(db.String(254), nullable=False, index=True)
    subject = db.Column(db.String(255), nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    sent_at = db.Column(db.DateTime, nullable=True)
    error = db.Column(db.Text, nullable=True)
