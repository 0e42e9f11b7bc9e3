"""Sign-in throttling that fits a shared address, on the in-process store and on Redis:
correct sign-ins never count; wrong passwords count per account (a lock that doubles, the owner
mailed, a reset clears it) and per address (failures only, a higher ceiling)."""
from __future__ import annotations

import datetime as dt
import os

import pytest

from config import ProductionConfig, TestingConfig
from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.extensions import db, limiter
from marketplace.notifications.models import OutboxMail
from tests.factories import PASSWORD, make_user

# One Redis database per pytest-xdist worker (gw0 → 2, gw1 → 3, …): `limiter.reset()` empties the
# database, which must not wipe the counters of a test running in another worker at the same time.
# TEST_REDIS_URL overrides it (a checkout whose tests run beside another's on the same Redis).
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS = os.environ.get("TEST_REDIS_URL") or f"redis://127.0.0.1:6379/{2 + _WORKER}"


def _redis_up() -> bool:
    try:
        import redis
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


@pytest.fixture(params=["memory://", REDIS], ids=["memory", "redis"])
def limited(request, app):
    """An app with the shipped rate limits on, counting in memory or in Redis."""
    if request.param.startswith("redis") and not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running at 127.0.0.1:6379")
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    limited = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         UPLOAD_DIR=app.config["UPLOAD_DIR"], SERVER_NAME=None, RATELIMIT_ENABLED=True,
                         RATELIMIT_STORAGE_URI=request.param,
                         LOGIN_RATE_LIMIT=app.config["LOGIN_RATE_LIMIT"])
    with limited.app_context():
        limiter.reset()
        try:
            yield limited
        finally:
            limiter.reset()
            db.session.remove()
            db.engine.dispose()


def _attempt(client, email, password):
    return client.post("/login", data={"email": email, "password": password}).status_code


def test_thirty_correct_sign_ins_from_one_address_all_succeed(limited):
    for i in range(30):
        make_user(f"student{i}@example.com")
    statuses = [_attempt(limited.test_client(), f"student{i}@example.com", PASSWORD) for i in range(30)]
    assert statuses == [303] * 30


def test_forty_wrong_passwords_for_one_account_are_throttled_and_the_owner_is_mailed(limited):
    user = make_user("li@example.com")
    client = limited.test_client()
    statuses = [_attempt(client, "li@example.com", "wrong-password-77") for _ in range(40)]
    assert statuses[:5] == [422] * 5
    assert statuses[5:] == [429] * 35  # locked: not even tried
    # the right password does not open a locked account either
    assert _attempt(client, "li@example.com", PASSWORD) == 429
    mails = [m for m in db.session.scalars(db.select(OutboxMail)) if m.to == user.email]
    assert len(mails) == 1 and "paused" in mails[0].subject


def test_the_lock_doubles_and_a_sign_in_after_it_clears_the_count(limited):
    make_user("li@example.com")
    client = limited.test_client()
    for _ in range(5):
        _attempt(client, "li@example.com", "wrong-password-77")
    first = db.session.scalar(db.select(User).where(User.email == "li@example.com"))
    db.session.refresh(first)
    pause = first.login_locked_until - dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert dt.timedelta(seconds=50) < pause <= dt.timedelta(seconds=60)
    first.login_locked_until = dt.datetime(2000, 1, 1)  # the pause is over
    db.session.commit()
    for _ in range(5):
        _attempt(client, "li@example.com", "wrong-password-77")
    db.session.refresh(first)
    pause = first.login_locked_until - dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert dt.timedelta(seconds=110) < pause <= dt.timedelta(seconds=120)
    first.login_locked_until = dt.datetime(2000, 1, 1)
    db.session.commit()
    assert _attempt(client, "li@example.com", PASSWORD) == 303
    db.session.refresh(first)
    assert (first.failed_logins, first.login_lock_count, first.login_locked_until) == (0, 0, None)


def test_a_password_reset_ends_the_pause(limited):
    from marketplace.accounts import service
    user = make_user("li@example.com")
    client = limited.test_client()
    for _ in range(5):
        _attempt(client, "li@example.com", "wrong-password-77")
    with limited.test_request_context():
        token = service.reset_token_for(user)
    r = client.post(f"/password/reset/{token}", data={"password": "lantern-river-2026", "confirm": "lantern-river-2026"})
    assert r.status_code == 303
    assert _attempt(client, "li@example.com", "lantern-river-2026") == 303


def test_one_address_spraying_many_accounts_is_throttled(limited):
    for i in range(40):
        make_user(f"target{i}@example.com")
    client = limited.test_client()
    statuses = [_attempt(client, f"target{i}@example.com", "Password123!") for i in range(40)]
    assert statuses[:30] == [422] * 30
    assert statuses[30:] == [429] * 10
    # the accounts themselves were tried once each: none is locked
    assert not db.session.scalar(db.select(db.func.count(User.id)).where(User.login_lock_count > 0))


def test_registration_has_its_own_limit(limited):
    limited.config["REGISTER_RATE_LIMIT"] = "2 per hour"
    client = limited.test_client()
    form = {"password": "lantern-river-2026", "confirm": "lantern-river-2026", "display_name": "X",
            "account_type": "individual"}
    statuses = [client.post("/register", data={**form, "email": f"new{i}@example.com"}).status_code for i in range(3)]
    assert statuses[2] == 429
    assert _attempt(limited.test_client(), "nobody@example.com", "x") == 422  # sign-in is not affected


def test_production_refuses_memory_storage_with_several_workers(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        ProductionConfig.check()
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    ProductionConfig.check()
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", REDIS)
    ProductionConfig.check()
