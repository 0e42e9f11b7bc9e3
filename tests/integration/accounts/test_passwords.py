"""Password reset by emailed link, and password change."""
import re

from marketplace.accounts.models import User
from marketplace.accounts.passwords import check_password
from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMail
from tests.factories import PASSWORD, login, make_user

from .helpers import audit_rows, count, user_by_email

NEW = "lantern-river-2026"


def _reset_link() -> str:
    mails = list(db.session.scalars(db.select(OutboxMail).order_by(OutboxMail.id)))
    assert len(mails) == 1
    match = re.search(r"https?://[^/\s]+(/password/reset/\S+)", mails[0].body)
    assert match, mails[0].body
    return match.group(1)


def test_full_reset_flow_and_the_link_works_once(client):
    user = make_user("wang@example.com")
    resp = client.post("/password/forgot", data={"email": "WANG@example.com"})
    assert resp.status_code == 303
    mail = db.session.scalars(db.select(OutboxMail)).one()
    assert mail.to == "wang@example.com"
    path = _reset_link()
    assert [r.target_id for r in audit_rows("password.reset_requested")] == [str(user.id)]

    assert client.get(path).status_code == 200
    resp = client.post(path, data={"password": NEW, "confirm": NEW})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/login")
    assert check_password(user_by_email("wang@example.com").password_hash, NEW)
    assert len(audit_rows("password.reset_completed")) == 1

    # The old password no longer works, the new one does.
    assert client.post("/login", data={"email": "wang@example.com", "password": PASSWORD}).status_code == 422
    assert client.post("/login", data={"email": "wang@example.com", "password": NEW}).status_code == 303
    client.post("/logout")

    # Reusing the link is refused: it was bound to the old password hash.
    resp = client.get(path, follow_redirects=True)
    assert "invalid, has expired or has already been used" in resp.get_data(as_text=True)
    resp = client.post(path, data={"password": "another-pass-99", "confirm": "another-pass-99"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/password/forgot")
    assert check_password(user_by_email("wang@example.com").password_hash, NEW)
    assert len(audit_rows("password.reset_completed")) == 1


def test_unknown_email_gets_the_same_answer_and_no_mail(client):
    resp = client.post("/password/forgot", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert "If an account uses this address" in resp.get_data(as_text=True)
    assert count(OutboxMail) == 0


def test_suspended_user_gets_no_reset_mail(client):
    make_user("bad@example.com", suspended_at=utcnow())
    client.post("/password/forgot", data={"email": "bad@example.com"})
    assert count(OutboxMail) == 0


def test_weak_new_password_is_refused_and_the_link_still_works(client):
    make_user("wang@example.com")
    client.post("/password/forgot", data={"email": "wang@example.com"})
    path = _reset_link()
    resp = client.post(path, data={"password": "1234567890", "confirm": "1234567890"})
    assert resp.status_code == 422 and 'data-field="password"' in resp.get_data(as_text=True)
    assert check_password(user_by_email("wang@example.com").password_hash, PASSWORD)
    assert client.post(path, data={"password": NEW, "confirm": NEW}).status_code == 303


def test_expired_link_is_refused(app, client, monkeypatch):
    make_user("wang@example.com")
    client.post("/password/forgot", data={"email": "wang@example.com"})
    path = _reset_link()
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    resp = client.post(path, data={"password": NEW, "confirm": NEW})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/password/forgot")
    assert check_password(user_by_email("wang@example.com").password_hash, PASSWORD)


def test_tampered_link_is_refused(client):
    make_user("wang@example.com")
    client.post("/password/forgot", data={"email": "wang@example.com"})
    path = _reset_link()
    resp = client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert resp.status_code == 303


def test_change_password(client):
    user = make_user("li@example.com")
    login(client, user)
    resp = client.post("/password/change", data={"current_password": PASSWORD, "password": NEW, "confirm": NEW})
    assert resp.status_code == 303
    assert check_password(db.session.get(User, user.id).password_hash, NEW)
    rows = audit_rows("password.changed")
    assert len(rows) == 1 and rows[0].actor_id == user.id
    assert NEW not in str(rows[0].details)


def test_change_password_needs_the_current_password(client):
    user = make_user("li@example.com")
    login(client, user)
    resp = client.post("/password/change", data={"current_password": "not-my-password", "password": NEW,
                                                 "confirm": NEW})
    assert resp.status_code == 422
    assert 'data-field="current_password"' in resp.get_data(as_text=True)
    assert check_password(user_by_email("li@example.com").password_hash, PASSWORD)
    assert audit_rows("password.changed") == []


def test_change_password_applies_the_policy(client):
    user = make_user("li@example.com")
    login(client, user)
    resp = client.post("/password/change", data={"current_password": PASSWORD, "password": "li@example.com",
                                                 "confirm": "li@example.com"})
    assert resp.status_code == 422 and 'data-field="password"' in resp.get_data(as_text=True)
    resp = client.post("/password/change", data={"current_password": PASSWORD, "password": NEW,
                                                 "confirm": NEW + "x"})
    assert resp.status_code == 422 and 'data-field="confirm"' in resp.get_data(as_text=True)
    assert check_password(user_by_email("li@example.com").password_hash, PASSWORD)


def test_change_password_needs_login(client):
    assert client.get("/password/change").status_code == 302


def test_password_change_notifies_the_user_by_mail(client):
    from marketplace.notifications.models import Notification
    user = make_user("li@example.com")
    login(client, user)
    client.post("/password/change", data={"current_password": PASSWORD, "password": NEW, "confirm": NEW})
    notes = list(db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)))
    assert [n.kind for n in notes] == ["account.password_changed"]
    mail = db.session.scalars(db.select(OutboxMail)).one()
    assert mail.to == "li@example.com" and NEW not in mail.body


def test_changing_the_password_ends_other_sessions_but_not_this_one(app):
    make_user("li@example.com")
    here, elsewhere = app.test_client(), app.test_client()
    for client in (here, elsewhere):
        assert client.post("/login", data={"email": "li@example.com", "password": PASSWORD}).status_code == 303
        assert client.get("/me").status_code == 200
    resp = here.post("/password/change", data={"current_password": PASSWORD, "password": NEW, "confirm": NEW})
    assert resp.status_code == 303
    assert here.get("/me").status_code == 200
    assert elsewhere.get("/me").status_code == 302
