"""Organisation pages: create, show, members, invitations, roles, leave."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.errors import ValidationFailed
from ..core.forms import apply_errors
from ..ledger.labels import KIND_LABELS
from . import policies, service
from .forms import ConfirmForm, InviteForm, OrgForm, RoleForm

bp = Blueprint("organisations", __name__, url_prefix="/orgs")


@bp.get("/")
@login_required
def index():
    return render_template("organisations/index.html", orgs=service.orgs_for_user(current_user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = OrgForm()
    if form.validate_on_submit():
        try:
            org = service.create_org(current_user, name=form.name.data, kind=form.kind.data,
                                     city=form.city.data or None, description=form.description.data or "")
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("The organisation was created. You are its owner."), "success")
            return redirect(url_for("organisations.show", org_id=org.id), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("organisations/new.html", form=form), status


@bp.get("/<id:org_id>")
def show(org_id):
    org = service.get_org(org_id)
    can_manage = policies.can_act_for(current_user, org)
    return render_template("organisations/show.html", org=org,
                           wallet=service.org_wallet(org) if can_manage else None, kind_labels=KIND_LABELS,
                           role=policies.role_of(current_user, org),
                           can_manage=can_manage,
                           member_count=service.member_count(org),
                           verification=service.org_details(org)["verification"], leave_form=ConfirmForm())


def _members_page(org, invite_form=None, status=200):
    policies.require_can_see_members(current_user, org)
    can_manage = policies.can_act_for(current_user, org)
    return render_template(
        "organisations/members.html", org=org, members=service.members_of(org),
        my_role=policies.role_of(current_user, org), can_manage=can_manage,
        invites=service.open_invites(org) if can_manage else [],
        invite_form=invite_form or InviteForm(formdata=None), role_form=RoleForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None), role_name=service.role_name), status


@bp.get("/<id:org_id>/members")
@login_required
def members(org_id):
    return _members_page(service.get_org(org_id))


@bp.post("/<id:org_id>/invites")
@login_required
def invite(org_id):
    org = service.get_org(org_id)
    policies.require_can_act_for(current_user, org)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            service.invite(current_user, org, email=form.email.data, role=form.role.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("The invitation was sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("organisations.members", org_id=org.id), code=303)
    return _members_page(org, invite_form=form, status=422)


@bp.route("/invites/<token>", methods=["GET", "POST"])
@login_required
def accept_invite(token):
    inv = service.find_invite(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        service.accept_invite(current_user, token)
        flash(_("Welcome to %(org)s.", org=inv.org.name), "success")
        return redirect(url_for("organisations.show", org_id=inv.org_id), code=303)
    return render_template("organisations/accept.html", invite=inv, form=form,
                           open=inv.is_open(), role_name=service.role_name)


@bp.post("/<id:org_id>/members/<id:membership_id>/role")
@login_required
def change_role(org_id, membership_id):
    org = service.get_org(org_id)
    policies.require_can_act_for(current_user, org)
    membership = service.get_membership(org, membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        raise ValidationFailed(errors=form.errors)
    service.change_role(current_user, membership, form.role.data)
    flash(_("The role was changed."), "success")
    return redirect(url_for("organisations.members", org_id=org.id), code=303)


@bp.post("/<id:org_id>/members/<id:membership_id>/remove")
@login_required
def remove_member(org_id, membership_id):
    org = service.get_org(org_id)
    policies.require_can_act_for(current_user, org)
    membership = service.get_membership(org, membership_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise ValidationFailed(errors=form.errors)
    service.remove_member(current_user, membership)
    flash(_("The member was removed."), "success")
    return redirect(url_for("organisations.members", org_id=org.id), code=303)


@bp.post("/<id:org_id>/leave")
@login_required
def leave(org_id):
    org = service.get_org(org_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise ValidationFailed(errors=form.errors)
    service.leave(current_user, org)
    flash(_("You left %(org)s.", org=org.name), "success")
    return redirect(url_for("organisations.index"), code=303)
