"""/api/v1/reports and the operator's moderation endpoints."""
from __future__ import annotations

from flask import jsonify
from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..api import api_route, api_user, json_body
from ..core.errors import NotFound
from ..core.inputs import optional_id
from ..extensions import db
from ..tasks import service as tasks
from ..tasks.serializers import Viewer, serialize_task
from . import service
from .queue import serialize_report


def _id(body, name):
    return optional_id(body.get(name), name, message=_l("Give a numeric id."))


@api_route("/reports", methods=["POST"], summary="Report a task or a user to the operators",
           body={"task_id": "integer", "user_id": "integer", "reason": "string!"}, tags=["moderation"], status=201)
def create_report():
    user = api_user()
    body = json_body()
    task_id, user_id = _id(body, "task_id"), _id(body, "user_id")
    task = tasks.get_visible_task(user, task_id) if task_id is not None else None
    subject_user = None
    if user_id is not None:
        subject_user = db.session.get(User, user_id)
        if subject_user is None:
            raise NotFound()
    report = service.create_report(user, task=task, user=subject_user, reason=body.get("reason"))
    db.session.flush()
    response = jsonify(serialize_report(report))
    response.status_code = 201
    return response


@api_route("/operator/tasks/<id:task_id>/hide", methods=["POST"], summary="Hide a task (audited; the poster "
           "is told the reason)", body={"reason": "string!"}, operator=True, tags=["operator", "moderation"])
def operator_hide_task(task_id):
    operator = api_user()
    task = service.hide_task(operator, tasks.get_task(task_id), reason=json_body().get("reason"))
    return jsonify(serialize_task(task, Viewer.of(operator)))


@api_route("/operator/tasks/<id:task_id>/unhide", methods=["POST"], summary="Show a hidden task again",
           operator=True, tags=["operator", "moderation"])
def operator_unhide_task(task_id):
    operator = api_user()
    task = service.unhide_task(operator, tasks.get_task(task_id))
    return jsonify(serialize_task(task, Viewer.of(operator)))


@api_route("/operator/reports/<id:report_id>/resolve", methods=["POST"], summary="Resolve a report",
           body={"resolution": "string!"}, operator=True, tags=["operator", "moderation"])
def operator_resolve_report(report_id):
    operator = api_user()
    report = service.resolve_report(operator, service.get_report(report_id),
                                    resolution=json_body().get("resolution"))
    return jsonify(serialize_report(report))
