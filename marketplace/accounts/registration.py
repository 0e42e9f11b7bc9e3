"""Registration (confirmed by a mailed link), login, password reset and change, and the
notification kinds they send."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import current_app, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..core import audit, links
from ..core.db import utcnow
from ..core.errors import DomainError, Forbidden, NotAuthenticated, NotFound, ValidationFailed
from ..core.i18n import for_reader
from ..extensions import db
from ..notifications.service import notify, register_kind, send_mail
from . import events, throttle
from .models import ACCOUNT_TYPES, ROLES, ApiToken, User
from .passwords import check_password, hash_password, password_problems

TOKEN_PREFIX = "hz_"
MAX_SKILLS = 20
MAX_SKILL_LENGTH = 30
_SKILL_SEPARATORS = re.compile(r"[,，、;；\n\r]+")
_RESET_SALT = "huizhong.password-reset"
_CONFIRM_SALT = "huizhong.email-confirm"

register_kind("account.password_changed",
              _l("The password of your account was changed. If it was not you, reset it now and contact us."))
register_kind("account.role_changed", _l("Your role on Huizhong is now: %(role)s."))
register_kind("account.tokens_revoked",
              _l("Your password was changed, so your %(count)s API tokens were revoked. Create new ones "
                 "in the settings."))
register_kind("account.blocklisted",
              _l("Your account was put on the list of dishonest parties (失信名单): %(reason)s. "
                 "You cannot post, bid, claim or submit until an operator lifts it."))
register_kind("account.blocklist_lifted",
              _l("Your account was taken off the list of dishonest parties: %(reason)s."))

BLOCKLIST_REASON_MAX = 1000


class LoginRefused(NotAuthenticated):
    type_slug = "login-refused"
    default_message = _l("The email or password is not correct.")


class AccountSuspended(Forbidden):
    type_slug = "account-suspended"
    default_message = _l("This account is suspended. Please contact the platform operators.")


class EmailNotConfirmed(Forbidden):
    type_slug = "email-not-confirmed"
    default_message = _l("Confirm your email address first: follow the link in the mail we sent when you "
                         "registered. No mail? Send the link again.")


class ConfirmLinkInvalid(DomainError):
    status = 400
    type_slug = "confirm-link-invalid"
    default_message = _l("This confirmation link is invalid, has expired or has already been used. If you "
                         "confirmed already, log in; otherwise send the link again.")


class ResetLinkInvalid(DomainError):
    status = 400
    type_slug = "reset-link-invalid"
    default_message = _l("This password reset link is invalid, has expired or has already been used.")


# --- lookups --------------------------------------------------------------------------------------

def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str | None) -> User | None:
    email = normalise_email(email)
    if not email:
        return None
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()


def get_user(user_id) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


# --- registration ---------------------------------------------------------------------------------

def _checked_registration(*, email, password, display_name, account_type, org_name, role) -> dict:
    """The cleaned registration fields, or ValidationFailed naming each bad field. Whether the
    email already has an account is not checked here (see sign_up)."""
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    org_name = (org_name or "").strip() or None
    errors: dict[str, list] = {}
    if not email or "@" not in email or len(email) > 254:
        errors.setdefault("email", []).append(_l("Enter a valid email address."))
    problems = password_problems(password, email)
    if problems:
        errors["password"] = problems
    if not display_name:
        errors.setdefault("display_name", []).append(_l("Enter a display name."))
    elif len(display_name) > 80:
        errors.setdefault("display_name", []).append(_l("Use at most %(n)d characters.", n=80))
    if org_name and len(org_name) > 200:
        errors.setdefault("org_name", []).append(_l("Use at most %(n)d characters.", n=200))
    if account_type not in ACCOUNT_TYPES:
        errors.setdefault("account_type", []).append(_l("Choose individual or organisation."))
    elif account_type == "organization" and not org_name:
        errors.setdefault("org_name", []).append(_l("Enter the name of the organisation."))
    if role not in ROLES:
        errors.setdefault("role", []).append(_l("Unknown role."))
    if errors:
        raise ValidationFailed(errors=errors)
    return {"email": email, "password": password, "display_name": display_name,
            "account_type": account_type, "org_name": org_name if account_type == "organization" else None,
            "role": role}


def _create_user(data: dict, *, confirmed: bool) -> User:
    user = User(email=data["email"], password_hash=hash_password(data["password"]),
                display_name=data["display_name"], account_type=data["account_type"],
                org_name=data["org_name"], role=data["role"], bio="", skills=[],
                email_confirmed_at=utcnow() if confirmed else None)
    db.session.add(user)
    db.session.flush()
    form_data = {"email": user.email, "display_name": user.display_name, "account_type": user.account_type,
                 "org_name": user.org_name}
    events.after_register.send(user=user, form_data=form_data)
    audit.record("user.registered", actor=user, target=user, account_type=user.account_type,
                 confirmed=confirmed)
    return user


def register(*, email: str, password: str, display_name: str, account_type: str = "individual",
             org_name: str | None = None, role: str = "member", confirmed: bool = True) -> User:
    """Create a user at once (not committed): the command line and the demo data, where whoever
    creates the account vouches for the address. Raises ValidationFailed naming each bad field,
    including an email that already has an account. People registering themselves go through
    `sign_up`, which never says that."""
    data = _checked_registration(email=email, password=password, display_name=display_name,
                                 account_type=account_type, org_name=org_name, role=role)
    if find_by_email(data["email"]) is not None:
        raise ValidationFailed(errors={"email": [_l("An account with this email address already exists.")]})
    return _create_user(data, confirmed=confirmed)


def sign_up(*, email: str, password: str, display_name: str, account_type: str = "individual",
            org_name: str | None = None) -> None:
    """Registration by the person themselves (page and API). Answers the same whether or not the
    email already has an account, so registration cannot be used to find out who has one:

    - a new email: an unconfirmed account is created and a confirmation link is mailed; it cannot
      sign in until the link is followed (`confirm_email`);
    - an email with an account: nothing changes; its owner is mailed that someone tried to register
      with the address (an unconfirmed owner gets a fresh confirmation link instead).

    Both ways hash the password once and queue one mail (sent after the commit), so they take the
    same time. Bad fields raise ValidationFailed either way, checked before the email is looked up.
    """
    data = _checked_registration(email=email, password=password, display_name=display_name,
                                 account_type=account_type, org_name=org_name, role="member")
    existing = find_by_email(data["email"])
    if existing is None:
        user = _create_user(data, confirmed=False)
        _send_confirmation(user)
        return
    hash_password(data["password"])  # the work of creating an account, so the timing tells nothing
    audit.record("user.register_attempt_existing", actor=None, target=existing)
    if existing.suspended_at is not None:
        return
    if existing.email_confirmed_at is None:
        _send_confirmation(existing)
    else:
        _send_already_registered(existing)


def confirmation_token_for(user: User) -> str:
    return _confirm_serializer().dumps({"uid": user.id, "em": _email_fingerprint(user)})


def _confirm_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_CONFIRM_SALT)


def _email_fingerprint(user: User) -> str:
    return hashlib.sha256(user.email.encode()).hexdigest()[:32]


def _send_confirmation(user: User) -> None:
    link = url_for("accounts.confirm_email", token=confirmation_token_for(user), _external=True)
    hours = current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 3600
    with for_reader(user):
        subject = gettext("Huizhong: confirm your email address")
        body = gettext("Welcome to Huizhong, %(name)s. To confirm your email address and log in, open this "
                       "link within %(hours)d hours:", name=user.display_name, hours=hours)
        body += "\n\n" + link + "\n\n"
        body += gettext("If you did not register, ignore this email: the account stays unconfirmed and "
                        "cannot be used.")
    send_mail(user.email, subject, body)
    audit.record("user.confirmation_sent", actor=None, target=user)


def _send_already_registered(user: User) -> None:
    with for_reader(user):
        subject = gettext("Huizhong: someone tried to register with your email address")
        body = gettext("Someone tried to register a new Huizhong account with your email address. You "
                       "already have an account, so nothing was changed.")
        body += "\n\n" + gettext("If it was you, log in:") + "\n" + url_for("accounts.login", _external=True)
        body += "\n\n" + gettext("If you forgot your password, reset it:") + "\n"
        body += url_for("accounts.forgot_password", _external=True)
        body += "\n\n" + gettext("If it was not you, ignore this email; your account stays as it is.")
    send_mail(user.email, subject, body)


def confirm_email(token: str) -> User:
    """Confirm the address of the account the link was mailed to; the link works once, within
    EMAIL_CONFIRM_MAX_AGE. Returns the user, who may now sign in."""
    try:
        data = _confirm_serializer().loads(token, max_age=current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        raise ConfirmLinkInvalid() from None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        raise ConfirmLinkInvalid()
    user = db.session.get(User, data["uid"])
    if user is None or user.suspended_at is not None or user.email_confirmed_at is not None:
        raise ConfirmLinkInvalid()
    if not hmac.compare_digest(str(data.get("em", "")), _email_fingerprint(user)):
        raise ConfirmLinkInvalid()
    # Single use even when the link is followed twice at once: only one update finds it unconfirmed.
    done = db.session.execute(
        db.update(User).where(User.id == user.id, User.email_confirmed_at.is_(None))
        .values(email_confirmed_at=utcnow()).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise ConfirmLinkInvalid()
    db.session.refresh(user, ["email_confirmed_at"])
    audit.record("user.email_confirmed", actor=user, target=user)
    return user


def resend_confirmation(email: str) -> None:
    """Mail a new confirmation link if an unconfirmed, active account has this address; say
    nothing either way (the caller answers the same for any address)."""
    user = find_by_email(email)
    if user is None or user.suspended_at is not None or user.email_confirmed_at is not None:
        return
    _send_confirmation(user)


# --- login ----------------------------------------------------------------------------------------

_dummy_hashes: dict[bool, str] = {}


def _burn_hash_time(password: str) -> None:
    """Verify against a throwaway hash so an unknown email takes as long as a wrong password."""
    fast = bool(current_app.config.get("PASSWORD_HASH_FAST"))
    if fast not in _dummy_hashes:
        _dummy_hashes[fast] = hash_password(secrets.token_hex(8))
    check_password(_dummy_hashes[fast], password or "")


def authenticate(email: str, password: str, *, via: str = "page") -> User:
    """The user with these credentials, or LoginRefused / AccountSuspended.

    Every refusal is recorded in the audit log with the email tried (never the password). The
    caller must commit that record even though it answers with an error.
    """
    tried = normalise_email(email)[:254]
    user = find_by_email(tried)
    if user is None:
        _burn_hash_time(password)
        audit.record("login.failed", actor=None, target_type="users", email=tried,
                     reason="unknown_email", via=via)
        raise LoginRefused(errors={"password": [LoginRefused.default_message]})
    throttle.check_not_locked(user, via=via)
    if not check_password(user.password_hash, password or ""):
        audit.record("login.failed", actor=None, target=user, email=tried, reason="wrong_password", via=via)
        throttle.record_failure(user)
        raise LoginRefused(errors={"password": [LoginRefused.default_message]})
    if user.suspended_at is not None:
        audit.record("login.failed", actor=None, target=user, email=tried, reason="suspended", via=via)
        raise AccountSuspended(errors={"email": [AccountSuspended.default_message]})
    # Said only after the right password, so it tells nothing to someone guessing addresses.
    if user.email_confirmed_at is None:
        audit.record("login.failed", actor=None, target=user, email=tried, reason="unconfirmed", via=via)
        raise EmailNotConfirmed(errors={"email": [EmailNotConfirmed.default_message]})
    return user


def record_login(user: User, *, via: str = "page") -> None:
    user.last_login_at = utcnow()
    throttle.clear(user)
    audit.record("login.succeeded", actor=user, target=user, via=via)


# --- password reset and change -------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Binding the token to the current hash makes it single-use: any password change voids it.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def reset_token_for(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "ph": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        raise ResetLinkInvalid() from None
    if not isinstance(data, dict):
        raise ResetLinkInvalid()
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or user.suspended_at is not None:
        raise ResetLinkInvalid()
    if not hmac.compare_digest(str(data.get("ph", "")), _password_fingerprint(user)):
        raise ResetLinkInvalid()
    return user


def request_password_reset(email: str) -> None:
    """Email a reset link if an active account has this address; say nothing either way."""

    user = find_by_email(email)
    if user is None or user.suspended_at is not None:
        return
    link = url_for("accounts.reset_password", token=reset_token_for(user), _external=True)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    with for_reader(user):
        subject = gettext("Huizhong: reset your password")
        body = gettext("Someone asked to reset the password of your Huizhong account. "
                       "If it was you, open this link within %(minutes)d minutes:", minutes=minutes)
        body += "\n\n" + link + "\n\n"
        body += gettext("If it was not you, ignore this email; your password stays unchanged.")
    send_mail(user.email, subject, body)
    audit.record("password.reset_requested", actor=None, target=user)


def _path(endpoint: str, fallback: str) -> str:
    """A page path for a notification link (core.links works in jobs and the command line too)."""
    return links.url(endpoint) or fallback


def end_sessions(user: User) -> None:
    """End every login session and remember-me cookie of the user (the session version rotates)."""
    db.session.execute(db.update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(user, ["session_version"])


def audit_logout(user: User) -> None:
    audit.record("user.logout", actor=user, target=user)


def revoke_all_tokens(user: User) -> int:
    """Revoke every API token of the user; returns how many were active."""
    result = db.session.execute(
        db.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount or 0


def _set_password(user: User, new_password: str, field: str = "password") -> None:
    problems = password_problems(new_password, user.email)
    if problems:
        raise ValidationFailed(errors={field: problems})
    user.password_hash = hash_password(new_password)
    db.session.flush()
    # A new password ends the sessions and the API tokens made with the old one.
    end_sessions(user)
    revoked = revoke_all_tokens(user)
    if revoked:
        audit.record("api_tokens.revoked_on_password_change", actor=user, target=user, count=revoked)
        notify(user, "account.tokens_revoked", link=_path("accounts.tokens", "/settings/tokens"), count=revoked)


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    _set_password(user, new_password)
    throttle.clear(user)  # a successful reset ends a sign-in pause
    audit.record("password.reset_completed", actor=user, target=user)
    notify(user, "account.password_changed", link=_path("accounts.forgot_password", "/password/forgot"))
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not check_password(user.password_hash, current_password or ""):
        raise ValidationFailed(errors={"current_password": [_l("The current password is not correct.")]})
    if current_password == new_password:
        raise ValidationFailed(errors={"password": [_l("Choose a password different from the current one.")]})
    _set_password(user, new_password)
    audit.record("password.changed", actor=user, target=user)
    notify(user, "account.password_changed", link=_path("accounts.forgot_password", "/password/forgot"))
