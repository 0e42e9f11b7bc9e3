"""Profiles, avatars, user summaries for cards and the JSON shapes of a user."""
from __future__ import annotations

import hashlib

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from ..core import links
from ..core.catalogue import CITIES
from ..core.db import after_commit, iso
from ..core.errors import ValidationFailed
from ..core.events import collect
from ..core.files import IMAGE_KINDS, delete_stored, store_upload
from ..core.i18n import TIMEZONES, default_timezone, zone_of
from . import events
from .models import User
from .registration import _SKILL_SEPARATORS, MAX_SKILL_LENGTH, MAX_SKILLS


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
                   locale=_UNSET, timezone=_UNSET, avatar=None) -> User:
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
    if timezone is not _UNSET and timezone and timezone not in TIMEZONES:
        errors["timezone"] = [_l("Choose a time zone from the list.")]
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
    if timezone is not _UNSET:
        user.timezone = None if not timezone or timezone == default_timezone() else timezone
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
    return links.url("accounts.avatar", user_id=user.id, v=version)


def user_summaries(user_ids) -> dict[int, dict]:
    """{user_id: {"rating", "reviews", "completed", "score", "level"}} for cards of bidders and
    claimants, merged from the receivers of `accounts.user_summaries` (each answers for all the
    ids in one query). Ids nobody knows about get None/0 values."""
    ids = sorted({int(i) for i in user_ids if i is not None})
    merged: dict[int, dict] = {i: {"rating": None, "reviews": 0, "completed": 0, "score": None,
                                   "level": None} for i in ids}
    if not ids:
        return merged
    for value in collect(events.user_summaries, user_ids=ids):
        for uid, data in value.items():
            if uid in merged:
                merged[uid].update(data)
    return merged


def user_summary_columns(user_id) -> dict:
    """{key: SQL expression} of the figures of `user_summaries` (completed, score) for the user
    whose id is the expression `user_id` in a query, from the receivers of
    `accounts.user_summary_columns`, merged as `user_summaries` merges: where a later receiver's
    figure is not NULL it wins (coalesce, latest first). Keys nobody answers are missing."""
    merged: dict[str, list] = {}
    for value in collect(events.user_summary_columns, user_id=user_id):
        for key, expression in value.items():
            merged.setdefault(key, []).append(expression)
    return {key: expressions[0] if len(expressions) == 1 else func.coalesce(*reversed(expressions))
            for key, expressions in merged.items()}


# --- JSON shapes ----------------------------------------------------------------------------------

def public_payload(user: User) -> dict:
    return {"id": user.id, "display_name": user.display_name, "account_type": user.account_type,
            "city": user.city, "skills": list(user.skills or []), "bio": user.bio or "",
            "avatar_url": avatar_url(user), "member_since": iso(user.created_at)}


def me_payload(user: User) -> dict:
    """The User/me shape of API.md; other domains add or override keys (accounts.events.me_payload)."""
    data = {
        "id": user.id, "email": user.email, "display_name": user.display_name,
        "account_type": user.account_type, "org_name": user.org_name, "roles": user.roles,
        "city": user.city, "skills": list(user.skills or []), "bio": user.bio or "",
        "avatar_url": avatar_url(user), "locale": user.locale,
        "timezone": zone_of(user), "created_at": iso(user.created_at),
        "verification": {"status": "none", "masked_number": None},
        "orgs": [],
    }
    for extension in collect(events.me_payload, user=user):
        data.update(extension)
    return data


def profile_sections(user: User) -> list[tuple[str, dict]]:
    """The (template, context) sections other domains show on the public profile."""
    return collect(events.profile_sections, user=user)
