"""can_act_for and the organisation lists other domains use for "on behalf of" selects."""
from flask_login import AnonymousUserMixin

from marketplace.organisations import policies, service
from tests.factories import make_operator, make_user
from tests.factories_orgs import make_org


def test_owners_and_managers_act_for_the_org_members_do_not():
    owner, manager, member, outsider = (make_user() for _ in range(4))
    org = make_org(owner, members={manager: "manager", member: "member"})
    assert policies.can_act_for(owner, org)
    assert policies.can_act_for(manager, org)
    assert not policies.can_act_for(member, org)
    assert not policies.can_act_for(outsider, org)
    assert not policies.can_act_for(AnonymousUserMixin(), org)
    assert not policies.can_act_for(make_operator(), org)


def test_members_list_visible_to_members_and_operators_only():
    owner, member, outsider = make_user(), make_user(), make_user()
    org = make_org(owner, members={member: "member"})
    assert policies.can_see_members(member, org)
    assert policies.can_see_members(make_operator(), org)
    assert not policies.can_see_members(outsider, org)
    assert not policies.can_see_members(AnonymousUserMixin(), org)


def test_orgs_for_user_and_orgs_managed_by():
    user = make_user()
    a = make_org(user, name="A")
    b = make_org(make_user(), name="B", members={user: "manager"})
    c = make_org(make_user(), name="C", members={user: "member"})
    make_org(make_user(), name="D")
    assert [(o.name, r) for o, r in service.orgs_for_user(user)] == [("A", "owner"), ("B", "manager"),
                                                                      ("C", "member")]
    assert [o.id for o in service.orgs_managed_by(user)] == [a.id, b.id]
    assert c.id not in [o.id for o in service.orgs_managed_by(user)]
    assert service.me_orgs(user=user) == {"orgs": [{"id": a.id, "name": "A", "role": "owner"},
                                              {"id": b.id, "name": "B", "role": "manager"},
                                              {"id": c.id, "name": "C", "role": "member"}]}
