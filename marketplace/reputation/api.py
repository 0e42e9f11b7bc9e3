"""/api/v1 reviews, credit records, the expert pool and the operators' blocklist."""
from __future__ import annotations

from flask import jsonify, request

from ..accounts import service as accounts
from ..accounts.registration import BLOCKLIST_REASON_MAX, MAX_SKILL_LENGTH, MAX_SKILLS
from ..api import api_route, api_user, encode_cursor, json_body, listing, page_params
from ..api.schema import described
from ..core.catalogue import CATEGORIES, CITIES, FAMILIES
from ..core.db import iso
from ..core.errors import NotFound, ValidationFailed
from ..extensions import db
from ..organisations.service import get_org
from ..tasks.service import get_task
from . import credit, experts, reviews
from .reliability import poster_reliability

REVIEW_BODY = {"rating": described("rating!"), "quality": described("rating!"),
               "communication": described("rating!"), "timeliness": described("rating!"),
               "text": described("string", maxLength=reviews.TEXT_MAX)}


def engagement_payload(engagement, viewer) -> dict:
    return {"id": engagement.id, "kind": engagement.kind, "task_id": engagement.task_id,
            "contract_id": engagement.contract_id, "poster_id": engagement.poster_id,
            "solver_id": engagement.solver_id, "amount": {"amount": engagement.amount, "currency": engagement.currency},
            "on_time": engagement.on_time, "ended_at": iso(engagement.ended_at),
            "review_closes_at": iso(engagement.review_closes_at), "published": engagement.published_at is not None,
            "published_at": iso(engagement.published_at),
            "reviews": [reviews.review_payload(r) for r in reviews.visible_reviews(viewer, engagement)]}


def _submit(engagement):
    user = api_user()
    reviews.require_party(user, engagement)
    body = json_body()
    review = reviews.submit_review(user, engagement, rating=body.get("rating"), quality=body.get("quality"),
                                   communication=body.get("communication"), timeliness=body.get("timeliness"),
                                   text=body.get("text", ""))
    db.session.refresh(engagement)
    return jsonify({"review": reviews.review_payload(review), "engagement": engagement_payload(engagement, user)}), 201


def _contract_engagement(contract_id):
    found = reviews.engagement_for_contract(contract_id)
    if found is None or found.side_of(api_user().id) is None:
        raise NotFound()
    return found


@api_route("/contracts/<id:contract_id>/reviews", methods=["POST"], status=201, tags=["reviews"],
           summary="Review the other side of a completed contract or confirmed claim (double-blind)",
           description="Each side reviews once within REVIEW_WINDOW_DAYS; reviews stay hidden until both "
                       "sides have reviewed or the window closes.", body=REVIEW_BODY)
def review_contract(contract_id):
    return _submit(_contract_engagement(contract_id))


@api_route("/contracts/<id:contract_id>/reviews", methods=["GET"], tags=["reviews"],
           summary="The engagement of a contract and the reviews the caller may see")
def contract_reviews(contract_id):
    return jsonify(engagement_payload(_contract_engagement(contract_id), api_user()))


@api_route("/engagements/<id:engagement_id>/reviews", methods=["POST"], status=201, tags=["reviews"],
           summary="Review the other side of any finished engagement (contract, claim or bounty award)",
           body=REVIEW_BODY)
def review_engagement(engagement_id):
    return _submit(reviews.load_engagement(engagement_id))


@api_route("/engagements/<id:engagement_id>", tags=["reviews"],
           summary="A finished engagement and the reviews the caller may see (parties only)")
def get_engagement(engagement_id):
    engagement = reviews.load_engagement(engagement_id)
    reviews.require_party(api_user(), engagement)
    return jsonify(engagement_payload(engagement, api_user()))


@api_route("/me/engagements", tags=["reviews"], summary="Engagements still waiting for my review")
def my_engagements():
    user = api_user()
    return jsonify({"items": [engagement_payload(e, user) for e in reviews.pending_for(user)], "next_cursor": None})


@api_route("/reviews/<id:review_id>/reply", methods=["POST"], tags=["reviews"], body={"text": described("text!", maxLength=reviews.REPLY_MAX)},
           summary="The reviewee's one public reply to a published review")
def reply_review(review_id):
    review = reviews.load_review(review_id)
    reviews.reply(api_user(), review, json_body().get("text"))
    return jsonify(reviews.review_payload(review))


def credit_payload(subject_type: str, subject_id: int) -> dict:
    standing = credit.standing_of(subject_type, subject_id)
    limit = 100
    records = credit.records_of(subject_type, subject_id, newest_first=True, limit=limit)
    return {"score": standing.score if standing else None, "level": standing.level if standing else None,
            "level_name": credit.level_label(standing.level if standing else None),
            "parts": dict(standing.parts or {}) if standing else {},
            "explanation": credit.explain(standing),
            "aggregates": {
                "completed": standing.completed if standing else 0,
                "completed_value": {"amount": standing.completed_value if standing else 0, "currency": "CNY"},
                "on_time": standing.on_time if standing else 0, "timed": standing.timed if standing else 0,
                "reviews": standing.reviews if standing else 0,
                "rating": standing.plain_rating if standing else None,
                "weighted_rating": standing.rating if standing else None,
                "disputes_lost": standing.disputes_lost if standing else 0,
                "abandonments": standing.abandonments if standing else 0,
                "cancellations": standing.cancellations if standing else 0,
                "violations": standing.violations if standing else 0,
                "verified": bool(standing and standing.verified)},
            "events": [credit.record_payload(r) for r in records],
            "events_total": standing.seq if standing else 0,
            "head": standing.head if standing else credit.GENESIS_HASH}


@api_route("/users/<id:user_id>/credit", auth=False, tags=["credit"],
           summary="A user's credit: score, explanation, public reviews, credit records (hash chain) and head")
def user_credit(user_id):
    user = accounts.get_user(user_id)
    if user.suspended_at is not None:
        viewer = api_user(required=False)
        if viewer is None or not viewer.is_operator:
            raise NotFound()
    data = {"user_id": user.id, **credit_payload("user", user.id),
            "reviews": [reviews.review_payload(r) for r in reviews.public_reviews_of(user.id, limit=50)],
            "poster_reliability": poster_reliability(user.id),
            "blocklisted": user.blocklisted_at is not None}
    return jsonify(data)


@api_route("/orgs/<id:org_id>/credit", auth=False, tags=["credit"],
           summary="An organisation's credit: score, explanation and credit records (hash chain)")
def org_credit(org_id):
    org = get_org(org_id)
    return jsonify({"org_id": org.id, **credit_payload("org", org.id)})


# --- experts --------------------------------------------------------------------------------------

EXPERT_QUERY = {"q": {"type": "string", "maxLength": 100}, "field": {"type": "string", "enum": list(CATEGORIES) + list(FAMILIES)},
                "skill": {"type": "string", "maxLength": 30}, "city": {"type": "string", "enum": list(CITIES)},
                "verification": {"type": "string", "enum": ["individual", "organisation"]},
                "min_score": {"type": "integer", "minimum": 0, "maximum": 1000},
                "available": {"type": "string", "enum": ["true", "false", "1", "0"]},
                "sort": {"type": "string", "enum": list(experts.SORTS)}, "limit": "limit", "cursor": "cursor"}


@api_route("/experts", auth=False, tags=["experts"], query=EXPERT_QUERY,
           summary="The expert pool (专家库): verified individuals and organisations",
           description="Filters: q (name, headline, skills), field (category slug or family), skill, city "
                       "(a prefecture matches its districts), verification (individual|organisation), "
                       "min_score, available (true|false), sort (credit|completed|recent).")
def list_experts():
    limit, cursor = page_params()
    offset = int((cursor or {}).get("offset", 0)) if isinstance((cursor or {}).get("offset", 0), int) else 0
    filters = experts.clean_filters(request.args)
    rows, has_more = experts.search(filters, limit=limit, offset=max(offset, 0))
    next_cursor = encode_cursor({"offset": offset + limit}) if has_more else None
    return listing([experts.expert_payload(e, s) for e, s in rows], next_cursor)


@api_route("/experts/<id:expert_id>", auth=False, tags=["experts"],
           summary="One expert with completed work, reviews and the credit explanation")
def get_expert(expert_id):
    expert = experts.get_expert(expert_id)
    standing = credit.standing_of(*expert.subject)
    data = experts.expert_payload(expert, standing, detail=True)
    data["reviews"] = ([reviews.review_payload(r) for r in reviews.public_reviews_of(expert.user_id, limit=20)]
                       if expert.user_id else [])
    # Tasks by invitation keep their titles to their parties.
    data["completed_work"] = [{"task_id": task.id if task.visibility == "public" else None,
                               "title": task.title if task.visibility == "public" else None, "kind": e.kind,
                               "amount": {"amount": e.amount, "currency": e.currency},
                               "on_time": e.on_time, "ended_at": iso(e.ended_at)}
                              for e, task in experts.completed_work(expert)]
    return jsonify(data)


@api_route("/me/expert", methods=["PUT"], tags=["experts"],
           body={"org_id": "id", "headline": described("string", maxLength=experts.HEADLINE_MAX),
                 "fields": described("array", maxItems=experts.MAX_FIELDS, items={"enum": list(CATEGORIES)}),
                 "skills": described("array", maxItems=MAX_SKILLS, items={
                     "type": "string", "maxLength": MAX_SKILL_LENGTH, "pattern": r"^[^,，、;；\n\r]*$"}),
                 "city": described("string", enum=[""] + list(CITIES)), "available": "boolean"},
           summary="Create or update my expert listing (or my organisation's, with org_id); verified only")
def put_my_expert():
    user = api_user()
    body = json_body()
    org_id = body.get("org_id")
    if org_id is not None and (isinstance(org_id, bool) or not isinstance(org_id, int)):
        raise ValidationFailed(errors={"org_id": ["org_id must be an integer."]})
    expert = experts.ensure_listing(user, org_id)
    experts.update_listing(user, expert, headline=body.get("headline"), fields=body.get("fields"),
                           skills=body.get("skills"), city=body.get("city"), available=body.get("available"))
    return jsonify(experts.expert_payload(expert, credit.standing_of(*expert.subject)))


@api_route("/experts/<id:expert_id>/invite", methods=["POST"], tags=["experts"], body={"task_id": "id!"}, status=201,
           summary="Invite an expert to one of my tenders or bounties")
def invite_expert(expert_id):
    expert = experts.get_expert(expert_id)
    task_id = json_body().get("task_id")
    if isinstance(task_id, bool) or not isinstance(task_id, int):
        raise ValidationFailed(errors={"task_id": ["task_id must be an integer."]})
    invite = experts.invite(api_user(), expert, get_task(task_id))
    return jsonify({"task_id": invite.task_id, "solver_id": invite.solver_id, "expert_id": expert.id}), 201


# --- blocklist (operators) ------------------------------------------------------------------------

def _blocklist(user_id, action):
    user = accounts.get_user(user_id)
    action(user, json_body().get("reason"), api_user())
    return jsonify({"id": user.id, "blocklisted": user.blocklisted_at is not None,
                    "blocklisted_at": iso(user.blocklisted_at), "reason": user.blocklist_reason})


@api_route("/operator/users/<id:user_id>/blocklist", methods=["POST"], operator=True, tags=["operator"],
           body={"reason": described("text!", maxLength=BLOCKLIST_REASON_MAX)}, summary="Put a user on the blocklist (失信名单) with a reason")
def blocklist_user(user_id):
    return _blocklist(user_id, accounts.set_blocklisted)


@api_route("/operator/users/<id:user_id>/blocklist/lift", methods=["POST"], operator=True, tags=["operator"],
           body={"reason": described("text!", maxLength=BLOCKLIST_REASON_MAX)}, summary="Lift a user's blocklist with a reason")
def lift_blocklist(user_id):
    return _blocklist(user_id, accounts.lift_blocklist)
