"""/api/v1 for bounties: entries, judging, winners, piece acceptance, receipts, operator review."""
from __future__ import annotations

import datetime as dt

from flask import jsonify, request
from flask_babel import lazy_gettext as _l

from ..api import api_route, api_user, json_body
from ..api.idempotency import idempotent
from ..api.schema import FILE_DOWNLOAD, described, shorthand
from ..core.errors import NotFound, ValidationFailed
from ..core.files import send_upload
from ..extensions import db
from ..tasks.serializers import Viewer, serialize_task
from ..tasks.validation import MAX_PIECES, RANKED_PRIZES_MAX
from . import policies, receipts, service
from .loading import NOTE_MAX, REASON_MAX, TEXT_MAX
from .serializers import (
    serialize_result,
    serialize_review,
    serialize_submission,
)


def _files():
    return request.files.getlist("files") if request.files else []


def _form_value(name):
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return request.form.get(name)
    return json_body().get(name)


def _sub_json(sub, task, user, status=200):
    response = jsonify(serialize_submission(service.load_full(sub), task, user))
    response.status_code = status
    return response


@api_route("/tasks/<int:task_id>/submissions", methods=["POST"], summary="Enter a bounty (multipart)",
           body={"text": described("string", maxLength=TEXT_MAX), "files": "file",
                 "coauthors": described("string", description='JSON [{"user_id": 12, "share_bps": 2500}]')}, multipart=True,
           tags=["bounties"], status=201, description="coauthors: JSON [{user_id, share_bps}]; the submitter keeps what the "
                                   "co-authors leave. Returns the entry with its receipt {id, sha256, received_at}.")
def create_submission(task_id):
    user = api_user()
    task = service.get_visible_bounty(user, task_id)
    sub = service.submit(user, task, text=_form_value("text"), files=_files(), coauthors=_form_value("coauthors"))
    db.session.flush()
    return _sub_json(sub, task, user, status=201)


@api_route("/tasks/<int:task_id>/submissions", summary="Entries of a bounty (the poster's side: all it may "
           "judge; a solver: only its own)", tags=["bounties"])
def list_submissions(task_id):
    user = api_user()
    task = service.get_visible_bounty(user, task_id)
    items = [serialize_submission(s, task, user) for s in service.entries_for(user, task)]
    return jsonify({"items": items, "next_cursor": None, "count": service.live_count(task)})


@api_route("/me/submissions", summary="My bounty entries with their receipts", tags=["bounties"])
def my_submissions():
    user = api_user()
    return jsonify({"items": [serialize_submission(s, t, user) for s, t in service.my_submissions(user)],
                    "next_cursor": None})


@api_route("/submissions/<public_id>", summary="One entry (authors, the poster's side; 404 for others)",
           tags=["bounties"])
def get_submission(public_id):
    user = api_user()
    sub, task = service.get_visible_submission(user, public_id)
    return _sub_json(sub, task, user)


@api_route("/submissions/<public_id>/replace", methods=["POST"], summary="Replace my entry (until the deadline)",
           body={"text": described("string", maxLength=TEXT_MAX), "files": "file",
                 "coauthors": described("string", description='JSON [{"user_id": 12, "share_bps": 2500}]')}, multipart=True,
           tags=["bounties"], status=201)
def replace_submission(public_id):
    user = api_user()
    sub, task = service.get_visible_submission(user, public_id)
    new = service.replace(user, sub, text=_form_value("text"), files=_files(), coauthors=_form_value("coauthors"))
    db.session.flush()
    return _sub_json(new, task, user, status=201)


@api_route("/submissions/<public_id>/withdraw", methods=["POST"], summary="Withdraw my entry (until the "
           "deadline; its receipt stays valid)", tags=["bounties"])
def withdraw_submission(public_id):
    user = api_user()
    sub, task = service.get_visible_submission(user, public_id)
    return _sub_json(service.withdraw(user, sub), task, user)


@api_route("/submissions/<public_id>/eligible", methods=["POST"], summary="Mark an entry eligible",
           tags=["bounties"])
def eligible_submission(public_id):
    user = api_user()
    sub, task = service.get_visible_submission(user, public_id)
    return _sub_json(service.mark_eligible(user, sub), task, user)


@api_route("/submissions/<public_id>/reject", methods=["POST"], summary="Mark an entry ineligible (piece: "
           "rejected) with a reason the solver reads", body={"reason": described("text!", maxLength=REASON_MAX)},
           tags=["bounties"])
def reject_submission(public_id):
    user = api_user()
    sub, task = service.get_visible_submission(user, public_id)
    return _sub_json(service.reject(user, sub, json_body().get("reason")), task, user)


@api_route("/submissions/<public_id>/note", methods=["POST"], summary="The poster side's private note",
           body={"note": described("string", maxLength=NOTE_MAX)}, tags=["bounties"])
def note_submission(public_id):
    user = api_user()
    sub, task = service.get_visible_submission(user, public_id)
    return _sub_json(service.set_note(user, sub, json_body().get("note")), task, user)


@api_route("/submissions/<public_id>/shortlist", methods=["POST"], summary="Shortlist an entry (or not)",
           body={"shortlisted": "boolean"}, tags=["bounties"])
def shortlist_submission(public_id):
    user = api_user()
    sub, task = service.get_visible_submission(user, public_id)
    on = json_body().get("shortlisted", True)
    if not isinstance(on, bool):
        raise ValidationFailed(errors={"shortlisted": [_l("Choose true or false.")]})
    return _sub_json(service.set_shortlisted(user, sub, on), task, user)


@api_route("/submissions/<public_id>/accept", methods=["POST"], summary="Accept and pay one entry of a piece "
           "bounty (up to the maximum number of pieces)", tags=["bounties"], idempotent=True)
@idempotent
def accept_submission(public_id):
    user = api_user()
    sub, task = service.get_visible_submission(user, public_id)
    return _sub_json(service.accept_piece(user, sub), task, user)


@api_route("/tasks/<int:task_id>/winners", methods=["POST"], summary="Choose the winners of a single or ranked "
           "bounty", body={"awards": described("array!", minItems=1, items={
               "type": "object", "required": ["submission_id", "rank"],
               "properties": {"submission_id": {"type": "string"}, "rank": {"type": "integer", "minimum": 1}}})},
           tags=["bounties"], idempotent=True,
           description="awards: [{submission_id, rank}]; prizes 1..n must all go to eligible entries while there "
                       "are enough. A second award is 409.")
@idempotent
def choose_winners(task_id):
    user = api_user()
    task = service.get_visible_bounty(user, task_id)
    policies.require_judge(user, task)
    task = service.award(user, task, json_body().get("awards"))
    return jsonify(_results(task))


def _results(task):
    prizes = service.prizes_by_entry(task)
    return {"task": serialize_task(task, Viewer.of(None)),
            "winners": [serialize_result(s, task, prizes.get(s.id)) for s in service.results(task)]}


@api_route("/tasks/<int:task_id>/results", summary="Public results: winners and prizes", auth=False,
           tags=["bounties"])
def results(task_id):
    user = api_user(required=False)
    task = service.get_visible_bounty(user, task_id)
    return jsonify(_results(task))


def _parse_when(value):
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValidationFailed(errors={"submission_deadline": [_l("Enter a valid date and time.")]})
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(errors={"submission_deadline": [_l("Enter a valid date and time.")]}) from None
    if when.tzinfo is None:
        raise ValidationFailed(errors={"submission_deadline": [_l("Give the time with its offset.")]})
    return when


@api_route("/tasks/<int:task_id>/amend", methods=["POST"], summary="Raise the reward (topped up from the "
           "wallet) or extend the deadline of an open bounty", tags=["bounties"], idempotent=True,
           body={"prizes": described("array", minItems=1, maxItems=RANKED_PRIZES_MAX, items=shorthand("amount")),
                 "max_pieces": described("integer", minimum=1, maximum=MAX_PIECES),
                 "submission_deadline": described("datetime", description="later than the current one")})
@idempotent
def amend(task_id):
    user = api_user()
    task = service.get_visible_bounty(user, task_id)
    policies.require_judge(user, task)
    body = json_body()
    task = service.amend(user, task, prizes=body.get("prizes"), max_pieces=body.get("max_pieces"),
                         submission_deadline=_parse_when(body.get("submission_deadline")))
    return jsonify(serialize_task(task, Viewer.of(user)))


@api_route("/submissions/<public_id>/receipt", summary="The signed receipt of an entry (its authors)",
           tags=["bounties"])
def receipt(public_id):
    user = api_user()
    sub = service.get_submission(public_id)
    if not policies.is_author(user, sub):
        raise NotFound()
    task = service.get_bounty(sub.task_id)
    response = jsonify(receipts.signed_receipt(service.load_full(sub), task))
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{sub.sha256[:12]}.json"'
    return response


@api_route("/receipts/<sha256>", summary="Verify a fingerprint receipt: when and for which task (never the "
           "content)", auth=False, tags=["bounties"])
def verify_receipt(sha256):
    sub, task = service.find_receipt(sha256)
    return jsonify(receipts.public_view(sub, task))


@api_route("/submission-files/<public_id>", summary="Download a file of an entry (permission-checked)",
           tags=["bounties"], also_returns=FILE_DOWNLOAD)
def download_file(public_id):
    user = api_user()
    file, path = service.get_visible_file(user, public_id)
    return attachment_response(file, path)


def attachment_response(file, path, *, preview: bool = False):
    """An entry's file as a download, or (`preview`, the entry page) an image or PDF shown inline."""
    try:
        return send_upload(path, mimetype=file.mime, download_name=file.name, preview=preview)
    except (OSError, ValueError):
        raise NotFound() from None


@api_route("/operator/bounty-reviews/<int:review_id>/award", methods=["POST"], operator=True,
           summary="Award a bounty in review by its criteria", body={"awards": described("array!", minItems=1, items={
               "type": "object", "required": ["submission_id", "rank"],
               "properties": {"submission_id": {"type": "string"}, "rank": {"type": "integer", "minimum": 1}}}),
                 "reason": described("string", maxLength=REASON_MAX)},
           tags=["operator", "bounties"])
def review_award(review_id):
    user = api_user()
    review = service.get_review(review_id)
    task = service.review_award(user, review, json_body().get("awards"), json_body().get("reason"))
    return jsonify(_results(task))


@api_route("/operator/bounty-reviews/<int:review_id>/refund", methods=["POST"], operator=True,
           summary="Refund a bounty in review, with a written reason", body={"reason": described("text!", maxLength=REASON_MAX)},
           tags=["operator", "bounties"])
def review_refund(review_id):
    user = api_user()
    review = service.get_review(review_id)
    service.review_refund(user, review, json_body().get("reason"))
    return jsonify(serialize_review(review))
