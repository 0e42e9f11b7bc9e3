"""Small factory functions with sensible defaults. Each commits, so requests and other threads
see the rows."""
from __future__ import annotations

import itertools
import secrets

from marketplace.accounts.models import ApiToken, User
from marketplace.accounts.passwords import hash_password
from marketplace.core.db import utcnow
from marketplace.extensions import db

PASSWORD = "Correct-Horse-42"
_seq = itertools.count(1)


def make_user(email: str | None = None, *, password: str = PASSWORD, role: str = "member",
              display_name: str | None = None, city: str | None = "wuhan-hongshan",
              skills: list[str] | None = None, account_type: str = "individual", confirmed: bool = True,
              **fields) -> User:
    """A user who can sign in; `confirmed=False` for one who registered and has not yet followed
    the link of the confirmation mail."""
    n = next(_seq)
    fields.setdefault("email_confirmed_at", utcnow() if confirmed else None)
    user = User(
        email=(email or f"user{n}@example.com").lower(),
        password_hash=hash_password(password),
        display_name=display_name or f"User {n}",
        role=role,
        city=city,
        skills=skills or [],
        account_type=account_type,
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_operator(**kwargs) -> User:
    return make_user(role="operator", **kwargs)


def make_token(user: User) -> str:
    token = "hz_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name="test", token_hash=ApiToken.hash(token), prefix=token[:8]))
    db.session.commit()
    return token


def api_headers(user: User, **extra) -> dict:
    return {"Authorization": f"Bearer {make_token(user)}", **extra}


def login(client, user: User) -> None:
    """Log the test client in as `user` without going through the login form."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def make_admin(**kwargs) -> User:
    return make_user(role="admin", **kwargs)


def png_bytes(size: int = 4) -> bytes:
    """A real, small PNG image."""
    import io

    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()
