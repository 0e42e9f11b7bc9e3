"""Organisations through the pages: create, invite by email, accept, roles, remove, leave."""
import pytest

from marketplace.extensions import db
from marketplace.organisations.models import Membership, Organisation, OrgInvite
from tests.factories import login, make_operator, make_user
from tests.factories_orgs import make_org

from .helpers import count, english, invite_token, mails_to, notifications


@pytest.fixture
def web(client):
    return english(client)


def role(org, user):
    db.session.expire_all()
    return db.session.scalar(db.select(Membership.role).where(Membership.org_id == org.id,
                                                              Membership.user_id == user.id))


def test_create_an_organisation_makes_the_creator_owner(web):
    user = make_user()
    login(web, user)
    resp = web.post("/orgs/new", data={"name": "楚光光纤科技有限公司", "kind": "enterprise",
                                       "city": "wuhan-donghu", "description": "光纤传感"})
    assert resp.status_code == 303
    org = db.session.scalars(db.select(Organisation)).one()
    assert resp.headers["Location"].endswith(f"/orgs/{org.id}")
    assert (org.name, org.kind, org.city) == ("楚光光纤科技有限公司", "enterprise", "wuhan-donghu")
    assert role(org, user) == "owner"
    page = web.get(f"/orgs/{org.id}")
    assert page.status_code == 200 and "楚光光纤科技有限公司" in page.text and "Owner" in page.text
    assert "楚光光纤科技有限公司" in web.get("/orgs/").text


def test_create_with_missing_name_and_unknown_kind_shows_field_errors(web):
    login(web, make_user())
    resp = web.post("/orgs/new", data={"name": "", "kind": "casino", "description": "kept text"})
    assert resp.status_code == 422
    assert 'data-field="name"' in resp.text and 'data-field="kind"' in resp.text
    assert "kept text" in resp.text
    assert count(Organisation) == 0


def test_anonymous_is_sent_to_login_for_create(client):
    resp = client.get("/orgs/new")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_invite_existing_user_by_email_then_accept(web):
    owner = make_user(display_name="Owner Zhang")
    invitee = make_user("li@example.com")
    org = make_org(owner, name="东湖大学科技园", kind="university")
    login(web, owner)
    resp = web.post(f"/orgs/{org.id}/invites", data={"email": "LI@example.com", "role": "manager"})
    assert resp.status_code == 303
    inv = db.session.scalars(db.select(OrgInvite)).one()
    assert (inv.email, inv.role, inv.invited_by_id) == ("li@example.com", "manager", owner.id)
    mail = mails_to("li@example.com")[-1]
    assert "东湖大学科技园" in mail.subject + mail.body and "/orgs/invites/" in mail.body
    token = invite_token("li@example.com")
    assert token not in inv.token_hash  # only the hash is stored
    assert [n.kind for n in notifications(invitee)] == ["org.invited"]
    assert "li@example.com" in web.get(f"/orgs/{org.id}/members").text  # listed as open

    login(web, invitee)
    page = web.get(f"/orgs/invites/{token}")
    assert page.status_code == 200 and "东湖大学科技园" in page.text
    resp = web.post(f"/orgs/invites/{token}")
    assert resp.status_code == 303, resp.text
    assert role(org, invitee) == "manager"
    assert [n.kind for n in notifications(owner)] == ["org.invite_accepted"]
    # an invitation works once
    again = web.post(f"/orgs/invites/{token}", headers={"Referer": "http://localhost/x"})
    assert again.status_code == 303 and count(Membership, Membership.org_id == org.id) == 2


def test_invite_for_another_address_cannot_be_used(web):
    owner = make_user()
    org = make_org(owner)
    login(web, owner)
    web.post(f"/orgs/{org.id}/invites", data={"email": "someone@example.com", "role": "member"})
    token = invite_token("someone@example.com")
    intruder = make_user("intruder@example.com")
    login(web, intruder)
    resp = web.post(f"/orgs/invites/{token}")
    assert resp.status_code == 403
    assert role(org, intruder) is None


def test_invite_errors_are_field_errors(web):
    owner = make_user()
    member = make_user("member@example.com")
    manager = make_user()
    org = make_org(owner, members={member: "member", manager: "manager"})
    login(web, owner)
    resp = web.post(f"/orgs/{org.id}/invites", data={"email": "not-an-email", "role": "member"})
    assert resp.status_code == 422 and 'data-field="email"' in resp.text
    resp = web.post(f"/orgs/{org.id}/invites", data={"email": "member@example.com", "role": "member"})
    assert resp.status_code == 422 and "already a member" in resp.text
    login(web, manager)
    resp = web.post(f"/orgs/{org.id}/invites", data={"email": "new@example.com", "role": "owner"})
    assert resp.status_code == 422 and 'data-field="role"' in resp.text
    assert count(OrgInvite) == 0 and mails_to("new@example.com") == []
    login(web, member)
    assert web.post(f"/orgs/{org.id}/invites", data={"email": "x@example.com", "role": "member"}).status_code == 403


def test_members_page_is_for_members_and_operators(web):
    owner, outsider = make_user(display_name="Owner Wu"), make_user()
    org = make_org(owner)
    login(web, outsider)
    assert web.get(f"/orgs/{org.id}/members").status_code == 403
    login(web, make_operator())
    assert "Owner Wu" in web.get(f"/orgs/{org.id}/members").text


def test_only_owners_change_owners_and_the_last_owner_stays(web):
    owner, manager, member = make_user(), make_user(), make_user()
    org = make_org(owner, members={manager: "manager", member: "member"})
    ms = {m.user_id: m for m in db.session.scalars(db.select(Membership))}

    login(web, manager)
    # a manager promotes a member to manager, but cannot make owners or touch the owner
    assert web.post(f"/orgs/{org.id}/members/{ms[member.id].id}/role", data={"role": "manager"}).status_code == 303
    assert role(org, member) == "manager"
    assert [n.kind for n in notifications(member)] == ["org.role_changed"]
    assert web.post(f"/orgs/{org.id}/members/{ms[member.id].id}/role", data={"role": "owner"}).status_code == 403
    assert web.post(f"/orgs/{org.id}/members/{ms[owner.id].id}/role", data={"role": "member"}).status_code == 403
    assert web.post(f"/orgs/{org.id}/members/{ms[owner.id].id}/remove").status_code == 403
    assert role(org, owner) == "owner"

    login(web, owner)
    # the last owner can neither demote themself nor leave
    assert web.post(f"/orgs/{org.id}/members/{ms[owner.id].id}/role", data={"role": "member"}).status_code == 409
    assert web.post(f"/orgs/{org.id}/leave").status_code == 409
    assert role(org, owner) == "owner"
    # with a second owner, the first may step down
    assert web.post(f"/orgs/{org.id}/members/{ms[manager.id].id}/role", data={"role": "owner"}).status_code == 303
    assert web.post(f"/orgs/{org.id}/members/{ms[owner.id].id}/role", data={"role": "member"}).status_code == 303
    assert (role(org, owner), role(org, manager)) == ("member", "owner")


def test_remove_and_leave(web):
    owner, member, other = make_user(), make_user(), make_user()
    org = make_org(owner, members={member: "member", other: "member"})
    mid = db.session.scalar(db.select(Membership.id).where(Membership.user_id == member.id))
    login(web, owner)
    assert web.post(f"/orgs/{org.id}/members/{mid}/remove").status_code == 303
    assert role(org, member) is None
    assert [n.kind for n in notifications(member)] == ["org.member_removed"]
    login(web, other)
    resp = web.post(f"/orgs/{org.id}/leave")
    assert resp.status_code == 303 and role(org, other) is None
    assert [n.kind for n in notifications(owner)] == ["org.member_left"]
