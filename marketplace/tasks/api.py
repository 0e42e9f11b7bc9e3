"""/api/v1/tasks: the same services as the task pages."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from wtforms.fields.core import UnboundField

from ..accounts.models import User
from ..api import api_route, api_user, encode_cursor, json_body, json_form, listing, page_params
from ..api.idempotency import idempotent
from ..api.schema import FormBody, VariantBody, described, shorthand
from ..core import links
from ..core.catalogue import CATEGORIES, CITIES
from ..core.db import read_only
from ..core.errors import ValidationFailed
from ..core.inputs import parse_id, parse_int
from ..core.money import MAX_AMOUNT, SUPPORTED_CURRENCIES
from ..core.page_cache import visitor_cached
from ..extensions import db
from ..payments.api import method_field
from ..payments.api import serialize_funding as payments_serializer
from ..payments.service import start_funding
from . import policies, service, validation
from .forms import DeferredTaskForm, SearchForm
from .listing import listing_page, page_options
from .models import ELIGIBILITIES, IP_TERMS, MODES, PRIZE_STRUCTURES, VISIBILITIES
from .questions import QUESTION_MAX
from .search import TaskFilters, search_tasks
from .serializers import (
    Viewer,
    serialize_attachment,
    serialize_invite,
    serialize_question,
    serialize_suggestion,
    serialize_task,
)


def _tag_list(max_items: int, max_length: int) -> dict:
    return described("array", maxItems=max_items, items={
        "type": "string", "maxLength": max_length, "pattern": r"^[^,，、;；]*$"})


_COMMON = {
    "title": described("text", maxLength=validation.TITLE_MAX),
    "description": described("string", maxLength=validation.DESCRIPTION_MAX),
    "category": described("string", enum=list(CATEGORIES)),
    "skills": _tag_list(validation.SKILLS_MAX_COUNT, validation.SKILL_MAX),
    "city": described("string", enum=list(CITIES)),
    "visibility": described("string", enum=list(VISIBILITIES)),
    "ip_terms": described("string", enum=list(IP_TERMS)),
    "org_id": "id",
    "currency": described("string", enum=list(SUPPORTED_CURRENCIES)),
}
_TENDER = {"budget_min": described("amount"), "budget_max": described("amount"),
           "bid_deadline": described("datetime", description="in the future")}
_CLAIM = {"price": described("amount"), "address": described("text", maxLength=validation.ADDRESS_MAX),
          "district": described("string", enum=list(CITIES), description="in the task's city"),
          "window_start": described("datetime", description="in the future"),
          "window_end": described("datetime", description="after window_start")}
_BOUNTY = {"prize_structure": described("string", enum=list(PRIZE_STRUCTURES)),
           "prizes": described("array", items=shorthand("amount"), minItems=1,
                               maxItems=validation.RANKED_PRIZES_MAX,
                               description="1st, 2nd, …: a lower rank never wins more"),
           "unit_price": described("amount"),
           "max_pieces": described("integer", minimum=1, maximum=validation.MAX_PIECES),
           "submission_deadline": described("datetime", description="in the future"),
           "selection_days": described("integer", minimum=1, maximum=validation.SELECTION_DAYS_MAX),
           "eligibility": described("string", enum=list(ELIGIBILITIES)),
           "criteria": described("string", maxLength=validation.CRITERIA_MAX),
           "reward": described("amount", description="optional: the sum of the prizes, or unit price × pieces")}
# Every field a task may have (PATCH: those sent change; the mode's rules say which count).
TASK_BODY = {"mode": described("string", enum=list(MODES)), **_COMMON, **_TENDER, **_CLAIM, **_BOUNTY}


def _required(fields: dict, *names) -> dict:
    return {name: ({**kind, "required": True} if name in names else kind) for name, kind in fields.items()}


def _variant(mode: str, fields: dict, *required, **fixed) -> dict:
    body = {"mode": described("string!", enum=[mode]), **_required(_COMMON, "title", "category", *required),
            **_required(fields, *required)}
    for name, values in fixed.items():
        body[name] = {**body[name], "enum": values, "required": True}
    return body


# A new task: one shape per mode (and per prize structure of a bounty), each with what it requires.
NEW_TASK_BODY = VariantBody({
    "tender": _variant("tender", _TENDER, "budget_max", "bid_deadline"),
    "claim": _variant("claim", _CLAIM, "city", "price", "address", "window_start", "window_end"),
    "bounty (single winner)": _variant(
        "bounty", {**_BOUNTY, "prizes": {**_BOUNTY["prizes"], "maxItems": 1}},
        "prizes", "submission_deadline", prize_structure=["single"]),
    "bounty (ranked)": _variant("bounty", _BOUNTY, "prizes", "submission_deadline", prize_structure=["ranked"]),
    "bounty (per piece)": _variant("bounty", {k: v for k, v in _BOUNTY.items() if k != "prizes"},
                                   "unit_price", "max_pieces", "submission_deadline",
                                   prize_structure=["piece"]),
})
# The search filters, described by the form that checks them.
SEARCH_QUERY = FormBody(SearchForm, form_kwargs={"api": True}, extra={
    "min_amount": {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT},
    "max_amount": {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT},
    "limit": "limit", "cursor": "cursor", "mine": {"type": "string", "enum": ["1", "true", "0", "false"]}})


def _one(task, user):
    return jsonify(serialize_task(task, Viewer.of(user)))


def filters_from(form: SearchForm, *, mine: bool = False) -> TaskFilters:
    return TaskFilters(q=(form.q.data or "").strip() or None, mode=form.mode.data or None,
                       category=form.category.data or None, city=form.city.data or None,
                       status=form.status.data or "open", min_amount=form.min_amount.data,
                       max_amount=form.max_amount.data, sort=form.sort.data or "newest", mine=mine)


def _search_form() -> SearchForm:
    form = SearchForm(formdata=request.args, api=True, meta={"csrf": False})
    if not form.validate():
        raise ValidationFailed(errors={k: [str(m) for m in v] for k, v in form.errors.items()})
    return form


_FILTER_ARGS = frozenset(name for name in dir(SearchForm) if isinstance(getattr(SearchForm, name), UnboundField))


def _search_filters(*, mine: bool) -> TaskFilters:
    """The filters of the query string. Without any (the commonest call) they are the defaults, and
    the form is not built and validated for nothing."""
    if _FILTER_ARGS.isdisjoint(request.args):
        return TaskFilters(mine=mine)
    return filters_from(_search_form(), mine=mine)


@api_route("/tasks", summary="Search tasks (keywords work for Chinese)", auth=False, query=SEARCH_QUERY,
           tags=["tasks"], description="status defaults to open; status=all lists every task you may see; "
                                       "mine=1 lists the tasks you post (drafts included). "
                                       "Amounts are minor units.")
@visitor_cached
@read_only
def list_tasks():
    user = api_user(required=False)
    limit, cursor = page_params()
    tasks, next_cursor = search_tasks(user, _search_filters(mine=request.args.get("mine") in ("1", "true")),
                                      limit=limit, cursor=cursor, options=page_options(False))
    page, viewer, link = listing_page(tasks), Viewer.of(user), links.task_link_maker()
    return listing([serialize_task(t, viewer, page, link=link) for t in tasks],
                   encode_cursor(next_cursor) if next_cursor else None)


@api_route("/tasks", methods=["POST"], summary="Create a draft task", body=NEW_TASK_BODY, tags=["tasks"],
           status=201)
def create_task():
    user = api_user()
    form = json_form(DeferredTaskForm, api=True)
    values = form.checked_values()
    task = service.create_task(user, form.mode.data, **values)
    db.session.flush()
    response = _one(task, user)
    response.status_code = 201
    return response


@api_route("/tasks/<id:task_id>", summary="A task", auth=False, tags=["tasks"])
@read_only
def get_task(task_id):
    user = api_user(required=False)
    task = service.get_visible_task(user, task_id, options=(*page_options(False), *service.task_page_options()))
    data = serialize_task(task, Viewer.of(user), listing_page([task]))
    data["attachments"] = [serialize_attachment(a) for a in service.attachments_of(task)]
    data["questions"] = [serialize_question(q) for q in service.questions_of(task)]
    return jsonify(data)


@api_route("/tasks/<id:task_id>", methods=["PATCH"], summary="Edit a task (a draft: any field; open: "
           "title, description, skills)", body=TASK_BODY, tags=["tasks"])
def edit_task(task_id):
    user = api_user()
    task = service.get_visible_task(user, task_id)
    policies.require_manage(user, task)
    body = json_body()
    if "mode" in body and body["mode"] != task.mode:
        raise ValidationFailed(errors={"mode": [_l("The mode of a task cannot change.")]})
    form = json_form(DeferredTaskForm, data=body, api=True)
    service.update_task(user, task, **form.checked_values(task.mode, partial=True))
    return _one(task, user)


@api_route("/tasks/<id:task_id>/publish", methods=["POST"], summary="Publish a draft (claim and bounty: "
           "409 until the escrow is funded)", tags=["tasks"])
def publish_task(task_id):
    user = api_user()
    task = service.get_visible_task(user, task_id)
    task = service.publish_task(user, task)
    return _one(task, user)


@api_route("/tasks/<id:task_id>/cancel", methods=["POST"], summary="Cancel a draft or an open task "
           "(a funded escrow is refunded)", tags=["tasks"])
def cancel_task(task_id):
    user = api_user()
    task = service.get_visible_task(user, task_id)
    task = service.cancel_task(user, task)
    return _one(task, user)


@api_route("/tasks/<id:task_id>/funding", methods=["POST"], summary="Fund a claim's or bounty's escrow",
           body={"method": method_field}, tags=["tasks", "payments"],
           idempotent=True)
@idempotent
def fund_task(task_id):
    user = api_user()
    task = service.get_visible_task(user, task_id)
    policies.require_manage(user, task)
    method = json_body().get("method")
    funding = start_funding(user, "task", task.id, method)
    return jsonify(serialize_funding(funding))


def serialize_funding(funding) -> dict:
    return payments_serializer(funding)


@api_route("/tasks/<id:task_id>/recommended-solvers", summary="Solvers worth inviting (poster only)",
           query={"limit": {"type": "integer", "minimum": 1, "maximum": 50}}, tags=["tasks"])
def task_recommended_solvers(task_id):
    user = api_user()
    task = service.get_visible_task(user, task_id)
    policies.require_manage(user, task)
    limit = parse_int(request.args.get("limit", "8"), "limit", minimum=1, maximum=50,
                      message=_l("limit must be between 1 and 50."))
    return jsonify({"items": [serialize_suggestion(s) for s in service.suggested_solvers(task, limit)]})


@api_route("/tasks/<id:task_id>/invites", methods=["POST"], summary="Invite a solver (邀标)",
           body={"solver_id": "id!"}, tags=["tasks"], status=201)
def invite_to_task(task_id):
    user = api_user()
    task = service.get_visible_task(user, task_id)
    policies.require_manage(user, task)
    solver_id = parse_id(json_body().get("solver_id"), "solver_id",
                         message=_l("Give the id of the solver to invite."))
    solver = db.session.get(User, solver_id)
    invite = service.invite_solver(user, task, solver)
    db.session.flush()
    response = jsonify(serialize_invite(invite))
    response.status_code = 201
    return response


@api_route("/tasks/<id:task_id>/invites", summary="Invited solvers (poster only)", tags=["tasks"])
def list_task_invites(task_id):
    user = api_user()
    task = service.get_visible_task(user, task_id)
    policies.require_manage(user, task)
    return jsonify({"items": [serialize_invite(i) for i in service.invites_of(task)]})


@api_route("/tasks/<id:task_id>/questions", summary="Public questions and answers", auth=False, tags=["tasks"])
def list_task_questions(task_id):
    task = service.get_visible_task(api_user(required=False), task_id)
    return jsonify({"items": [serialize_question(q) for q in service.questions_of(task)]})


@api_route("/tasks/<id:task_id>/questions", methods=["POST"], summary="Ask a public question",
           body={"text": described("text!", maxLength=QUESTION_MAX)}, tags=["tasks"],
           status=201)
def ask_task_question(task_id):
    user = api_user()
    task = service.get_visible_task(user, task_id)
    question = service.ask_question(user, task, json_body().get("text"))
    db.session.flush()
    response = jsonify(serialize_question(question))
    response.status_code = 201
    return response


@api_route("/tasks/<id:task_id>/questions/<id:question_id>/answer", methods=["POST"],
           summary="Answer a question (poster)", body={"answer": described("text!", maxLength=QUESTION_MAX)},
           tags=["tasks"])
def answer_task_question(task_id, question_id):
    user = api_user()
    task = service.get_visible_task(user, task_id)
    question = service.answer_question(user, task, question_id, json_body().get("answer"))
    return jsonify(serialize_question(question))


@api_route("/tasks/<id:task_id>/attachments", methods=["POST"], summary="Attach files (multipart `files`)",
           body={"files": "file!"}, multipart=True, tags=["tasks"], status=201)
def attach_task_files(task_id):
    user = api_user()
    task = service.get_visible_task(user, task_id)
    files = request.files.getlist("files")
    if not files:
        raise ValidationFailed(errors={"files": [_l("Choose a file.")]})
    added = [service.add_attachment(user, task, f) for f in files]
    db.session.flush()
    response = jsonify({"items": [serialize_attachment(a) for a in added]})
    response.status_code = 201
    return response


@api_route("/tasks/recommended", summary="Open tasks that fit my skills and city", query={"limit": {"type": "integer", "minimum": 1, "maximum": 50}}, tags=["tasks"])
def recommended_tasks():
    user = api_user()
    limit = parse_int(request.args.get("limit", "6"), "limit", minimum=1, maximum=50,
                      message=_l("limit must be between 1 and 50."))
    tasks = service.recommended_for(user, limit)
    page, viewer = listing_page(tasks), Viewer.of(user)
    return jsonify({"items": [serialize_task(t, viewer, page) for t in tasks]})
