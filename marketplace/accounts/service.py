"""Account rules: registration, login, password reset and change, profile, API tokens, roles.

Other domains plug into this one through three registries (append at init_app time):

    AFTER_REGISTER.append(fn)     fn(user, form_data) runs inside the registration unit of work
                                  (e.g. create the organisation named in form_data["org_name"]);
                                  raising ValidationFailed refuses the whole registration.
    ME_EXTENSIONS.append(fn)      fn(user) -> dict merged into the /api/v1/me payload
                                  (e.g. {"verification": {...}} or {"orgs": [...]}).
    PROFILE_SECTIONS.append(fn)   fn(user) -> (template, context) or None, rendered on the public
                                  profile page (badges, credit, reviews).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import current_app, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..core import audit
from ..core.catalogue import CITIES
from ..core.db import after_commit, utcnow
from ..core.errors import DomainError, Forbidden, NotAuthenticated, NotFound, ValidationFailed, WrongState
from ..core.files import IMAGE_KINDS, delete_stored, store_upload
from ..extensions import db
from ..notifications.service import notify, register_kind
from . import events, throttle
from .models import ACCOUNT_TYPES, ROLES, ApiToken, User
from .passwords import check_password, hash_password, password_problems
from .policies import require_operator

AFTER_REGISTER: list = []
ME_EXTENSIONS: list = []
PROFILE_SECTIONS: list = []

TOKEN_PREFIX = "hz_"
MAX_SKILLS = 20
MAX_SKILL_LENGTH = 30
_SKILL_SEPARATORS = re.compile(r"[,，、;；\n\r]+")
_RESET_SALT = "huizhong.password-reset"

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

def register(*, email: str, password: str, display_name: str, account_type: str = "individual",
             org_name: str | None = None, role: str = "member") -> User:
    """Create a user (not committed). Raises ValidationFailed naming each bad field."""
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    org_name = (org_name or "").strip() or None
    errors: dict[str, list] = {}
    if not email or "@" not in email or len(email) > 254:
        errors.setdefault("email", []).append(_l("Enter a valid email address."))
    elif find_by_email(email) is not None:
        errors.setdefault("email", []).append(_l("An account with this email address already exists."))
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

    user = User(email=email, password_hash=hash_password(password), display_name=display_name,
                account_type=account_type, org_name=org_name if account_type == "organization" else None,
                role=role, bio="", skills=[])
    db.session.add(user)
    db.session.flush()
    form_data = {"email": email, "display_name": display_name, "account_type": account_type,
                 "org_name": user.org_name}
    for hook in AFTER_REGISTER:
        hook(user, form_data)
    audit.record("user.registered", actor=user, target=user, account_type=account_type)
    return user


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
    from ..notifications.service import send_mail

    user = find_by_email(email)
    if user is None or user.suspended_at is not None:
        return
    link = url_for("accounts.reset_password", token=reset_token_for(user), _external=True)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    from flask_babel import force_locale, gettext
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = gettext("Huizhong: reset your password")
        body = gettext("Someone asked to reset the password of your Huizhong account. "
                       "If it was you, open this link within %(minutes)d minutes:", minutes=minutes)
        body += "\n\n" + link + "\n\n"
        body += gettext("If it was not you, ignore this email; your password stays unchanged.")
    send_mail(user.email, subject, body)
    audit.record("password.reset_requested", actor=None, target=user)


def _path(endpoint: str, fallback: str) -> str:
    """A page path for a notification link; jobs and the command line have no URL adapter."""
    return url_for(endpoint) if has_request_context() else fallback


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


# --- profile --------------------------------------------------------------------------------------

def normalise_skills(value) -> list[str]:
    """Skill tags from "a, b、c" text or a list: trimmed, inner spaces collapsed, de-duplicated
    case-insensitively in order. Raises ValidationFailed on `skills` for too many or too long."""
    if value is None:
        return []
    parts = value if isinstance(value, (list, tuple)) else _SKILL_SEPARATORS.split(str(value))
    tags, seen = [], set()
    for part in parts:
        if not isinstance(part, str):
            raise ValidationFailed(errors={"skills": [_l("Skills must be text.")]})
        for piece in _SKILL_SEPARATORS.split(part):
            tag = " ".join(piece.split())
            if not tag:
                continue
            if len(tag) > MAX_SKILL_LENGTH:
                raise ValidationFailed(errors={"skills": [
                    _l("A skill may have at most %(n)d characters.", n=MAX_SKILL_LENGTH)]})
            key = tag.casefold()
            if key not in seen:
                seen.add(key)
                tags.append(tag)
    if len(tags) > MAX_SKILLS:
        raise ValidationFailed(errors={"skills": [_l("List at most %(n)d skills.", n=MAX_SKILLS)]})
    return tags


_UNSET = object()


def update_profile(user: User, *, display_name: str, bio: str | None, city: str | None, skills,
                   locale=_UNSET, avatar=None) -> User:
    """Edit one's own profile. `avatar` is an uploaded file (or None to keep the current one)."""
    display_name = (display_name or "").strip()
    errors: dict[str, list] = {}
    if not display_name:
        errors["display_name"] = [_l("Enter a display name.")]
    elif len(display_name) > 80:
        errors["display_name"] = [_l("Use at most %(n)d characters.", n=80)]
    if city and city not in CITIES:
        errors["city"] = [_l("Choose a city from the list.")]
    if locale is not _UNSET and locale and locale not in current_app.config["LANGUAGES"]:
        errors["locale"] = [_l("Choose a language from the list.")]
    try:
        tags = normalise_skills(skills)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)

    if avatar is not None and getattr(avatar, "filename", ""):
        stored = store_upload(avatar, field="avatar", kinds=IMAGE_KINDS,
                              max_bytes=current_app.config["AVATAR_MAX_BYTES"], subdir="avatars")
        old = user.avatar_path
        user.avatar_path = stored.path
        if old:
            after_commit(_remove_file, old)
    user.display_name = display_name
    user.bio = (bio or "").strip()
    user.city = city or None
    user.skills = tags
    if locale is not _UNSET:
        user.locale = locale or None
    return user


def _remove_file(rel: str) -> None:
    try:
        delete_stored(rel)
    except (OSError, ValueError):
        pass


def avatar_url(user: User) -> str | None:
    if not user.avatar_path:
        return None
    version = hashlib.sha256(user.avatar_path.encode()).hexdigest()[:8]
    if not has_request_context():  # jobs and the command line have no URL adapter
        return f"/users/{user.id}/avatar?v={version}"
    return url_for("accounts.avatar", user_id=user.id, v=version)


# --- API tokens -----------------------------------------------------------------------------------

def create_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new bearer token for `user`: the row (holding only the hash) and the token itself,
    which is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=(name or "").strip()[:80], token_hash=ApiToken.hash(token),
                   prefix=token[:10])
    db.session.add(row)
    db.session.flush()
    audit.record("token.created", actor=user, target=row, prefix=row.prefix, name=row.name)
    return row, token


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_token(actor: User, token_id: int) -> ApiToken:
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != actor.id:
        raise NotFound()
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("token.revoked", actor=actor, target=row, prefix=row.prefix)
    return row


# --- roles ----------------------------------------------------------------------------------------

def set_role(actor: User | None, user: User, role: str, *, system: bool = False) -> User:
    """Change a user's role. Only admins may (or the command line, with system=True)."""
    if not system:
        from .policies import require_admin
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


# --- user summaries (bidder and claimant cards) ---------------------------------------------------

def user_summaries(user_ids) -> dict[int, dict]:
    """{user_id: {"rating", "reviews", "completed", "score", "level"}} for cards of bidders and
    claimants, merged from the receivers of `accounts.user_summaries` (each answers for all the
    ids in one query). Ids nobody knows about get None/0 values."""
    ids = sorted({int(i) for i in user_ids if i is not None})
    merged: dict[int, dict] = {i: {"rating": None, "reviews": 0, "completed": 0, "score": None,
                                   "level": None} for i in ids}
    if not ids:
        return merged
    for _receiver, value in events.user_summaries.send(User, user_ids=ids):
        for uid, data in (value or {}).items():
            if uid in merged:
                merged[uid].update(data)
    return merged


# --- JSON shapes ----------------------------------------------------------------------------------

def public_payload(user: User) -> dict:
    from ..core.db import iso
    return {"id": user.id, "display_name": user.display_name, "account_type": user.account_type,
            "city": user.city, "skills": list(user.skills or []), "bio": user.bio or "",
            "avatar_url": avatar_url(user), "member_since": iso(user.created_at)}


def me_payload(user: User) -> dict:
    """The User/me shape of API.md; other domains add or override keys via ME_EXTENSIONS."""
    from ..core.db import iso
    data = {
        "id": user.id, "email": user.email, "display_name": user.display_name,
        "account_type": user.account_type, "org_name": user.org_name, "roles": user.roles,
        "city": user.city, "skills": list(user.skills or []), "bio": user.bio or "",
        "avatar_url": avatar_url(user), "locale": user.locale, "created_at": iso(user.created_at),
        "verification": {"status": "none", "masked_number": None},
        "orgs": [],
    }
    for extension in ME_EXTENSIONS:
        data.update(extension(user) or {})
    return data
