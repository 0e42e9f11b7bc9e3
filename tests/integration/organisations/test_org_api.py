"""Organisations through /api/v1, the registration hook and /api/v1/me."""
from marketplace.accounts import service as accounts
from marketplace.extensions import db
from marketplace.organisations.models import Membership, Organisation
from tests.factories import api_headers, make_operator, make_user
from tests.factories_orgs import make_org

from .helpers import count, invite_token, notifications


def test_create_list_and_get(client):
    user = make_user()
    headers = api_headers(user)
    resp = client.post("/api/v1/orgs", json={"name": "宜昌精工机械厂", "kind": "enterprise", "city": "yichang"},
                       headers=headers)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["name"] == "宜昌精工机械厂" and body["role"] == "owner"
    assert body["verification"] == {"status": "none"} and body["verified"] is False
    listed = client.get("/api/v1/orgs", headers=headers).json["items"]
    assert [(o["id"], o["role"]) for o in listed] == [(body["id"], "owner")]
    public = client.get(f"/api/v1/orgs/{body['id']}")
    assert public.status_code == 200 and public.json["city"] == "yichang" and "role" not in public.json
    assert client.get("/api/v1/orgs/999").status_code == 404


def test_create_with_bad_fields_names_them(client):
    resp = client.post("/api/v1/orgs", json={"kind": "casino", "city": "atlantis"},
                       headers=api_headers(make_user()))
    assert resp.status_code == 422
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert {"name", "kind", "city"} <= set(resp.json["errors"])
    assert count(Organisation) == 0


def test_anonymous_gets_401(client):
    assert client.get("/api/v1/orgs").status_code == 401
    assert client.post("/api/v1/orgs", json={"name": "x"}).status_code == 401


def test_invite_and_accept_through_the_api(client):
    owner = make_user()
    invitee = make_user("wang@example.com")
    org = make_org(owner)
    resp = client.post(f"/api/v1/orgs/{org.id}/invites", json={"email": "wang@example.com", "role": "member"},
                       headers=api_headers(owner))
    assert resp.status_code == 201 and resp.json["email"] == "wang@example.com"
    assert "token" not in resp.json
    token = invite_token("wang@example.com")
    # a member cannot invite; an outsider cannot list members
    assert client.get(f"/api/v1/orgs/{org.id}/members", headers=api_headers(invitee)).status_code == 403
    resp = client.post(f"/api/v1/invites/{token}/accept", headers=api_headers(invitee))
    assert resp.status_code == 200 and resp.json["role"] == "member" and resp.json["org"]["id"] == org.id
    assert client.post(f"/api/v1/orgs/{org.id}/invites", json={"email": "x@example.com"},
                       headers=api_headers(invitee)).status_code == 403
    members = client.get(f"/api/v1/orgs/{org.id}/members", headers=api_headers(invitee)).json["items"]
    assert sorted((m["user_id"], m["role"]) for m in members) == sorted([(owner.id, "owner"), (invitee.id, "member")])
    assert client.get(f"/api/v1/orgs/{org.id}/members", headers=api_headers(make_operator())).status_code == 200
    again = client.post(f"/api/v1/invites/{token}/accept", headers=api_headers(invitee))
    assert again.status_code == 409
    assert client.post("/api/v1/invites/nope/accept", headers=api_headers(invitee)).status_code == 404
    assert [n.kind for n in notifications(owner)] == ["org.invite_accepted"]


def test_last_owner_rules_through_the_api(client):
    owner, manager = make_user(), make_user()
    org = make_org(owner, members={manager: "manager"})
    own = db.session.scalar(db.select(Membership).where(Membership.user_id == owner.id))
    mgr = db.session.scalar(db.select(Membership).where(Membership.user_id == manager.id))
    h = api_headers(owner)
    resp = client.patch(f"/api/v1/orgs/{org.id}/members/{own.id}", json={"role": "manager"}, headers=h)
    assert resp.status_code == 409
    assert client.post(f"/api/v1/orgs/{org.id}/leave", headers=h).status_code == 409
    resp = client.patch(f"/api/v1/orgs/{org.id}/members/{mgr.id}", json={"role": "boss"}, headers=h)
    assert resp.status_code == 422 and "role" in resp.json["errors"]
    assert client.delete(f"/api/v1/orgs/{org.id}/members/{own.id}",
                         headers=api_headers(manager)).status_code == 403
    assert client.delete(f"/api/v1/orgs/{org.id}/members/{mgr.id}", headers=h).status_code == 200
    assert count(Membership, Membership.org_id == org.id) == 1


def test_organization_registration_creates_the_org_and_me_lists_it(client):
    user = accounts.register(email="boss@example.com", password="lantern-river-2026", display_name="Boss",
                             account_type="organization", org_name="楚光光纤科技有限公司")
    db.session.commit()
    org = db.session.scalars(db.select(Organisation)).one()
    assert org.name == "楚光光纤科技有限公司"
    assert db.session.scalar(db.select(Membership.role).where(Membership.user_id == user.id)) == "owner"
    me = client.get("/api/v1/me", headers=api_headers(user)).json
    assert me["orgs"] == [{"id": org.id, "name": "楚光光纤科技有限公司", "role": "owner"}]
    # individuals get no organisation
    accounts.register(email="solo@example.com", password="lantern-river-2026", display_name="Solo")
    db.session.commit()
    assert count(Organisation) == 1


def test_catalogue_endpoints_are_public_and_localised(client):
    cats = client.get("/api/v1/categories", headers={"Accept-Language": "en"})
    assert cats.status_code == 200
    by_slug = {c["slug"]: c for c in cats.json}
    assert by_slug["rd_challenge"] == {"slug": "rd_challenge", "name": "R&D challenge", "family": "research"}
    assert {c["family"] for c in cats.json} == {"research", "enterprise", "life_service", "knowledge_content"}
    cities = client.get("/api/v1/cities", headers={"Accept-Language": "en"}).json
    assert {"code": "wuhan-donghu", "name": "Wuhan · East Lake High-tech Zone"} in cities
    assert {"code": "yichang", "name": "Yichang"} in cities
    zh = client.get("/api/v1/cities", headers={"Accept-Language": "zh-CN"}).json
    assert [c["code"] for c in zh] == [c["code"] for c in cities]
