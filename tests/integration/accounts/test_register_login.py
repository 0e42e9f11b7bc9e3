"""Registration, login and logout through the pages."""
import pytest

from marketplace.accounts import events as accounts_events
from marketplace.accounts.models import User
from marketplace.core.audit import AuditEntry
from marketplace.core.db import utcnow
from marketplace.extensions import db
from tests.factories import PASSWORD, make_user

from .helpers import audit_rows, count, user_by_email

GOOD = {"email": "Li.Ming@Example.com", "password": "river-lantern-88", "confirm": "river-lantern-88",
        "display_name": "李明", "account_type": "individual", "org_name": ""}


def test_register_creates_an_unconfirmed_member_who_is_not_logged_in(client):
    resp = client.post("/register", data=GOOD)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("/register/check-email")
    user = user_by_email("li.ming@example.com")
    assert user is not None
    assert user.display_name == "李明" and user.role == "member" and user.account_type == "individual"
    assert user.password_hash != GOOD["password"]
    assert user.email_confirmed_at is None
    assert client.get("/me").status_code == 302  # not logged in until the mailed link is followed
    assert [r.target_id for r in audit_rows("user.registered")] == [str(user.id)]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Check your mailbox" in page and "/register/resend" in page


def test_register_organisation_keeps_org_name_and_runs_hooks(client):
    seen = []

    def hook(_sender, *, user, form_data):
        seen.append((user.email, form_data["org_name"]))

    with accounts_events.after_register.connected_to(hook):
        resp = client.post("/register", data={**GOOD, "account_type": "organization", "org_name": "华科大科技园"})
    assert resp.status_code == 303
    user = user_by_email("li.ming@example.com")
    assert user.account_type == "organization" and user.org_name == "华科大科技园"
    assert seen == [("li.ming@example.com", "华科大科技园")]


def test_organisation_without_org_name_is_refused_on_org_name(client):
    resp = client.post("/register", data={**GOOD, "account_type": "organization"})
    assert resp.status_code == 422
    assert 'data-field="org_name"' in resp.get_data(as_text=True)
    assert count(User) == 0


def test_a_hook_refusing_registration_writes_nothing(client):
    from marketplace.core.errors import ValidationFailed

    def refuse(_sender, **kwargs):
        raise ValidationFailed(errors={"org_name": ["That organisation is already registered."]})

    with accounts_events.after_register.connected_to(refuse):
        resp = client.post("/register", data={**GOOD, "account_type": "organization", "org_name": "X"})
    assert resp.status_code == 422
    assert "That organisation is already registered." in resp.get_data(as_text=True)
    assert count(User) == 0 and count(AuditEntry) == 0


def test_a_taken_email_changes_nothing_case_insensitively(client):
    # (that the answer is the same as for a new email: test_confirm_registration.py)
    owner = make_user("li.ming@example.com", display_name="The Owner")
    resp = client.post("/register", data={**GOOD, "display_name": "Another Li"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/register/check-email")
    assert count(User) == 1
    assert user_by_email("li.ming@example.com").display_name == "The Owner"
    assert user_by_email("li.ming@example.com").password_hash == owner.password_hash
    assert audit_rows("user.registered") == []


@pytest.mark.parametrize("password, fragment", [
    ("short-1", "10"),
    ("20261127153045", "digits"),
    ("qwertyuiop", "common"),
    ("li.ming@example.com", "email"),
])
def test_weak_password_is_refused_on_password(client, password, fragment):
    resp = client.post("/register", data={**GOOD, "email": "li.ming@example.com",
                                          "password": password, "confirm": password})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-field="password"' in html and fragment in html
    assert 'value="li.ming@example.com"' in html and 'value="李明"' in html
    assert count(User) == 0 and count(AuditEntry) == 0


def test_mismatched_confirm_is_refused_on_confirm(client):
    resp = client.post("/register", data={**GOOD, "confirm": "river-lantern-89"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-field="confirm"' in html and "do not match" in html
    assert count(User) == 0


def test_bad_email_is_refused_on_email(client):
    resp = client.post("/register", data={**GOOD, "email": "not-an-email"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-field="email"' in html and 'value="not-an-email"' in html
    assert count(User) == 0


def test_login_and_logout(client):
    user = make_user("solver@example.com")
    resp = client.post("/login", data={"email": "SOLVER@example.com ", "password": PASSWORD})
    assert resp.status_code == 303 and resp.headers["Location"] == "/"
    assert client.get("/me").status_code == 200
    assert user_by_email("solver@example.com").last_login_at is not None
    success = audit_rows("login.succeeded")
    assert len(success) == 1 and success[0].actor_id == user.id
    resp = client.post("/logout")
    assert resp.status_code == 303
    assert client.get("/me").status_code == 302


def test_login_follows_a_local_next(client):
    make_user("solver@example.com")
    resp = client.post("/login?next=/settings/tokens", data={"email": "solver@example.com", "password": PASSWORD})
    assert resp.headers["Location"] == "/settings/tokens"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_login_refuses_open_redirects(client, target):
    make_user("solver@example.com")
    resp = client.post("/login", query_string={"next": target},
                       data={"email": "solver@example.com", "password": PASSWORD})
    assert resp.status_code == 303 and resp.headers["Location"] == "/"


def test_wrong_password_is_refused_and_audited_without_the_password(client):
    user = make_user("solver@example.com")
    resp = client.post("/login", data={"email": "solver@example.com", "password": "wrong-password-77"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-field="password"' in html and 'value="solver@example.com"' in html
    assert client.get("/me").status_code == 302
    failures = audit_rows("login.failed")
    assert len(failures) == 1
    assert failures[0].details["email"] == "solver@example.com"
    assert failures[0].details["reason"] == "wrong_password"
    assert failures[0].target_id == str(user.id)
    assert "wrong-password-77" not in str(failures[0].details)


def test_unknown_email_is_refused_the_same_way_and_audited(client):
    resp = client.post("/login", data={"email": "nobody@example.com", "password": "wrong-password-77"})
    assert resp.status_code == 422
    assert "The email or password is not correct." in resp.get_data(as_text=True)
    failures = audit_rows("login.failed")
    assert [(f.details["email"], f.details["reason"]) for f in failures] == [("nobody@example.com", "unknown_email")]


def test_suspended_user_cannot_log_in(client):
    make_user("bad@example.com", suspended_at=utcnow())
    resp = client.post("/login", data={"email": "bad@example.com", "password": PASSWORD})
    assert resp.status_code == 422
    assert "suspended" in resp.get_data(as_text=True)
    assert client.get("/me").status_code == 302
    assert audit_rows("login.failed")[0].details["reason"] == "suspended"


def test_suspending_ends_an_open_session(client):
    user = make_user("bad@example.com")
    client.post("/login", data={"email": "bad@example.com", "password": PASSWORD})
    assert client.get("/me").status_code == 200
    db.session.get(User, user.id).suspended_at = utcnow()
    db.session.commit()
    assert client.get("/me").status_code == 302


def test_anonymous_profile_page_redirects_to_login(client):
    resp = client.get("/me")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"] and "next=" in resp.headers["Location"]


def test_login_page_renders(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html and 'name="remember"' in html


def test_register_page_renders(client):
    html = client.get("/register").get_data(as_text=True)
    for name in ("email", "password", "confirm", "display_name", "account_type", "org_name"):
        assert f'name="{name}"' in html


def test_post_without_csrf_token_is_refused_when_csrf_is_on(app, client, monkeypatch):
    make_user("solver@example.com")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    resp = client.post("/login", data={"email": "solver@example.com", "password": PASSWORD})
    assert resp.status_code == 400
    resp = client.post("/register", data=GOOD)
    assert resp.status_code == 400
    assert user_by_email("li.ming@example.com") is None
    assert audit_rows("login.succeeded") == []
    # The API uses bearer tokens, not cookies: no CSRF token needed there.
    resp = client.post("/api/v1/tokens", json={"email": "solver@example.com", "password": PASSWORD})
    assert resp.status_code == 201


def test_login_with_csrf_token_works_when_csrf_is_on(app, client, monkeypatch):
    import re
    make_user("solver@example.com")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"email": "solver@example.com", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 303
