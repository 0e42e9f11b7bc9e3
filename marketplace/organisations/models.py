"""Organisations (enterprises, universities, institutes, teams), their members and invitations."""
from __future__ import annotations

import hashlib

from ..core.db import utcnow
from ..extensions import db

KINDS = ("enterprise", "university", "institute", "team")
ROLES = ("owner", "manager", "member")


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        db.CheckConstraint("kind in ('enterprise', 'university', 'institute', 'team')", name="kind_known"),
    )

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False, index=True)
    kind = db.Column(db.String(20), nullable=False, default="enterprise")
    city = db.Column(db.String(16), nullable=True)  # a code from core.catalogue.CITIES
    description = db.Column(db.Text, nullable=False, default="")
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (
        db.UniqueConstraint("org_id", "user_id"),
        db.CheckConstraint("role in ('owner', 'manager', 'member')", name="role_known"),
        db.Index("ix_memberships_user_id", "user_id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    role = db.Column(db.String(20), nullable=False, default="member")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    org = db.relationship("Organisation", lazy="joined")
    user = db.relationship("User", lazy="joined")


class OrgInvite(db.Model):
    """An invitation by email. Only the SHA-256 of the token is stored; the token is in the mail."""
    __tablename__ = "org_invites"
    __table_args__ = (
        db.CheckConstraint("role in ('owner', 'manager', 'member')", name="role_known"),
        db.Index("ix_org_invites_org_email", "org_id", "email"),
    )

    id = db.Column(db.Integer, primary_key=True)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False)
    email = db.Column(db.String(254), nullable=False)  # lower-cased
    role = db.Column(db.String(20), nullable=False, default="member")
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    invited_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime, nullable=False)
    accepted_at = db.Column(db.DateTime, nullable=True)
    accepted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    revoked_at = db.Column(db.DateTime, nullable=True)

    org = db.relationship("Organisation", lazy="joined")
    invited_by = db.relationship("User", foreign_keys=[invited_by_id], lazy="joined")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_open(self, now=None) -> bool:
        now = now or utcnow()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now
