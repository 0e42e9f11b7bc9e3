"""The audit log: every operator/admin action and every security event, append-only."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from .db import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True, index=True)
    action = db.Column(db.String(64), nullable=False, index=True)
    target_type = db.Column(db.String(40), nullable=True)
    target_id = db.Column(db.String(64), nullable=True)
    ip = db.Column(db.String(64), nullable=True)
    details = db.Column(db.JSON, nullable=False, default=dict)

    actor = db.relationship("User", lazy="joined")


def client_ip() -> str | None:
    if not has_request_context():
        return None
    return request.remote_addr


def record(action: str, *, actor=None, target=None, target_type: str | None = None,
           target_id=None, **details) -> AuditEntry:
    """Add an audit entry to the current unit of work.

    actor defaults to the logged-in user; target may be a model instance (its table and id are
    recorded). Never put secrets or full identity numbers in details.
    """
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    if target is not None:
        target_type = target_type or getattr(target, "__tablename__", type(target).__name__)
        target_id = getattr(target, "id", target)
    entry = AuditEntry(
        actor_id=getattr(actor, "id", actor),
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        ip=client_ip(),
        details=details,
    )
    db.session.add(entry)
    return entry
