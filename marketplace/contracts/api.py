"""/api/v1 contracts, milestones and claims."""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import inspect
from sqlalchemy.orm import selectinload

from ..api import api_route, api_user, json_body, keyset_page, listing, page_params
from ..api.idempotency import idempotent
from ..api.schema import described, shorthand
from ..bids import policies as bid_policies
from ..bids import service as bids
from ..core.db import iso
from ..core.errors import ValidationFailed
from ..extensions import db
from ..payments.api import method_field
from ..payments.api import serialize_funding as payments_serializer
from ..tasks.service import get_visible_task
from . import service
from .loading import MAX_MILESTONES, MAX_NOTE, MAX_TITLE
from .models import STATUSES, Contract


def serialize_milestone(m) -> dict:
    return {
        "id": m.id, "position": m.position, "title": m.title, "amount": m.amount, "currency": m.currency,
        "status": m.status, "due_at": iso(m.due_at), "funded_at": iso(m.funded_at),
        "delivered_at": iso(m.delivered_at), "review_due_at": iso(m.review_due_at),
        "accepted_at": iso(m.accepted_at), "auto_accepted": m.auto_accepted, "revisions": m.revisions,
    }


def serialize_contract(contract, viewer=None, *, deliveries: bool = True) -> dict:
    task = contract.task if "task" not in _unloaded(contract) else service._task(contract)
    data = {
        "id": contract.id, "kind": contract.kind, "task_id": contract.task_id, "bid_id": contract.bid_id,
        "poster_id": contract.poster_id, "solver_id": contract.solver_id, "solver_org_id": contract.solver_org_id,
        "status": contract.status,
        "amount": contract.amount, "currency": contract.currency, "days": contract.days,
        "created_at": iso(contract.created_at), "accepted_at": iso(contract.accepted_at),
        "completed_at": iso(contract.completed_at), "cancelled_at": iso(contract.cancelled_at),
        "cancel_requested": {"poster": iso(contract.poster_cancel_at), "solver": iso(contract.solver_cancel_at)},
        "milestones": [],
    }
    loaded = "milestones" not in inspect(contract).unloaded
    for m in (contract.milestones if loaded else service.milestones_of(contract)):
        item = serialize_milestone(m)
        if deliveries:
            item["deliveries"] = [{
                "id": d.id, "note": d.note, "created_at": iso(d.created_at),
                "revision_reason": d.revision_reason, "revision_requested_at": iso(d.revision_requested_at),
                "files": [{"id": f.public_id, "name": f.name, "size": f.size, "sha256": f.sha256} for f in d.files],
            } for d in service.deliveries_of(m)]
        data["milestones"].append(item)
    if contract.kind == "claim":
        data["window_start"] = iso(task.window_start)
        data["window_end"] = iso(task.window_end)
        data["district"] = task.district
        if viewer is not None and service.is_party(viewer, contract) and contract.status != "cancelled":
            data["address"] = task.address
    return data


def _unloaded(obj):
    return inspect(obj).unloaded


def serialize_funding(funding) -> dict:
    return payments_serializer(funding)


def _contract(user, contract_id):
    contract = service.load_contract(contract_id)
    service.require_party(user, contract)
    return contract


def _milestone(user, milestone_id):
    milestone = service.load_milestone(milestone_id)
    service.require_party(user, service.contract_of(milestone))
    return milestone


def _text(data, field) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(errors={field: ["This must be text."]})
    return value


def _reply(user, contract_id, status=200):
    return jsonify(serialize_contract(service.load_contract(contract_id), user)), status


@api_route("/contracts", summary="My contracts (as poster or solver), newest first",
           query={"limit": "limit", "cursor": "cursor", "status": {"type": "string", "enum": list(STATUSES)}}, tags=["contracts"])
def list_contracts():

    user = api_user()
    limit, cursor = page_params()
    query = (db.select(Contract).options(selectinload(Contract.milestones), selectinload(Contract.task))
             .where(db.or_(Contract.poster_id == user.id, Contract.solver_id == user.id)))
    status = request.args.get("status")
    if status:
        if status not in STATUSES:
            raise ValidationFailed(errors={"status": [f"One of: {', '.join(STATUSES)}."]})
        query = query.where(Contract.status == status)
    rows, next_cursor = keyset_page(query, Contract, limit, cursor)
    return listing([serialize_contract(c, user, deliveries=False) for c in rows], next_cursor)


@api_route("/contracts/<id:contract_id>", summary="A contract and its milestones (parties only)",
           tags=["contracts"])
def get_contract(contract_id):
    user = api_user()
    return jsonify(serialize_contract(_contract(user, contract_id), user))


@api_route("/contracts/<id:contract_id>/accept", methods=["POST"],
           summary="The solver accepts the proposed contract", tags=["contracts"])
def accept_contract(contract_id):
    user = api_user()
    contract = _contract(user, contract_id)
    service.accept_contract(user, contract)
    return _reply(user, contract_id)


@api_route("/contracts/<id:contract_id>/cancel", methods=["POST"],
           summary="Cancel (proposed: either side; funded: mutual — both sides call it, then funded money is refunded)",
           tags=["contracts"], idempotent=True)
@idempotent
def cancel_contract(contract_id):
    user = api_user()
    contract = _contract(user, contract_id)
    service.cancel_contract(user, contract)
    return _reply(user, contract_id)


@api_route("/contracts/<id:contract_id>/abandon", methods=["POST"],
           summary="The claimant gives a claim up before the time window starts (recorded for credit)",
           body={"reason": described("string", maxLength=2000)}, tags=["contracts", "claims"])
def abandon_claim(contract_id):
    user = api_user()
    contract = _contract(user, contract_id)
    service.abandon_claim(user, contract, _text(json_body(), "reason"))
    return _reply(user, contract_id)


@api_route("/milestones/<id:milestone_id>/fund", methods=["POST"],
           summary="Fund a milestone through payments",
           body={"method": method_field},
           tags=["contracts", "payments"], idempotent=True)
@idempotent
def fund_milestone(milestone_id):
    user = api_user()
    milestone = _milestone(user, milestone_id)
    method = json_body().get("method")
    if method not in ("card", "bank_transfer", "wallet"):
        raise ValidationFailed(errors={"method": ["Choose card, bank_transfer or wallet."]})
    funding = service.fund_milestone(user, milestone, method)
    return jsonify(serialize_funding(funding))


@api_route("/milestones/<id:milestone_id>/deliver", methods=["POST"],
           summary="Deliver a funded milestone (or mark a claim done): note + files",
           body={"note": described("text!", maxLength=MAX_NOTE), "files": "file"}, multipart=True, tags=["contracts"])
def deliver_milestone(milestone_id):
    user = api_user()
    milestone = _milestone(user, milestone_id)
    service.deliver_milestone(user, milestone, _text(json_body(), "note"), request.files.getlist("files"))
    return _reply(user, milestone.contract_id)


@api_route("/milestones/<id:milestone_id>/accept", methods=["POST"],
           summary="Accept a delivery: release the money to the solver (minus the platform fee)",
           tags=["contracts"], idempotent=True)
@idempotent
def accept_milestone(milestone_id):
    user = api_user()
    milestone = _milestone(user, milestone_id)
    service.accept_milestone(user, milestone)
    return _reply(user, milestone.contract_id)


@api_route("/milestones/<id:milestone_id>/request-revision", methods=["POST"],
           summary="Send a delivery back with a reason (at most MAX_REVISIONS times)",
           body={"reason": described("text!", maxLength=MAX_NOTE)}, tags=["contracts"])
def request_revision(milestone_id):
    user = api_user()
    milestone = _milestone(user, milestone_id)
    service.request_revision(user, milestone, _text(json_body(), "reason"))
    return _reply(user, milestone.contract_id)


@api_route("/tasks/<id:task_id>/claim", methods=["POST"],
           summary="Claim a life-service task (verified solvers of its city; exactly one claim wins)",
           tags=["claims", "contracts"], status=201)
def claim_task(task_id):
    user = api_user()
    task = get_visible_task(user, task_id)
    contract = service.claim_task(user, task)
    return _reply(user, contract.id, 201)


@api_route("/tasks/<id:task_id>/messages/<id:solver_id>",
           summary="The private thread between the poster side and one bidder/claimant", tags=["contracts"])
def get_messages(task_id, solver_id):
    user = api_user()
    task = get_visible_task(user, task_id)
    items = service.thread(user, task, solver_id)
    return jsonify({"items": [{"id": m.id, "sender_id": m.sender_id, "body": m.body,
                               "created_at": iso(m.created_at)} for m in items], "next_cursor": None})


@api_route("/tasks/<id:task_id>/messages/<id:solver_id>", methods=["POST"],
           summary="Send a private message in a poster–solver thread", body={"body": described("text!", maxLength=5000)},
           tags=["contracts"], status=201)
def post_message(task_id, solver_id):
    user = api_user()
    task = get_visible_task(user, task_id)
    m = service.send_message(user, task, solver_id, _text(json_body(), "body"))
    return jsonify({"id": m.id, "sender_id": m.sender_id, "body": m.body, "created_at": iso(m.created_at)}), 201


@api_route("/bids/<id:bid_id>/award", methods=["POST"],
           summary="Award a bid: a proposed contract with milestones summing to the bid",
           description="milestones: [{title, amount}] in minor units; default one milestone for the whole bid. "
                       "The contract stays `proposed` until the solver accepts it.",
           body={"milestones": described("array", minItems=1, maxItems=MAX_MILESTONES, items={
               "type": "object", "required": ["title", "amount"],
               "properties": {"title": described("text", maxLength=MAX_TITLE), "amount": shorthand("amount")}})},
           tags=["bids", "contracts"], status=201, idempotent=True)
@idempotent
def award_bid(bid_id):
    user = api_user()
    bid = bids.load_bid(bid_id)
    bid_policies.require_can_see_bid(user, bid, bids.task_of(bid))
    data = json_body()
    milestones = data.get("milestones")
    if milestones is not None and not isinstance(milestones, list):
        raise ValidationFailed(errors={"milestones": ["milestones must be a list of {title, amount}."]})
    contract = service.award_bid(user, bid, milestones)
    return jsonify(serialize_contract(service.load_contract(contract.id), user)), 201
