"""API tokens (settings page and API), registration and /me on the JSON API."""
import re

from marketplace.accounts import events as accounts_events
from marketplace.accounts import service
from marketplace.accounts.models import ApiToken, User
from marketplace.core.audit import AuditEntry
from marketplace.core.db import utcnow
from marketplace.extensions import db
from tests.factories import PASSWORD, api_headers, login, make_user

from .helpers import audit_rows, count, user_by_email


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


# --- settings page ------------------------------------------------------------------------------

def test_token_page_creates_shows_once_uses_and_revokes(client):
    user = make_user("li@example.com")
    login(client, user)
    resp = client.post("/settings/tokens", data={"name": "build server"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    token = re.search(r'data-testid="new-token">([^<]+)<', html).group(1)
    row = db.session.scalars(db.select(ApiToken)).one()
    assert row.name == "build server" and row.token_hash == ApiToken.hash(token)
    assert [r.target_id for r in audit_rows("token.created")] == [str(row.id)]

    listing = client.get("/settings/tokens").get_data(as_text=True)
    assert token not in listing
    assert row.prefix in listing and "build server" in listing and "never" in listing

    me = client.get("/api/v1/me", headers=_bearer(token))
    assert me.status_code == 200 and me.get_json()["email"] == "li@example.com"
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).last_used_at is not None

    resp = client.post(f"/settings/tokens/{row.id}/revoke")
    assert resp.status_code == 303
    assert len(audit_rows("token.revoked")) == 1
    refused = client.get("/api/v1/me", headers=_bearer(token))
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json" and refused.get_json()["status"] == 401


def test_token_page_needs_a_name(client):
    login(client, make_user())
    resp = client.post("/settings/tokens", data={"name": ""})
    assert resp.status_code == 422 and 'data-field="name"' in resp.get_data(as_text=True)
    assert count(ApiToken) == 0


def test_cannot_revoke_someone_elses_token(client):
    owner = make_user()
    row, token = service.create_token(owner, "mine")
    db.session.commit()
    login(client, make_user())
    assert client.post(f"/settings/tokens/{row.id}/revoke").status_code == 404
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200


# --- API tokens ---------------------------------------------------------------------------------

def test_api_token_exchange_and_revoke(client):
    user = make_user("li@example.com")
    resp = client.post("/api/v1/tokens", json={"email": "LI@example.com", "password": PASSWORD, "name": "cli"})
    assert resp.status_code == 201
    body = resp.get_json()
    assert set(body) >= {"token", "id", "prefix"} and body["token"].startswith(body["prefix"])
    assert client.get("/api/v1/me", headers=_bearer(body["token"])).get_json()["id"] == user.id
    listed = client.get("/api/v1/tokens", headers=_bearer(body["token"])).get_json()["items"]
    assert [t["id"] for t in listed] == [body["id"]] and "token" not in listed[0]
    assert len(audit_rows("login.succeeded")) == 1 and len(audit_rows("token.created")) == 1

    resp = client.delete(f"/api/v1/tokens/{body['id']}", headers=_bearer(body["token"]))
    assert resp.status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(body["token"])).status_code == 401
    assert len(audit_rows("token.revoked")) == 1


def test_api_token_bad_credentials_is_a_401_problem_and_audited(client):
    make_user("li@example.com")
    resp = client.post("/api/v1/tokens", json={"email": "li@example.com", "password": "wrong-password-77"})
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    assert "password" in resp.get_json()["errors"]
    assert count(ApiToken) == 0
    rows = audit_rows("login.failed")
    assert len(rows) == 1 and rows[0].details["via"] == "api"
    assert "wrong-password-77" not in str(rows[0].details)


def test_api_token_missing_fields_are_named(client):
    resp = client.post("/api/v1/tokens", json={})
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"email", "password"}


def test_cannot_revoke_another_users_token_by_api(client):
    other_row, _other = service.create_token(make_user(), "x")
    db.session.commit()
    headers = api_headers(make_user())
    assert client.delete(f"/api/v1/tokens/{other_row.id}", headers=headers).status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, other_row.id).revoked_at is None


def test_suspended_users_tokens_stop_working_and_no_new_ones(client):
    user = make_user("bad@example.com")
    headers = api_headers(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.session.get(User, user.id).suspended_at = utcnow()
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    resp = client.post("/api/v1/tokens", json={"email": "bad@example.com", "password": PASSWORD})
    assert resp.status_code == 403 and "suspended" in resp.get_json()["title"]


def test_anonymous_api_me_is_401(client):
    resp = client.get("/api/v1/me")
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    assert client.get("/api/v1/me", headers=_bearer("hz_not-a-real-token")).status_code == 401


# --- API registration ------------------------------------------------------------------------------

def test_api_register_creates_an_unconfirmed_account_and_answers_202(client):
    resp = client.post("/api/v1/users", json={"email": "New@Example.com", "password": "river-lantern-88",
                                              "display_name": "新用户", "account_type": "individual"})
    assert resp.status_code == 202
    assert resp.get_json()["status"] == "confirmation_sent"
    user = user_by_email("new@example.com")
    assert user is not None and user.role == "member" and user.email_confirmed_at is None


def test_api_register_errors_name_every_field_and_write_nothing(client):
    make_user("taken@example.com")
    resp = client.post("/api/v1/users", json={"email": "bad", "password": "123", "display_name": "",
                                              "account_type": "robot"})
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"email", "password", "display_name", "account_type"}
    # a taken email is no error (the answer must not say it is taken), but bad fields still are
    resp = client.post("/api/v1/users", json={"email": "TAKEN@example.com", "password": "123",
                                              "display_name": "X"})
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"password"}
    resp = client.post("/api/v1/users", json={"email": "org@example.com", "password": "river-lantern-88",
                                              "display_name": "X", "account_type": "organization"})
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"org_name"}
    assert count(User) == 1 and count(AuditEntry) == 0


def test_api_register_rejects_a_non_object_body(client):
    resp = client.post("/api/v1/users", data="[1,2]", content_type="application/json")
    assert resp.status_code == 422 and "body" in resp.get_json()["errors"]


# --- /me --------------------------------------------------------------------------------------------

def test_me_shape(client):
    user = make_user("li@example.com", display_name="李明", skills=["光纤传感"], city="wuhan-donghu",
                     bio="工程师", role="operator")
    body = client.get("/api/v1/me", headers=api_headers(user)).get_json()
    for key in ("id", "email", "display_name", "account_type", "roles", "city", "skills", "bio",
                "avatar_url", "verification", "orgs"):
        assert key in body, key
    assert body["id"] == user.id and body["display_name"] == "李明" and body["city"] == "wuhan-donghu"
    assert body["skills"] == ["光纤传感"] and body["bio"] == "工程师" and body["avatar_url"] is None
    assert body["roles"] == ["member", "operator"]
    assert set(body["verification"]) >= {"status", "masked_number"}
    assert isinstance(body["orgs"], list)


def test_me_extensions_are_merged(client):
    user = make_user()
    def extension(_sender, *, user):
        return {"wallet": {"available": 0, "user": user.id}}

    with accounts_events.me_payload.connected_to(extension):
        body = client.get("/api/v1/me", headers=api_headers(user)).get_json()
    assert body["wallet"] == {"available": 0, "user": user.id}


def test_me_defaults_without_extensions(client):
    with accounts_events.me_payload.muted():
        body = client.get("/api/v1/me", headers=api_headers(make_user())).get_json()
    assert body["verification"] == {"status": "none", "masked_number": None} and body["orgs"] == []


def test_patch_me_updates_only_sent_fields(client):
    user = make_user(display_name="Old", bio="old bio", city="yichang", skills=["a"])
    headers = api_headers(user)
    resp = client.patch("/api/v1/me", headers=headers, json={"skills": ["翻译", " 翻译 ", "英语辅导"], "city": "wuhan-hongshan"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["skills"] == ["翻译", "英语辅导"] and body["city"] == "wuhan-hongshan"
    assert body["display_name"] == "Old" and body["bio"] == "old bio"
    resp = client.patch("/api/v1/me", headers=headers, json={"display_name": "王芳", "bio": "", "skills": "a、b"})
    assert resp.get_json()["display_name"] == "王芳" and resp.get_json()["skills"] == ["a", "b"]
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert saved.display_name == "王芳" and saved.bio == "" and saved.city == "wuhan-hongshan"


def test_patch_me_validation_names_fields_and_saves_nothing(client):
    user = make_user(display_name="Old", city="yichang")
    headers = api_headers(user)
    resp = client.patch("/api/v1/me", headers=headers, json={"display_name": "", "city": "atlantis",
                                                             "bio": "x" * 2001})
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"display_name", "city", "bio"}
    resp = client.patch("/api/v1/me", headers=headers, json={"skills": [1, 2]})
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"skills"}
    resp = client.patch("/api/v1/me", headers=headers, json={"skills": ["x" * 31]})
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"skills"}
    resp = client.patch("/api/v1/me", headers=headers, json={"display_name": None})
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"display_name"}
    resp = client.patch("/api/v1/me", headers=headers, json={"bio": {"nested": True}})
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"bio"}
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert saved.display_name == "Old" and saved.city == "yichang" and saved.bio == ""


def test_patch_me_needs_a_token(client):
    assert client.patch("/api/v1/me", json={"bio": "x"}).status_code == 401


def test_public_user_api(client):
    user = make_user("li@example.com", display_name="李明", skills=["嵌入式"])
    body = client.get(f"/api/v1/users/{user.id}").get_json()
    assert body["display_name"] == "李明" and body["skills"] == ["嵌入式"]
    assert "email" not in body
    assert client.get("/api/v1/users/999999").status_code == 404


def test_openapi_describes_account_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = doc["paths"]
    for path in ("/api/v1/users", "/api/v1/tokens", "/api/v1/me"):
        assert any(p.rstrip("/").endswith(path.replace("/api/v1", "")) for p in paths), path
