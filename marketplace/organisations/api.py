"""/api/v1/orgs: organisations, members and invitations."""
from __future__ import annotations

from flask import jsonify

from ..api import api_route, api_user, json_form
from ..api.schema import FormBody
from ..core.db import iso
from ..core.errors import Forbidden
from . import policies, service
from .forms import InviteForm, OrgForm, RoleForm


def serialize_org(org, role: str | None = None) -> dict:
    v = service.org_details(org)["verification"]
    data = {"id": org.id, "name": org.name, "kind": org.kind, "city": org.city,
            "description": org.description, "created_at": iso(org.created_at),
            "verification": {"status": v["status"]}, "verified": v["status"] == "approved"}
    if role is not None:
        data["role"] = role
    return data


def serialize_member(m) -> dict:
    return {"id": m.id, "user_id": m.user_id, "display_name": m.user.display_name, "role": m.role,
            "joined_at": iso(m.created_at)}


@api_route("/orgs", summary="My organisations with my role", tags=["organisations"])
def orgs_list():
    user = api_user()
    return jsonify({"items": [serialize_org(org, role) for org, role in service.orgs_for_user(user)],
                    "next_cursor": None})


@api_route("/orgs", methods=["POST"], summary="Create an organisation (the caller becomes owner)",
           body=FormBody(OrgForm),
           tags=["organisations"], status=201)
def orgs_create():
    user = api_user()
    form = json_form(OrgForm)
    org = service.create_org(user, name=form.name.data, kind=form.kind.data, city=form.city.data or None,
                             description=form.description.data or "")
    return jsonify(serialize_org(org, "owner")), 201


@api_route("/orgs/<id:org_id>", summary="An organisation", auth=False, tags=["organisations"])
def orgs_get(org_id):
    org = service.get_org(org_id)
    user = api_user(required=False)
    return jsonify(serialize_org(org, policies.role_of(user, org) if user else None))


@api_route("/orgs/<id:org_id>/members", summary="Members of an organisation (members and operators)",
           tags=["organisations"])
def orgs_list_members(org_id):
    user = api_user()
    org = service.get_org(org_id)
    policies.require_can_see_members(user, org)
    return jsonify({"items": [serialize_member(m) for m in service.members_of(org)], "next_cursor": None})


@api_route("/orgs/<id:org_id>/invites", methods=["POST"], summary="Invite someone by email",
           body=FormBody(InviteForm), tags=["organisations"], status=201)
def orgs_create_invite(org_id):
    user = api_user()
    org = service.get_org(org_id)
    if not policies.can_act_for(user, org):
        raise Forbidden()
    form = json_form(InviteForm)
    inv, _token = service.invite(user, org, email=form.email.data, role=form.role.data)
    return jsonify({"id": inv.id, "org_id": org.id, "email": inv.email, "role": inv.role,
                    "expires_at": iso(inv.expires_at)}), 201


@api_route("/invites/<token>/accept", methods=["POST"], summary="Accept an invitation",
           tags=["organisations"])
def orgs_accept_invite(token):
    user = api_user()
    membership = service.accept_invite(user, token)
    return jsonify(serialize_member(membership) | {"org": serialize_org(membership.org, membership.role)})


@api_route("/orgs/<id:org_id>/members/<id:membership_id>", methods=["PATCH"],
           summary="Change a member's role", body=FormBody(RoleForm), tags=["organisations"])
def orgs_patch_member(org_id, membership_id):
    user = api_user()
    org = service.get_org(org_id)
    policies.require_can_act_for(user, org)
    membership = service.get_membership(org, membership_id)
    form = json_form(RoleForm)
    service.change_role(user, membership, form.role.data)
    return jsonify(serialize_member(membership))


@api_route("/orgs/<id:org_id>/members/<id:membership_id>", methods=["DELETE"],
           summary="Remove a member", tags=["organisations"])
def orgs_delete_member(org_id, membership_id):
    user = api_user()
    org = service.get_org(org_id)
    policies.require_can_act_for(user, org)
    membership = service.get_membership(org, membership_id)
    service.remove_member(user, membership)
    return jsonify({"removed": membership_id})


@api_route("/orgs/<id:org_id>/leave", methods=["POST"], summary="Leave an organisation",
           tags=["organisations"])
def orgs_leave(org_id):
    user = api_user()
    org = service.get_org(org_id)
    service.leave(user, org)
    return jsonify({"left": org.id})
