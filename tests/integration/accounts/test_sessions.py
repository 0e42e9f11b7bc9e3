"""Sessions bound to credentials: a cookie holding only a user id is refused; logout, a password
change, suspension and a role change end the sessions (and remember-me cookies) made before;
API tokens end with a password change and the owner is told."""
from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface

from marketplace.accounts import service
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.factories import PASSWORD, api_headers, make_admin, make_operator, make_user

NEW = "lantern-river-2026"


def _forged_cookie(app, data: dict) -> str:
    """A session cookie signed with the app's key, as anyone who knows the key could make."""
    return SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)


def _login(client, email, remember=False):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 303


def test_a_cookie_with_only_a_user_id_opens_nothing(app):
    make_operator(email="op@example.com")
    client = app.test_client()
    client.set_cookie("session", _forged_cookie(app, {"_user_id": "1", "_fresh": True}))
    assert client.get("/operator/").status_code in (302, 401, 403)
    client.set_cookie("session", _forged_cookie(app, {"_user_id": "1:deadbeef", "_fresh": True}))
    assert client.get("/operator/").status_code in (302, 401, 403)


def test_a_session_cookie_replayed_after_logout_is_refused(app):
    make_user("li@example.com")
    client = app.test_client()
    _login(client, "li@example.com")
    cookie = client.get_cookie("session").value
    assert client.get("/me").status_code == 200
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/me").status_code == 302


def test_a_remember_me_cookie_replayed_after_logout_is_refused(app):
    make_user("li@example.com")
    client = app.test_client()
    _login(client, "li@example.com", remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.same_site == "Lax"
    replay = app.test_client()
    replay.set_cookie("remember_token", remember.value)
    assert replay.get("/me").status_code == 200  # the cookie works before logout
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("remember_token", remember.value)
    assert replay.get("/me").status_code == 302


def test_suspension_ends_the_session(app, client):
    user = make_user("li@example.com")
    browser = app.test_client()
    _login(browser, "li@example.com")
    from marketplace.operator import service as operator
    operator.suspend_user(make_admin(), user, "fraud")
    db.session.commit()
    assert browser.get("/me").status_code == 302


def test_a_role_change_ends_the_session(app):
    user = make_user("li@example.com")
    browser = app.test_client()
    _login(browser, "li@example.com")
    service.set_role(make_admin(), user, "operator")
    db.session.commit()
    assert browser.get("/me").status_code == 302
    _login(browser, "li@example.com")
    assert browser.get("/operator/").status_code == 200


def test_a_password_change_revokes_the_api_tokens_and_says_so(app, client):
    user = make_user("li@example.com")
    headers = api_headers(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    browser = app.test_client()
    _login(browser, "li@example.com")
    r = browser.post("/password/change", data={"current_password": PASSWORD, "password": NEW, "confirm": NEW})
    assert r.status_code == 303
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    kinds = [n.kind for n in db.session.scalars(db.select(Notification).where(Notification.user_id == user.id))]
    assert "account.tokens_revoked" in kinds
    assert browser.get("/me").status_code == 200  # this session carries on under the new password


def test_make_run_writes_a_random_key_into_instance(tmp_path):
    from config import instance_secret_key
    first = instance_secret_key(tmp_path)
    assert len(first) == 64 and instance_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert instance_secret_key(tmp_path / "other") != first
