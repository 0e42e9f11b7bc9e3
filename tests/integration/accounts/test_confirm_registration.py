"""Registration answers the same whether or not the email has an account; a new account is
confirmed by a signed, expiring, single-use mailed link before it can sign in."""
from __future__ import annotations

import re

import pytest

from marketplace.accounts import registration
from marketplace.accounts.models import User
from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMail
from tests.factories import PASSWORD, make_user

from .helpers import audit_rows, count, user_by_email

NEW_PASSWORD = "river-lantern-88"
FORM = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "display_name": "李明",
        "account_type": "individual", "org_name": ""}
API = {"password": NEW_PASSWORD, "display_name": "李明", "account_type": "individual"}


def _mails(to: str | None = None) -> list[OutboxMail]:
    db.session.expire_all()
    q = db.select(OutboxMail).order_by(OutboxMail.id)
    if to:
        q = q.where(OutboxMail.to == to)
    return list(db.session.scalars(q))


def _confirm_path(mail: OutboxMail) -> str:
    match = re.search(r"https?://[^/\s]+(/register/confirm/\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


def _without_nonces(html: str) -> str:
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)


# --- the same answer ------------------------------------------------------------------------------

def test_the_page_answers_the_same_for_a_new_and_a_taken_email(client, app):
    make_user("taken@example.com", display_name="Owner")
    new = client.post("/register", data={**FORM, "email": "fresh@example.com"})
    taken = client.post("/register", data={**FORM, "email": "Taken@Example.com"})
    assert new.status_code == taken.status_code == 303
    assert new.headers["Location"] == taken.headers["Location"]
    assert new.get_data() == taken.get_data()
    assert ("Set-Cookie" in new.headers) == ("Set-Cookie" in taken.headers)
    # the page after the redirect is the same too (but for the per-request script nonce)
    pages = [client.get(r.headers["Location"]) for r in (new, taken)]
    assert pages[0].status_code == pages[1].status_code == 200
    assert _without_nonces(pages[0].get_data(as_text=True)) == _without_nonces(pages[1].get_data(as_text=True))
    assert "Check your mailbox" in pages[0].get_data(as_text=True)


def test_the_api_answers_the_same_for_a_new_and_a_taken_email(client):
    make_user("taken@example.com")
    new = client.post("/api/v1/users", json={**API, "email": "fresh@example.com"})
    taken = client.post("/api/v1/users", json={**API, "email": "TAKEN@example.com"})
    assert new.status_code == taken.status_code == 202
    assert new.get_data() == taken.get_data()
    assert new.get_json()["status"] == "confirmation_sent"
    assert new.headers.get("Location") == taken.headers.get("Location")


def test_bad_fields_are_named_the_same_way_for_a_taken_email(client):
    make_user("taken@example.com")
    bad = {**API, "password": "123", "display_name": ""}
    new = client.post("/api/v1/users", json={**bad, "email": "fresh@example.com"})
    taken = client.post("/api/v1/users", json={**bad, "email": "taken@example.com"})
    assert new.status_code == taken.status_code == 422
    assert new.get_json()["errors"] == taken.get_json()["errors"]
    assert set(new.get_json()["errors"]) == {"password", "display_name"}


def test_both_ways_do_the_same_costly_work(client, monkeypatch):
    """The timing cannot tell a taken email: each way hashes the password once and queues one mail."""
    make_user("taken@example.com")
    hashed = []
    real = registration.hash_password
    monkeypatch.setattr(registration, "hash_password", lambda p: hashed.append(p) or real(p))
    client.post("/register", data={**FORM, "email": "fresh@example.com"})
    client.post("/register", data={**FORM, "email": "taken@example.com"})
    assert hashed == [NEW_PASSWORD, NEW_PASSWORD]
    assert [m.to for m in _mails()] == ["fresh@example.com", "taken@example.com"]


# --- what happens behind the answer ---------------------------------------------------------------

def test_the_owner_of_a_taken_email_is_mailed_and_the_account_does_not_change(client):
    owner = make_user("taken@example.com", display_name="Owner")
    before = (owner.password_hash, owner.display_name, owner.session_version)
    client.post("/register", data={**FORM, "email": "taken@example.com", "display_name": "Intruder"})
    [mail] = _mails("taken@example.com")
    assert "someone tried to register" in mail.subject
    assert "nothing was changed" in mail.body
    assert re.search(r"https?://\S+/login", mail.body) and re.search(r"https?://\S+/password/forgot", mail.body)
    assert "/register/confirm/" not in mail.body
    assert count(User) == 1
    db.session.expire_all()
    user = db.session.get(User, owner.id)
    assert (user.password_hash, user.display_name, user.session_version) == before
    assert [r.target_id for r in audit_rows("user.register_attempt_existing")] == [str(owner.id)]


def test_a_new_account_is_unconfirmed_and_mailed_a_link(client):
    client.post("/register", data={**FORM, "email": "Fresh@example.com"})
    user = user_by_email("fresh@example.com")
    assert user.email_confirmed_at is None
    [mail] = _mails("fresh@example.com")
    assert "confirm your email address" in mail.subject
    assert _confirm_path(mail).startswith("/register/confirm/")


def test_registering_again_before_confirming_mails_a_new_link(client):
    client.post("/register", data={**FORM, "email": "fresh@example.com"})
    client.post("/register", data={**FORM, "email": "fresh@example.com", "display_name": "Other"})
    mails = _mails("fresh@example.com")
    assert len(mails) == 2 and all("/register/confirm/" in m.body for m in mails)
    assert count(User) == 1 and user_by_email("fresh@example.com").display_name == "李明"


def test_a_suspended_owner_gets_no_mail_but_the_answer_is_the_same(client):
    make_user("gone@example.com", suspended_at=utcnow())
    resp = client.post("/register", data={**FORM, "email": "gone@example.com"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/register/check-email")
    assert _mails() == []


# --- no sign-in before confirmation ----------------------------------------------------------------

def test_an_unconfirmed_account_cannot_log_in_and_is_offered_the_link_again(client):
    make_user("fresh@example.com", confirmed=False)
    resp = client.post("/login", data={"email": "fresh@example.com", "password": PASSWORD})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Confirm your email address first" in html
    assert 'data-testid="resend-confirmation"' in html and 'value="fresh@example.com"' in html
    assert client.get("/me").status_code == 302
    assert [r.details["reason"] for r in audit_rows("login.failed")] == ["unconfirmed"]
    assert audit_rows("login.succeeded") == []


def test_an_unconfirmed_account_with_a_wrong_password_hears_only_the_usual_refusal(client):
    make_user("fresh@example.com", confirmed=False)
    html = client.post("/login", data={"email": "fresh@example.com", "password": "wrong-password-1"}).get_data(as_text=True)
    assert "Confirm your email address" not in html and "not correct" in html


def test_an_unconfirmed_account_gets_no_api_token(client):
    make_user("fresh@example.com", confirmed=False)
    resp = client.post("/api/v1/tokens", json={"email": "fresh@example.com", "password": PASSWORD})
    assert resp.status_code == 403
    assert resp.get_json()["type"].endswith("email-not-confirmed")
    assert audit_rows("token.created") == []


# --- the link ---------------------------------------------------------------------------------------

def test_the_link_confirms_signs_in_and_works_once(client):
    client.post("/register", data={**FORM, "email": "fresh@example.com"})
    path = _confirm_path(_mails("fresh@example.com")[0])
    resp = client.get(path)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/me")
    assert client.get("/me").status_code == 200  # signed in
    user = user_by_email("fresh@example.com")
    assert user.email_confirmed_at is not None
    assert [r.target_id for r in audit_rows("user.email_confirmed")] == [str(user.id)]
    client.post("/logout")

    again = client.get(path, follow_redirects=True)
    assert "invalid, has expired or has already been used" in again.get_data(as_text=True)
    assert client.get("/me").status_code == 302  # the second use signs nobody in
    assert len(audit_rows("user.email_confirmed")) == 1
    # the password works now
    resp = client.post("/login", data={"email": "fresh@example.com", "password": NEW_PASSWORD})
    assert resp.status_code == 303


def test_an_expired_link_is_refused(client, app, monkeypatch):
    client.post("/register", data={**FORM, "email": "fresh@example.com"})
    path = _confirm_path(_mails("fresh@example.com")[0])
    monkeypatch.setitem(app.config, "EMAIL_CONFIRM_MAX_AGE", -1)
    resp = client.get(path)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/register/resend")
    assert user_by_email("fresh@example.com").email_confirmed_at is None
    assert client.get("/me").status_code == 302


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
                                    lambda t: "not-a-token"])
def test_a_tampered_link_is_refused(client, mangle):
    client.post("/register", data={**FORM, "email": "fresh@example.com"})
    path = _confirm_path(_mails("fresh@example.com")[0])
    token = path.rsplit("/", 1)[1]
    resp = client.get(f"/register/confirm/{mangle(token)}", follow_redirects=True)
    assert "invalid, has expired or has already been used" in resp.get_data(as_text=True)
    assert user_by_email("fresh@example.com").email_confirmed_at is None


def test_a_link_for_another_address_of_the_same_account_is_refused(client):
    client.post("/register", data={**FORM, "email": "fresh@example.com"})
    path = _confirm_path(_mails("fresh@example.com")[0])
    user = user_by_email("fresh@example.com")
    user.email = "changed@example.com"
    db.session.commit()
    client.get(path)
    assert db.session.get(User, user.id).email_confirmed_at is None


# --- sending the link again -------------------------------------------------------------------------

def test_sending_the_link_again_answers_the_same_for_any_address(client):
    make_user("confirmed@example.com")
    make_user("waiting@example.com", confirmed=False)
    answers = [client.post("/register/resend", data={"email": email})
               for email in ("nobody@example.com", "confirmed@example.com", "waiting@example.com")]
    assert {r.status_code for r in answers} == {303}
    assert len({r.headers["Location"] for r in answers}) == 1
    assert len({r.get_data() for r in answers}) == 1
    # only the account waiting for confirmation gets a mail, with a working link
    [mail] = _mails()
    assert mail.to == "waiting@example.com"
    assert client.get(_confirm_path(mail)).status_code == 303
    assert user_by_email("waiting@example.com").email_confirmed_at is not None


def test_sending_the_link_again_on_the_api_answers_the_same_for_any_address(client):
    make_user("confirmed@example.com")
    make_user("waiting@example.com", confirmed=False)
    answers = [client.post("/api/v1/users/confirmation", json={"email": email})
               for email in ("nobody@example.com", "confirmed@example.com", "waiting@example.com")]
    assert {r.status_code for r in answers} == {202}
    assert len({r.get_data() for r in answers}) == 1
    assert [m.to for m in _mails()] == ["waiting@example.com"]


def test_the_login_page_button_sends_the_link_again(client):
    make_user("waiting@example.com", confirmed=False)
    client.post("/login", data={"email": "waiting@example.com", "password": PASSWORD})
    resp = client.post("/register/resend", data={"email": "waiting@example.com"}, follow_redirects=True)
    assert "we have sent it a new link" in resp.get_data(as_text=True)
    assert [m.to for m in _mails()] == ["waiting@example.com"]


def test_the_resend_page_names_a_bad_email(client):
    resp = client.post("/register/resend", data={"email": "not-an-email"})
    assert resp.status_code == 422 and 'data-field="email"' in resp.get_data(as_text=True)


# --- accounts made by the platform ---------------------------------------------------------------

def test_accounts_made_on_the_command_line_and_as_demo_data_are_confirmed(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "cli@example.com", "--password",
                                                "lantern-river-2026"])
    assert result.exit_code == 0, result.output
    assert user_by_email("cli@example.com").email_confirmed_at is not None
    from marketplace.accounts import demo
    demo.load({})
    db.session.commit()
    assert user_by_email("operator@huizhong.example").email_confirmed_at is not None
