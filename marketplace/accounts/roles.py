"""Roles and the blocklist (失信名单), whose flag lives on the user."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core import audit
from ..core.db import utcnow
from ..core.errors import Forbidden, ValidationFailed, WrongState
from ..extensions import db
from ..notifications.service import notify
from . import events
from .models import ROLES, User
from .policies import require_admin, require_operator
from .registration import BLOCKLIST_REASON_MAX, _path, end_sessions


def set_role(actor: User | None, user: User, role: str, *, system: bool = False) -> User:
    """Change a user's role. Only admins may (or the command line, with system=True)."""
    if not system:
        require_admin(actor)
    if role not in ROLES:
        raise ValidationFailed(errors={"role": [_l("Choose member, operator or admin.")]})
    if not system and actor.id == user.id:
        # Guards against an admin locking everyone out; another admin (or the CLI) can do it.
        raise ValidationFailed(errors={"role": [_l("You cannot change your own role.")]})
    if user.role != role:
        previous = user.role
        user.role = role
        db.session.flush()
        end_sessions(user)  # sessions made under the old role end
        audit.record("user.role_changed", actor=actor, target=user, previous=previous, role=role,
                     via="cli" if system else "web")
        notify(user, "account.role_changed", email=False, role=role)
    return user


# --- blocklist (失信名单) ---------------------------------------------------------------------------

def _blocklist_reason(reason) -> str:
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationFailed(errors={"reason": [_l("Give the reason.")]})
    if len(reason) > BLOCKLIST_REASON_MAX:
        raise ValidationFailed(errors={"reason": [_l("Use at most %(n)d characters.", n=BLOCKLIST_REASON_MAX)]})
    return reason


def set_blocklisted(user: User, reason: str, by: User | None, *, now=None) -> User:
    """Put `user` on the blocklist: posting, bidding, claiming and submitting stop at once, with
    the reason shown to them. `by` is the operator (None for the platform itself, e.g. a rule)."""
    if by is not None:
        require_operator(by)
        if by.id == user.id:
            raise Forbidden(_l("You cannot put your own account on the blocklist."))
    reason = _blocklist_reason(reason)
    now = now or utcnow()
    result = db.session.execute(
        db.update(User).where(User.id == user.id, User.blocklisted_at.is_(None))
        .values(blocklisted_at=now, blocklist_reason=reason).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise WrongState(_l("This account is already on the blocklist."))
    db.session.refresh(user)
    audit.record("user.blocklist", actor=by, target=user, reason=reason)
    notify(user, "account.blocklisted", link=_path("accounts.profile", "/profile"), reason=reason.rstrip("。.！!　 "))
    events.user_blocklisted.send(User, user=user, reason=reason, by=by, at=now)
    return user


def lift_blocklist(user: User, reason: str, by: User, *, now=None) -> User:
    """An operator takes `user` off the blocklist, with a reason (audit-logged)."""
    require_operator(by)
    if by.id == user.id:
        raise Forbidden(_l("You cannot lift the blocklist of your own account."))
    reason = _blocklist_reason(reason)
    now = now or utcnow()
    result = db.session.execute(
        db.update(User).where(User.id == user.id, User.blocklisted_at.is_not(None))
        .values(blocklisted_at=None, blocklist_reason=None).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise WrongState(_l("This account is not on the blocklist."))
    db.session.refresh(user)
    audit.record("user.blocklist_lift", actor=by, target=user, reason=reason)
    notify(user, "account.blocklist_lifted", link=_path("accounts.profile", "/profile"), reason=reason)
    events.user_blocklist_lifted.send(User, user=user, reason=reason, by=by, at=now)
    return user
