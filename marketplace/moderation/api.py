"""/api/v1/reports and the operator's moderation endpoints."""
from __future__ import annotations

from flask import jsonify
from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..api import api_route, api_user, encode_cursor, json_body, listing, page_params
from ..api.schema import VariantBody, described
from ..core.db import iso
from ..core.errors import NotFound
from ..core.inputs import optional_id
from ..extensions import db
from ..tasks import service as tasks
from ..tasks.serializers import Viewer, serialize_task
from . import negative_rules, service
from .queue import serialize_report


def _id(body, name):
    return optional_id(body.get(name), name, message=_l("Give a numeric id."))


@api_route("/reports", methods=["POST"], summary="Report a task or a user to the operators",
           body=VariantBody({subject: {subject: "id!", "reason": described("text!", maxLength=service.REASON_MAX)}
                             for subject in ("task_id", "user_id")}), tags=["moderation"], status=201)
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
           "is told the reason)", body={"reason": described("text!", maxLength=1000)}, operator=True, tags=["operator", "moderation"])
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
           body={"resolution": described("text!", maxLength=service.REASON_MAX)}, operator=True, tags=["operator", "moderation"])
def operator_resolve_report(report_id):
    operator = api_user()
    report = service.resolve_report(operator, service.get_report(report_id),
                                    resolution=json_body().get("resolution"))
    return jsonify(serialize_report(report))


def _serialize_rule(r: dict) -> dict:
    return {**r, "label": str(r["label"]), "updated_at": iso(r["updated_at"])}


@api_route("/operator/negative-list", summary="The negative list: rules, words, source and how many posts each blocked",
           operator=True, tags=["operator", "moderation"])
def operator_negative_list():
    return jsonify({"items": [_serialize_rule(r) for r in negative_rules.overview()]})


@api_route("/operator/negative-list", methods=["POST"], summary="Add a negative-list rule or replace its words",
           body={"name": described("string!", pattern=negative_rules.NAME_RE.pattern), "label": described("string", maxLength=100),
                 "words": described("array!", minItems=1, maxItems=negative_rules.MAX_WORDS, items=described(
                     "text", maxLength=negative_rules.MAX_WORD)),
                 "reason": described("text!", maxLength=1000)}, operator=True,
           tags=["operator", "moderation"], status=201)
def operator_set_negative_rule():
    body = json_body()
    row = negative_rules.set_rule(api_user(), name=body.get("name"), label=body.get("label"),
                                  words=body.get("words"), reason=body.get("reason"))
    item = next(r for r in negative_rules.overview() if r["name"] == row.name)
    return jsonify(_serialize_rule(item)), 201


@api_route("/operator/negative-list/<name>/remove", methods=["POST"], summary="Switch a negative-list rule off",
           description="404 for a rule that is not in force; then the reason is required (422).",
           body={"reason": described("text!", maxLength=1000)}, operator=True, tags=["operator", "moderation"])
def operator_remove_negative_rule(name):
    if name not in negative_rules.rules():
        raise NotFound()  # before the body is read: an unknown rule is a 404 whatever is sent
    row = negative_rules.remove_rule(api_user(), name, json_body().get("reason"))
    item = next(r for r in negative_rules.overview() if r["name"] == row.name)
    return jsonify(_serialize_rule(item))


@api_route("/operator/negative-list/<name>/hits", summary="What a negative-list rule blocked, newest first",
           query={"limit": "limit", "cursor": "cursor"}, operator=True, tags=["operator", "moderation"])
def operator_negative_rule_hits(name):
    limit, cursor = page_params(default=50)
    rows = negative_rules.hits(name, limit=limit + 1, before_id=(cursor or {}).get("before"))
    next_cursor = encode_cursor({"before": rows[limit - 1].id}) if len(rows) > limit else None
    return listing([{"id": h.id, "rule": h.rule, "word": h.word, "field": h.field, "user_id": h.user_id,
                     "excerpt": h.excerpt, "at": iso(h.at)} for h in rows[:limit]], next_cursor)
