"""/api/v1 disputes: open, read (with the timeline), evidence, settlement, withdrawal; and the
operator's decision."""
from __future__ import annotations

from flask import jsonify, request

from ..api import api_route, api_user, encode_cursor, json_body, listing, page_params
from ..api.idempotency import idempotent
from ..api.schema import FILE_DOWNLOAD, VariantBody, described
from ..core.db import iso
from ..core.errors import NotFound, ValidationFailed
from ..core.files import send_stored
from . import service, timeline


def serialize_evidence(e) -> dict:
    return {"id": e.id, "author_id": e.author_id, "text": e.text, "created_at": iso(e.created_at),
            "files": [{"id": f.public_id, "name": f.name, "size": f.size, "sha256": f.sha256,
                       "url": f"/api/v1/disputes/evidence-files/{f.public_id}"} for f in e.files]}


def serialize_dispute(d, *, detail: bool = True) -> dict:
    data = {
        "id": d.id, "subject": d.subject, "subject_id": d.subject_id, "status": d.status,
        "task_id": d.task_id, "contract_id": d.contract_id, "milestone_id": d.milestone_id,
        "poster_id": d.poster_id, "solver_id": d.solver_id, "opened_by": d.opened_by_id,
        "prize_id": d.prize_id, "respondent_id": d.respondent_id,
        "reason": d.reason, "amount": d.amount, "held": d.held, "currency": d.currency,
        "opened_at": iso(d.opened_at), "evidence_until": iso(d.evidence_until),
        "offers": {"poster": d.poster_offer_bps, "solver": d.solver_offer_bps,
                   "respondent": d.respondent_offer_bps},
        "solver_share_bps": d.solver_share_bps, "solver_amount": d.solver_amount,
        "payer_amount": d.payer_amount, "decision_reason": d.decision_reason,
        "closed_at": iso(d.closed_at),
    }
    if detail:
        data["evidence"] = [serialize_evidence(e) for e in service.evidence_of(d)]
        data["timeline"] = [{"at": iso(i["at"]), "kind": i["kind"], "label": str(i["label"]), "who": i["who"],
                             "text": str(i["text"]), "files": i["files"], "milestone": i["milestone"],
                             "due": iso(i["due"])}
                            for i in timeline.build(d)]
    return data


def _int_field(data, name):
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(errors={name: ["Give a whole number."]})
    return value


@api_route("/disputes", methods=["POST"], summary="Open a dispute about a milestone, a claim or a bounty outcome",
           body=VariantBody({subject: {subject: "id!", "reason": described("text!", maxLength=service.MAX_REASON),
                                       "amount": described("amount!"),
                                       **({"rank": described("integer", minimum=1)} if subject == "task_id" else {})}
                             for subject in ("milestone_id", "contract_id", "task_id")}),
           description="Name exactly one subject. Freezes the subject's timers and money. For an awarded "
                       "single or ranked bounty (task_id) `rank` names the held prize in question (default 1).",
           tags=["disputes"], status=201, idempotent=True)
@idempotent
def open_dispute():
    user = api_user()
    data = json_body()
    errors, ids = {}, {}
    for name in ("milestone_id", "contract_id", "task_id", "amount", "rank"):
        try:
            ids[name] = _int_field(data, name)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    dispute = service.open_dispute(user, reason=data.get("reason"), amount=ids["amount"],
                                   milestone_id=ids["milestone_id"], contract_id=ids["contract_id"],
                                   task_id=ids["task_id"], rank=ids["rank"])
    return jsonify(serialize_dispute(dispute)), 201


@api_route("/disputes", summary="My disputes (as poster or solver), newest first",
           query={"limit": "limit", "cursor": "cursor"}, tags=["disputes"])
def list_disputes():
    user = api_user()
    limit, cursor = page_params()
    rows = service.disputes_of(user, limit + 1, before_id=(cursor or {}).get("before"))
    next_cursor = encode_cursor({"before": rows[limit - 1].id}) if len(rows) > limit else None
    return listing([serialize_dispute(d, detail=False) for d in rows[:limit]], next_cursor)


@api_route("/disputes/<int:dispute_id>", summary="A dispute with its evidence and timeline (parties and operators only)",
           tags=["disputes"])
def get_dispute(dispute_id):
    return jsonify(serialize_dispute(service.get_visible(api_user(), dispute_id)))


@api_route("/disputes/<int:dispute_id>/evidence", methods=["POST"], summary="Add evidence: text and files",
           body={"text": described("text!", maxLength=service.MAX_EVIDENCE), "files": "file"}, multipart=True, tags=["disputes"], status=201)
def add_evidence(dispute_id):
    user = api_user()
    dispute = service.get_visible(user, dispute_id)
    data = json_body()
    evidence = service.add_evidence(user, dispute, data.get("text"), request.files.getlist("files"))
    return jsonify(serialize_evidence(evidence)), 201


@api_route("/disputes/evidence-files/<public_id>", summary="Download an evidence file (parties and operators only)",
           tags=["disputes"], also_returns=FILE_DOWNLOAD)
def evidence_file(public_id):
    row = service.evidence_file(api_user(), public_id)
    try:
        return send_stored(row.path, mimetype=row.mime, as_attachment=True, download_name=row.name)
    except (OSError, ValueError):  # the stored object is gone
        raise NotFound() from None


@api_route("/disputes/<int:dispute_id>/settlement", methods=["POST"],
           summary="Propose a settlement; equal proposals from both sides settle at once",
           body={"solver_share_bps": described("bps!")}, tags=["disputes"], idempotent=True)
@idempotent
def settle(dispute_id):
    user = api_user()
    dispute = service.get_visible(user, dispute_id)
    dispute = service.offer_settlement(user, dispute, json_body().get("solver_share_bps"))
    return jsonify(serialize_dispute(dispute))


@api_route("/disputes/<int:dispute_id>/withdraw", methods=["POST"],
           summary="The opener withdraws the dispute; the subject's timer resumes", tags=["disputes"])
def withdraw(dispute_id):
    user = api_user()
    dispute = service.withdraw(user, service.get_visible(user, dispute_id))
    return jsonify(serialize_dispute(dispute))


@api_route("/operator/disputes/<int:dispute_id>/decision", methods=["POST"],
           summary="Decide a dispute: the solver's share in basis points and a written reason",
           body={"solver_share_bps": described("bps!"), "reason": described("text!", maxLength=service.MAX_REASON)}, operator=True,
           tags=["operator", "disputes"], idempotent=True)
@idempotent
def decide(dispute_id):
    user = api_user()
    dispute = service.get_visible(user, dispute_id)
    data = json_body()
    dispute = service.decide(user, dispute, data.get("solver_share_bps"), data.get("reason"))
    return jsonify(serialize_dispute(dispute))
