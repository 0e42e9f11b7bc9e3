"""Operator work outside the queue: the audit log, user search, suspending accounts."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..accounts.service import end_sessions
from ..core import audit, links
from ..core.audit import AuditEntry
from ..core.db import conditional_update, iso, utcnow
from ..core.errors import Forbidden, NotFound, field_error
from ..extensions import db
from ..notifications.service import notify, register_kind

AUDIT_PAGE = 50
USERS_PAGE = 50

register_kind("account.suspended", _l("Your account was suspended: %(reason)s"))
register_kind("account.unsuspended", _l("Your account was reinstated: %(reason)s"))


def audit_entries(*, action: str | None = None, actor_email: str | None = None,
                  date_from: dt.date | None = None, date_to: dt.date | None = None,
                  before_id: int | None = None, limit: int = AUDIT_PAGE):
    """Audit entries, newest first, filtered; returns (entries, next_before_id).

    `action` matches exactly or as a prefix ending in "." ("verification." lists every
    verification action); `date_to` includes the whole day."""
    q = db.select(AuditEntry)
    if action:
        if action.endswith("."):
            q = q.where(AuditEntry.action.startswith(action, autoescape=True))
        else:
            q = q.where(AuditEntry.action == action)
    if actor_email:
        actor_ids = db.select(User.id).where(User.email.ilike(f"%{_escape_like(actor_email.lower())}%", escape="\\"))
        q = q.where(AuditEntry.actor_id.in_(actor_ids))
    if date_from:
        q = q.where(AuditEntry.at >= dt.datetime.combine(date_from, dt.time.min))
    if date_to:
        q = q.where(AuditEntry.at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min))
    if before_id:
        q = q.where(AuditEntry.id < before_id)
    rows = list(db.session.scalars(q.order_by(AuditEntry.id.desc()).limit(limit + 1)).unique())
    next_before = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_before


def audit_about(target, limit: int = 20) -> list[AuditEntry]:
    """The latest audit entries whose target is this object."""
    return list(db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.target_type == target.__tablename__,
                                    AuditEntry.target_id == str(target.id))
        .order_by(AuditEntry.id.desc()).limit(limit)))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_users(q: str | None = None, *, before_id: int | None = None, limit: int = USERS_PAGE):
    """Users matching an email or display-name fragment, newest first; (users, next_before_id)."""
    query = db.select(User)
    if q:
        pattern = f"%{_escape_like(q.lower())}%"
        query = query.where(db.or_(User.email.ilike(pattern, escape="\\"),
                                   User.display_name.ilike(pattern, escape="\\")))
    if before_id:
        query = query.where(User.id < before_id)
    rows = list(db.session.scalars(query.order_by(User.id.desc()).limit(limit + 1)))
    next_before = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_before


def get_user(user_id) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _l("Give a reason."))
    if len(reason) > 1000:
        raise field_error("reason", _l("At most 1000 characters."))
    return reason


def _check_may_act_on(actor, user) -> None:
    if user.id == actor.id:
        raise Forbidden(_l("You cannot suspend or reinstate your own account."))
    if user.is_operator and not actor.is_admin:
        raise Forbidden(_l("Only an administrator can suspend or reinstate staff accounts."))


def suspend_user(actor, user, reason: str) -> User:
    reason = _check_reason(reason)
    _check_may_act_on(actor, user)
    conditional_update(User, user, where=(User.suspended_at.is_(None),),
                       message=_l("This account is already suspended."), suspended_at=utcnow())
    end_sessions(user)
    audit.record("user.suspend", actor=actor, target=user, reason=reason)
    notify(user, "account.suspended", link=None, reason=reason)
    return user


def unsuspend_user(actor, user, reason: str) -> User:
    reason = _check_reason(reason)
    _check_may_act_on(actor, user)
    conditional_update(User, user, where=(User.suspended_at.is_not(None),),
                       message=_l("This account is not suspended."), suspended_at=None)
    audit.record("user.unsuspend", actor=actor, target=user, reason=reason)
    notify(user, "account.unsuspended", link=links.url("core.home"), reason=reason)
    return user


def serialize_user(user) -> dict:
    return {"id": user.id, "email": user.email, "display_name": user.display_name, "role": user.role,
            "account_type": user.account_type, "suspended": user.suspended_at is not None,
            "suspended_at": iso(user.suspended_at), "created_at": iso(user.created_at)}


def serialize_audit(entry) -> dict:
    return {"id": entry.id, "at": iso(entry.at), "action": entry.action, "actor_id": entry.actor_id,
            "actor_email": entry.actor.email if entry.actor else None, "target_type": entry.target_type,
            "target_id": entry.target_id, "ip": entry.ip, "details": entry.details}
