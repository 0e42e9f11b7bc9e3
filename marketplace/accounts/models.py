"""Users, their skills in matching form and API tokens."""
from __future__ import annotations

import hashlib

from flask_login import UserMixin
from sqlalchemy import event
from sqlalchemy.orm import attributes

from ..core.db import utcnow
from ..extensions import db

ROLES = ("member", "operator", "admin")
ACCOUNT_TYPES = ("individual", "organization")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        db.CheckConstraint("role in ('member', 'operator', 'admin')", name="role_known"),
        db.CheckConstraint("account_type in ('individual', 'organization')", name="account_type_known"),
    )

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)  # stored lower-cased
    password_hash = db.Column(db.String(255), nullable=False)
    display_name = db.Column(db.String(80), nullable=False)
    account_type = db.Column(db.String(20), nullable=False, default="individual")
    # The organisation named at registration; the organisations domain owns the real record.
    org_name = db.Column(db.String(200), nullable=True)
    role = db.Column(db.String(20), nullable=False, default="member")
    bio = db.Column(db.Text, nullable=False, default="")
    city = db.Column(db.String(16), nullable=True)  # a code from core.cities
    skills = db.Column(db.JSON, nullable=False, default=list)  # list of tag strings
    avatar_path = db.Column(db.String(255), nullable=True)
    locale = db.Column(db.String(10), nullable=True)
    timezone = db.Column(db.String(40), nullable=True)  # one of core.i18n.TIMEZONES; None: Asia/Shanghai
    suspended_at = db.Column(db.DateTime, nullable=True)
    # On the blocklist (失信名单): may not post, bid, claim or submit until an operator lifts it.
    blocklisted_at = db.Column(db.DateTime, nullable=True)
    blocklist_reason = db.Column(db.Text, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(db.DateTime, nullable=True)
    # Set when the owner followed the link mailed at registration; until then the account cannot
    # sign in (accounts created on the command line or as demo data are confirmed at once).
    email_confirmed_at = db.Column(db.DateTime, nullable=True)
    # Rotated by logout, password change or reset, suspension and role change: every login session
    # and remember-me cookie made before then stops working (see get_id).
    session_version = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    # Sign-in throttling per account (see accounts.throttle).
    failed_logins = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    login_lock_count = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    login_locked_until = db.Column(db.DateTime, nullable=True)

    def get_id(self) -> str:
        # Flask-Login's alternative id: the session names the user and a fingerprint of the password
        # hash, the role and the session version, so a cookie holding only a user id (forged with a
        # known key) or one from before a rotation is refused by the user loader.
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def session_fingerprint(self) -> str:
        material = f"session:{self.password_hash}:{self.role}:{self.session_version or 0}"
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    @property
    def is_operator(self) -> bool:
        return self.role in ("operator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login: suspended users cannot log in
        return self.suspended_at is None

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_blocklisted(self) -> bool:
        return self.blocklisted_at is not None

    @property
    def roles(self) -> list[str]:
        return {"member": ["member"], "operator": ["member", "operator"],
                "admin": ["member", "operator", "admin"]}[self.role]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


# Skills are matched trimmed and case-folded ("FPGA" finds "fpga"), at most this long.
SKILL_KEY_LENGTH = 64


def skill_keys(skills) -> set[str]:
    """The matching form of a list of skill tags: trimmed, case-folded, distinct."""
    keys = (str(s).strip().casefold()[:SKILL_KEY_LENGTH] for s in (skills or []))
    return {k for k in keys if k}


def sync_skill_rows(connection, table, owner_column: str, owner, *, replace: bool) -> None:
    """Write the rows of `table` (owner, skill) for `owner.skills` (mapper events of User and Task:
    the rows follow every insert and every change of the skills, whichever code makes it)."""
    if replace:
        if not attributes.get_history(owner, "skills").has_changes():
            return
        connection.execute(table.delete().where(table.c[owner_column] == owner.id))
    rows = [{owner_column: owner.id, "skill": key} for key in sorted(skill_keys(owner.skills))]
    if rows:
        connection.execute(table.insert(), rows)


class UserSkill(db.Model):
    """One skill of a user in matching form (`skill_keys`), kept in step with `User.skills`:
    the solvers suggested for a task are found through the index on skill, newest first."""
    __tablename__ = "user_skills"
    __table_args__ = (db.Index("ix_user_skills_skill_user", "skill", "user_id"),)

    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    skill = db.Column(db.String(SKILL_KEY_LENGTH), primary_key=True)


@event.listens_for(User, "after_insert")
def _user_skills_inserted(mapper, connection, user: User) -> None:
    sync_skill_rows(connection, UserSkill.__table__, "user_id", user, replace=False)


@event.listens_for(User, "after_update")
def _user_skills_updated(mapper, connection, user: User) -> None:
    sync_skill_rows(connection, UserSkill.__table__, "user_id", user, replace=True)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""
    __tablename__ = "api_tokens"
    __table_args__ = (db.Index("ix_api_tokens_user_active", "user_id", "revoked_at"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    name = db.Column(db.String(80), nullable=False, default="")
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    prefix = db.Column(db.String(12), nullable=False)  # shown in the settings list
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_used_at = db.Column(db.DateTime, nullable=True)
    revoked_at = db.Column(db.DateTime, nullable=True)

    user = db.relationship("User", lazy="joined")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
