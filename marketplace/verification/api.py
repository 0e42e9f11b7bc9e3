"""/api/v1/me/verification and the operator's decisions."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import lazy_gettext as _l

from ..api import api_route, api_user, json_body, json_form
from ..api.schema import FormBody
from ..core.errors import ValidationFailed
from ..organisations.service import get_org
from . import service
from .forms import IndividualForm, OrgVerificationForm, RejectForm


def _is_org_request(data: dict) -> bool:
    return bool(request.files) or any(k in data for k in ("uscc", "org_id", "org_name"))


@api_route("/me/verification", summary="My verification status", tags=["verification"])
def verification_status():
    user = api_user()
    latest = service.latest_for_user(user)
    return jsonify(service.account_verification(user)
                   | {"request": service.serialize(latest) if latest else None})


@api_route("/me/verification", methods=["POST"],
           summary="Submit a verification: JSON {real_name, id_number} for a person; multipart "
                   "{org_id, org_name, uscc} with the file under `licence` for an organisation",
           body=FormBody(IndividualForm, refine={"id_number": {"pattern": r"^\s*[0-9]{17}[0-9Xx]\s*$"}}),
           description="A person sends JSON {real_name, id_number}. An organisation owner or manager "
                       "sends multipart/form-data with the fields org_id, org_name and uscc and the "
                       "licence file (PDF, JPEG or PNG) under `licence`. Bad fields give a 422 "
                       "problem naming each field; a second pending request gives 409.",
           tags=["verification"], status=201)
def verification_submit():
    user = api_user()
    data = json_body()
    if _is_org_request(data):
        form = json_form(OrgVerificationForm, data)
        try:
            org_id = int(form.org_id.data)
        except (TypeError, ValueError):
            raise ValidationFailed(errors={"org_id": [_l("Choose an organisation.")]}) from None
        org = get_org(org_id)
        req = service.submit_org(user, org, org_name=form.org_name.data, uscc=form.uscc.data,
                                 licence=request.files.get("licence"))
    else:
        form = json_form(IndividualForm, data)
        req = service.submit_individual(user, real_name=form.real_name.data, id_number=form.id_number.data)
    return jsonify(service.serialize(req, with_licence=True)), 201


@api_route("/operator/verifications/<id:request_id>", summary="A verification request",
           operator=True, tags=["operator"])
def verification_get(request_id):
    return jsonify(service.serialize(service.get_request(request_id), with_licence=True))


@api_route("/operator/verifications/<id:request_id>/approve", methods=["POST"],
           summary="Approve a verification request", operator=True, tags=["operator"])
def verification_approve(request_id):
    user = api_user()
    req = service.approve(user, service.get_request(request_id))
    return jsonify(service.serialize(req, with_licence=True))


@api_route("/operator/verifications/<id:request_id>/reject", methods=["POST"],
           summary="Reject a verification request with a reason", body=FormBody(RejectForm),
           operator=True, tags=["operator"])
def verification_reject(request_id):
    user = api_user()
    req = service.get_request(request_id)
    form = json_form(RejectForm)
    req = service.reject(user, req, form.reason.data)
    return jsonify(service.serialize(req, with_licence=True))
