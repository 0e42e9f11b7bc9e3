"""/api/v1 bids: place, list, withdraw, shortlist, reject, award."""
from __future__ import annotations

from flask import jsonify, request

from ..api import api_route, api_user, json_body, json_fields, keyset_page, listing, page_params
from ..api.schema import described
from ..core.db import iso
from ..core.errors import ValidationFailed
from ..core.inputs import is_ascii_int
from ..tasks.service import get_visible_task
from . import policies, service
from .models import Bid


def serialize_bid(bid) -> dict:
    return {
        "id": bid.id, "task_id": bid.task_id, "solver_id": bid.solver_id, "org_id": bid.org_id,
        "amount": bid.amount, "currency": bid.currency, "days": bid.days,
        "proposal": bid.proposal, "status": bid.status,
        "created_at": iso(bid.created_at), "updated_at": iso(bid.updated_at),
        "attachments": [{"id": a.public_id, "name": a.name, "size": a.size, "sha256": a.sha256}
                        for a in service.attachments_of(bid)],
    }


def whole_number(data: dict, field: str, errors: dict, message: str):
    """An integer from JSON or a form field; records a field error otherwise."""
    value = data.get(field)
    if isinstance(value, bool):
        errors[field] = [message]
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and is_ascii_int(value.strip(), signed=True) and len(value.strip()) <= 20:
        return int(value.strip())
    errors[field] = [message]
    return None


def bid_input(data: dict, errors: dict | None = None) -> tuple[int, int, str]:
    errors = dict(errors or {})
    amount = whole_number(data, "amount", errors, "The amount must be a whole number of minor units (分).") \
        if "amount" not in errors else None
    days = whole_number(data, "days", errors, "days must be a whole number.") if "days" not in errors else None
    proposal = data.get("proposal")
    if not isinstance(proposal, str):
        proposal = ""
    more = service.validate_bid_fields(amount if amount is not None else 1, days if days is not None else 1,
                                       proposal)
    errors.update({k: v for k, v in more.items() if k not in errors})
    if errors:
        raise ValidationFailed(errors=errors)
    return amount, days, proposal

BID_BODY = {"amount": described("amount!"), "days": described("integer!", minimum=1, maximum=service.MAX_DAYS),
            "proposal": described("text!", maxLength=service.MAX_PROPOSAL)}


@api_route("/tasks/<id:task_id>/bids", methods=["POST"], summary="Place a bid on a tender",
           body={**BID_BODY, "files": "file", "org_id": "id"},
           multipart=True, tags=["bids"], status=201)
def place_bid(task_id):
    user = api_user()
    task = get_visible_task(user, task_id)
    body, type_errors = json_fields()
    amount, days, proposal = bid_input(body, type_errors)
    bid = service.place_bid(user, task, amount, days, proposal, request.files.getlist("files"),
                            org_id=body.get("org_id"))
    return jsonify(serialize_bid(bid)), 201


@api_route("/tasks/<id:task_id>/bids", summary="Bids on a task, newest first (the poster sees all; a bidder only its own)",
           query={"limit": "limit", "cursor": "cursor"}, tags=["bids"])
def list_bids(task_id):
    user = api_user()
    task = get_visible_task(user, task_id)
    limit, cursor = page_params()
    rows, next_cursor = keyset_page(service.bids_query(user, task), Bid, limit, cursor)
    return listing([serialize_bid(b) for b in rows], next_cursor)


@api_route("/bids/<id:bid_id>", summary="One bid (its bidder and the poster side)", tags=["bids"])
def get_bid(bid_id):
    user = api_user()
    bid = service.load_bid(bid_id)
    policies.require_can_see_bid(user, bid, service.task_of(bid))
    return jsonify(serialize_bid(bid))


@api_route("/bids/<id:bid_id>", methods=["PATCH"], summary="Change my bid (until the bid deadline)",
           body=BID_BODY, tags=["bids"])
def update_bid(bid_id):
    user = api_user()
    bid = _own_or_visible(user, bid_id)
    body, type_errors = json_fields()
    amount, days, proposal = bid_input(body, type_errors)
    service.update_bid(user, bid, amount, days, proposal, request.files.getlist("files"))
    return jsonify(serialize_bid(bid))


def _own_or_visible(user, bid_id):
    bid = service.load_bid(bid_id)
    policies.require_can_see_bid(user, bid, service.task_of(bid))
    return bid


@api_route("/bids/<id:bid_id>/withdraw", methods=["POST"], summary="Withdraw my bid", tags=["bids"])
def withdraw_bid(bid_id):
    user = api_user()
    bid = _own_or_visible(user, bid_id)
    return jsonify(serialize_bid(service.withdraw_bid(user, bid)))


@api_route("/bids/<id:bid_id>/shortlist", methods=["POST"], summary="Shortlist a bid (poster side)",
           tags=["bids"])
def shortlist_bid(bid_id):
    user = api_user()
    bid = _own_or_visible(user, bid_id)
    return jsonify(serialize_bid(service.shortlist_bid(user, bid)))


@api_route("/bids/<id:bid_id>/reject", methods=["POST"], summary="Reject a bid (poster side)",
           body={"reason": described("string", maxLength=2000)}, tags=["bids"])
def reject_bid(bid_id):
    user = api_user()
    bid = _own_or_visible(user, bid_id)
    reason = json_body().get("reason") or ""
    if not isinstance(reason, str):
        raise ValidationFailed(errors={"reason": ["The reason must be text."]})
    return jsonify(serialize_bid(service.reject_bid(user, bid, reason)))
