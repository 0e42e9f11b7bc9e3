"""/api/v1/operator: the queue, the audit log, user administration."""
from __future__ import annotations

import datetime as dt

from flask import jsonify, request

from ..api import api_route, api_user, encode_cursor, json_form, listing, page_params
from ..api.schema import FormBody
from ..core.errors import ValidationFailed
from . import queue as work_queue
from . import service, stats
from .forms import SuspendForm
from .stats_routes import csv_response


@api_route("/operator/queue", summary="Everything waiting for an operator", operator=True,
           query={"limit": "limit"}, tags=["operator"])
def operator_queue():
    limit, _cursor = page_params(default=50)
    return jsonify(work_queue.as_json(limit))


def _date_arg(name):
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(errors={name: ["Use a date like 2026-01-31."]}) from None


@api_route("/operator/audit", summary="The audit log, newest first", operator=True,
           query={"action": "string", "actor": "string", "date_from": {"type": "string", "format": "date"},
                  "date_to": {"type": "string", "format": "date"}, "limit": "limit", "cursor": "cursor"}, tags=["operator"])
def operator_audit():
    limit, cursor = page_params(default=50)
    entries, next_before = service.audit_entries(
        action=request.args.get("action") or None, actor_email=request.args.get("actor") or None,
        date_from=_date_arg("date_from"), date_to=_date_arg("date_to"),
        before_id=(cursor or {}).get("before"), limit=limit)
    return listing([service.serialize_audit(e) for e in entries],
                   encode_cursor({"before": next_before}) if next_before else None)


@api_route("/operator/users", summary="Search users by email or name", operator=True,
           query={"q": "string", "limit": "limit", "cursor": "cursor"}, tags=["operator"])
def operator_users():
    limit, cursor = page_params(default=50)
    rows, next_before = service.search_users(request.args.get("q") or None,
                                             before_id=(cursor or {}).get("before"), limit=limit)
    return listing([service.serialize_user(u) for u in rows],
                   encode_cursor({"before": next_before}) if next_before else None)


@api_route("/operator/users/<id:user_id>/suspend", methods=["POST"], summary="Suspend an account",
           body=FormBody(SuspendForm), operator=True, tags=["operator"])
def operator_suspend(user_id):
    actor = api_user()
    user = service.get_user(user_id)
    form = json_form(SuspendForm)
    return jsonify(service.serialize_user(service.suspend_user(actor, user, form.reason.data)))


@api_route("/operator/users/<id:user_id>/unsuspend", methods=["POST"], summary="Reinstate an account",
           body=FormBody(SuspendForm), operator=True, tags=["operator"])
def operator_unsuspend(user_id):
    actor = api_user()
    user = service.get_user(user_id)
    form = json_form(SuspendForm)
    return jsonify(service.serialize_user(service.unsuspend_user(actor, user, form.reason.data)))


@api_route("/operator/stats", summary="Supervisor statistics by mode, category, city and month",
           query={"format": {"type": "string", "enum": ["json", "csv"]},
                  "table": {"type": "string", "enum": list(stats.TABLES)},
                  "by": {"type": "string", "enum": list(stats.DIMENSIONS)}}, operator=True, tags=["operator"],
           also_returns={"text/csv": {"type": "string"}},
           description="JSON: every table by every dimension. ?format=csv&table=tasks|money|disputes|users"
                       "&by=mode|category|city|month: one table as CSV.")
def operator_stats():
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise ValidationFailed(errors={"format": ["One of: json, csv."]})
    if fmt == "csv":
        name, dim = request.args.get("table", "tasks"), request.args.get("by", "month")
        errors = {}
        if name not in stats.TABLES:
            errors["table"] = [f"One of: {', '.join(stats.TABLES)}."]
        if dim not in stats.DIMENSIONS:
            errors["by"] = [f"One of: {', '.join(stats.DIMENSIONS)}."]
        if errors:
            raise ValidationFailed(errors=errors)
        return csv_response(name, dim)
    return jsonify({"tables": stats.all_tables(), "dimensions": list(stats.DIMENSIONS),
                    "columns": {name: list(spec["columns"]) for name, spec in stats.TABLES.items()}})
