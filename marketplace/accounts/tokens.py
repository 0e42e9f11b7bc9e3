"""API tokens: create, list, revoke, and the user a bearer token belongs to."""
from __future__ import annotations

import secrets

from ..core import audit
from ..core.db import utcnow
from ..core.errors import NotFound
from ..extensions import db
from .models import ApiToken, User
from .registration import TOKEN_PREFIX


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


def user_for_token(token: str) -> User | None:
    """The active user a bearer token belongs to (api.events.bearer_token handler), or None."""
    row = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token),
                                  ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is None or not row.user.is_active:
        return None
    now = utcnow()
    # Touch last_used_at at most once a minute so reads stay reads.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    return row.user
