"""Verification requests: identity (实名认证) for individuals, organisation (企业认证) for orgs."""
from __future__ import annotations

from ..core.db import utcnow
from ..extensions import db

SUBJECTS = ("individual", "organisation")
STATUSES = ("pending", "approved", "rejected")


class VerificationRequest(db.Model):
    """One submission and its decision. The number is kept only masked and as a keyed digest.

    The database allows one pending request per person and per organisation, and one approved
    request per number, so concurrent submissions or approvals cannot break those rules.
    """
    __tablename__ = "verification_requests"
    __table_args__ = (
        db.CheckConstraint("subject in ('individual', 'organisation')", name="subject_known"),
        db.CheckConstraint("status in ('pending', 'approved', 'rejected')", name="status_known"),
        db.CheckConstraint(
            "(subject = 'individual' and org_id is null) or "
            "(subject = 'organisation' and org_id is not null and licence_path is not null)",
            name="subject_fields"),
        db.CheckConstraint("status <> 'rejected' or reason is not null", name="rejection_reason"),
        db.Index("uq_verification_requests_pending_person", "user_id", unique=True,
                 sqlite_where=db.text("status = 'pending' and subject = 'individual'"),
                 postgresql_where=db.text("status = 'pending' and subject = 'individual'")),
        db.Index("uq_verification_requests_pending_org", "org_id", unique=True,
                 sqlite_where=db.text("status = 'pending' and subject = 'organisation'"),
                 postgresql_where=db.text("status = 'pending' and subject = 'organisation'")),
        db.Index("uq_verification_requests_approved_number", "subject", "number_digest", unique=True,
                 sqlite_where=db.text("status = 'approved'"),
                 postgresql_where=db.text("status = 'approved'")),
        db.Index("ix_verification_requests_user_subject", "user_id", "subject", "id"),
        db.Index("ix_verification_requests_org", "org_id", "id"),
        db.Index("ix_verification_requests_digest", "number_digest"),
        db.Index("ix_verification_requests_status", "status", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    subject = db.Column(db.String(20), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)  # the submitter
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=True)
    name = db.Column(db.String(200), nullable=False)  # real name or registered organisation name
    masked_number = db.Column(db.String(32), nullable=False)
    number_digest = db.Column(db.String(64), nullable=False)
    licence_token = db.Column(db.String(48), nullable=True, unique=True)  # opaque id in the file URL
    licence_path = db.Column(db.String(255), nullable=True)
    licence_name = db.Column(db.String(200), nullable=True)
    licence_mime = db.Column(db.String(64), nullable=True)
    licence_size = db.Column(db.Integer, nullable=True)
    licence_sha256 = db.Column(db.String(64), nullable=True)
    status = db.Column(db.String(20), nullable=False, default="pending")
    reason = db.Column(db.Text, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    decided_at = db.Column(db.DateTime, nullable=True)
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)

    user = db.relationship("User", foreign_keys=[user_id], lazy="joined")
    org = db.relationship("Organisation", lazy="joined")
    decided_by = db.relationship("User", foreign_keys=[decided_by_id], lazy="select")
