"""Verification pages: the applicant's page, the licence file, and the operator's decision."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.policies import operator_required
from ..core.errors import ValidationFailed
from ..core.files import send_stored
from ..core.forms import apply_errors
from ..organisations.service import get_org, orgs_managed_by
from . import service
from .forms import ApproveForm, IndividualForm, OrgVerificationForm, RejectForm

bp = Blueprint("verification", __name__)


def _forget_numbers(*fields):
    # Identity numbers are never echoed back into a page, even on an error.
    for field in fields:
        field.data = ""
        field.raw_data = []


def _page(individual_form=None, org_forms=None, status=200):
    latest = service.latest_for_user(current_user)
    orgs = []
    for org in orgs_managed_by(current_user):
        form = (org_forms or {}).get(org.id) or OrgVerificationForm(formdata=None, org_id=org.id, org_name=org.name)
        orgs.append((org, service.org_verification(org), service.latest_for_org(org), form))
    return render_template("verification/index.html", latest=latest,
                           summary=service.user_verification(current_user),
                           individual_form=individual_form or IndividualForm(formdata=None),
                           orgs=orgs, status_name=service.status_name), status


@bp.get("/verification")
@login_required
def index():
    return _page()


@bp.post("/verification/individual")
@login_required
def submit_individual():
    form = IndividualForm()
    if form.validate_on_submit():
        try:
            service.submit_individual(current_user, real_name=form.real_name.data, id_number=form.id_number.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Your request was sent. An operator will review it."), "success")
            return redirect(url_for("verification.index"), code=303)
    _forget_numbers(form.id_number)
    return _page(individual_form=form, status=422)


@bp.post("/verification/org")
@login_required
def submit_org():
    form = OrgVerificationForm()
    try:
        org_id = int(form.org_id.data or 0)
    except ValueError:
        abort(404)
    org = get_org(org_id)
    if form.validate_on_submit():
        try:
            service.submit_org(current_user, org, org_name=form.org_name.data, uscc=form.uscc.data,
                               licence=form.licence.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Your request was sent. An operator will review it."), "success")
            return redirect(url_for("verification.index"), code=303)
    _forget_numbers(form.uscc)
    return _page(org_forms={org.id: form}, status=422)


@bp.get("/verification/licences/<token>")
@login_required
def licence(token):
    req = service.licence_by_token(token)
    if not service.can_see_licence(current_user, req):
        abort(404)
    service.record_licence_view(current_user, req)
    try:
        response = send_stored(req.licence_path, mimetype=req.licence_mime,
                               download_name=req.licence_name or "licence")
    except (OSError, ValueError):
        abort(404)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- operators ------------------------------------------------------------------------------------

def _operator_required(view):
    return operator_required(view)


@bp.get("/operator/verifications/<id:request_id>")
@_operator_required
def operator_detail(request_id):
    req = service.get_request(request_id)
    return render_template("verification/operator_detail.html", req=req, earlier=service.earlier_requests(req),
                           approve_form=ApproveForm(formdata=None), reject_form=RejectForm(formdata=None),
                           status_name=service.status_name)


@bp.post("/operator/verifications/<id:request_id>/approve")
@_operator_required
def operator_approve(request_id):
    req = service.get_request(request_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        raise ValidationFailed(errors=form.errors)
    service.approve(current_user, req)
    flash(_("Approved: %(name)s.", name=req.name), "success")
    return redirect(url_for("operator.queue"), code=303)


@bp.post("/operator/verifications/<id:request_id>/reject")
@_operator_required
def operator_reject(request_id):
    req = service.get_request(request_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            service.reject(current_user, req, form.reason.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Rejected: %(name)s.", name=req.name), "success")
            return redirect(url_for("operator.queue"), code=303)
    return render_template("verification/operator_detail.html", req=req, earlier=service.earlier_requests(req),
                           approve_form=ApproveForm(formdata=None), reject_form=form,
                           status_name=service.status_name), 422
