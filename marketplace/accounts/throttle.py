"""Sign-in throttling that fits a shared address (a campus or an office behind one NAT address).

Per account: LOGIN_ACCOUNT_FAILURES wrong passwords in a row lock the account for
LOGIN_LOCK_SECONDS, doubling with each further lock (at most LOGIN_LOCK_MAX_SECONDS); the owner is
mailed; a successful sign-in or password reset clears it. The counters live on the user row, so
every worker and machine sees them.

Per address: only failed attempts count (LOGIN_RATE_LIMIT, a ceiling well above what one office
mistypes), so many people signing in correctly from one address are never refused, while one
address spraying passwords over many accounts is. Registration (REGISTER_RATE_LIMIT) and reset
mail (RESET_MAIL_RATE_LIMIT) have their own limits.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, has_request_context, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..core import audit
from ..core.db import utcnow
from ..core.errors import DomainError
from ..core.i18n import for_reader
from ..extensions import db
from ..notifications.service import send_mail
from .models import User


class AccountLocked(DomainError):
    status = 429
    type_slug = "account-locked"
    default_message = _l("Too many wrong passwords for this account. Try again later, or reset the password.")


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def reset_mail_limit() -> str:
    return current_app.config["RESET_MAIL_RATE_LIMIT"]


def failed(response) -> bool:
    """Flask-Limiter deduct_when: count refused sign-ins only, never successful ones."""
    return response.status_code in (401, 422, 429)


def locked_until(user: User, now: dt.datetime | None = None) -> dt.datetime | None:
    """The end of the account's sign-in pause, or None (stored times are naive UTC)."""
    until = user.login_locked_until
    if until is not None and until.tzinfo is not None:
        until = until.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return until if until is not None and until > (now or utcnow()) else None


def check_not_locked(user: User, *, via: str = "page") -> None:
    until = locked_until(user)
    if until is not None:
        audit.record("login.locked_out", actor=None, target=user, via=via, until=until.isoformat())
        raise AccountLocked(errors={"password": [AccountLocked.default_message]})


def record_failure(user: User) -> None:
    """One more wrong password; the fifth in a row locks the account and mails its owner."""
    config = current_app.config
    db.session.execute(db.update(User).where(User.id == user.id)
                       .values(failed_logins=User.failed_logins + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(user, ["failed_logins", "login_lock_count", "login_locked_until"])
    if user.failed_logins < int(config.get("LOGIN_ACCOUNT_FAILURES", 5)):
        return
    locks = (user.login_lock_count or 0) + 1
    seconds = min(int(config.get("LOGIN_LOCK_SECONDS", 60)) * 2 ** (locks - 1),
                  int(config.get("LOGIN_LOCK_MAX_SECONDS", 24 * 3600)))
    until = utcnow() + dt.timedelta(seconds=seconds)
    user.failed_logins = 0
    user.login_lock_count = locks
    user.login_locked_until = until
    audit.record("login.account_locked", actor=None, target=user, seconds=seconds, locks=locks)
    _mail_owner(user, seconds)


def clear(user: User) -> None:
    """A successful sign-in or password reset: the failures and the lock are forgotten."""
    if user.failed_logins or user.login_lock_count or user.login_locked_until:
        user.failed_logins = 0
        user.login_lock_count = 0
        user.login_locked_until = None


def _mail_owner(user: User, seconds: int) -> None:


    link = url_for("accounts.forgot_password", _external=True) if has_request_context() else "/password/forgot"
    with for_reader(user):
        subject = gettext("Huizhong: sign-in to your account paused")
        body = gettext("Someone entered a wrong password for your Huizhong account several times, so "
                       "signing in is paused for %(minutes)d minutes.", minutes=max(1, seconds // 60))
        body += "\n\n" + gettext("If it was not you, your password is still safe; you can also reset "
                                 "it here, which ends the pause at once:") + "\n" + link
    send_mail(user.email, subject, body)
