"""Task pages: browse and search, post and edit, the task page with its actions."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import User
from ..api import decode_cursor, encode_cursor
from ..core.db import read_only, rollback
from ..core.errors import DomainError, ValidationFailed
from ..core.files import send_stored
from ..core.forms import apply_errors
from ..core.page_cache import visitor_cached
from ..core.templating import nav_url
from ..extensions import db
from ..organisations.service import orgs_managed_by
from ..payments import states
from ..payments.service import available_methods, start_funding
from . import page_sections, policies, service
from .forms import (
    AnswerForm,
    FundingForm,
    HideForm,
    InviteForm,
    QuestionForm,
    ReportForm,
    SearchForm,
    TaskForm,
)
from .funding import TaskFundable
from .household import HouseholdForm, show_errors
from .lifecycle import check_publishable
from .listing import listing_page, page_options
from .markdown import render_markdown
from .search import TaskFilters, search_tasks

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

PAGE_SIZE = 20


def _managed_orgs():
    return orgs_managed_by(current_user)


def _filters(form: SearchForm, mine: bool = False) -> TaskFilters:
    return TaskFilters(q=(form.q.data or "").strip() or None, mode=form.mode.data or None,
                       category=form.category.data or None, city=form.city.data or None,
                       status=form.status.data or ("all" if mine else "open"),
                       min_amount=form.min_amount.data, max_amount=form.max_amount.data,
                       sort=form.sort.data or "newest", mine=mine)


def _list(template: str, *, mine: bool):
    form = SearchForm(formdata=request.args)
    if mine and not request.args.get("status"):
        form.status.data = "all"
    tasks, next_cursor, status = [], None, 200
    if form.validate():
        try:
            cursor = decode_cursor(request.args["cursor"]) if request.args.get("cursor") else None
            tasks, next_cursor = search_tasks(current_user, _filters(form, mine), limit=PAGE_SIZE, cursor=cursor,
                                              options=page_options(True))
        except ValidationFailed as exc:
            apply_errors(form, exc)
            status = 422
    else:
        status = 422
    next_url = None
    if next_cursor:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        next_url = url_for(request.endpoint, **args, cursor=encode_cursor(next_cursor))
    return render_template(template, form=form, page=listing_page(tasks, cards=True), next_url=next_url,
                           first_url=url_for(request.endpoint, **{k: v for k, v in request.args.items()
                                                                  if k != "cursor"})
                           if request.args.get("cursor") else None), status


@bp.get("/")
@visitor_cached
@read_only
def index():
    return _list("tasks/index.html", mine=False)


@bp.get("/mine")
@login_required
def mine():
    return _list("tasks/mine.html", mine=True)


def _attach_uploads(task) -> None:
    for file in request.files.getlist("files"):
        if file and file.filename:
            service.add_attachment(current_user, task, file)


def _show_errors(form, exc: ValidationFailed) -> None:
    """Put the service's (complete) field errors on the form, replacing the parse errors."""
    for field in form:
        field.errors = []
    apply_errors(form, exc)


def _field_label(name: str) -> str:
    field = getattr(TaskForm, name, None)
    return str(field.args[0]) if field is not None and getattr(field, "args", None) else name


def _form_page(form, task):
    attachments = service.attachments_of(task) if task is not None else []
    return render_template("tasks/form.html", form=form, task=task, attachments=attachments)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = TaskForm(orgs=_managed_orgs())
    if request.method == "GET" and request.args.get("mode") in service.MODE_FIELDS:
        form.mode.data = request.args["mode"]
    if request.method == "POST":
        form.validate()
        try:
            task = service.create_task(current_user, form.mode.data, **form.checked_values())
            _attach_uploads(task)
        except ValidationFailed as exc:
            _show_errors(form, exc)
            return _form_page(form, None), 422
        db.session.flush()
        flash(_("Draft saved. Check it, then publish it."), "success")
        return redirect(url_for("tasks.show", task_id=task.id), code=303)
    return _form_page(form, None)


@bp.route("/new/household", methods=["GET", "POST"])
@login_required
def new_household():
    """Post a household job and pay for it in one step (see household.py)."""
    form = HouseholdForm(methods=available_methods(), orgs=_managed_orgs())
    if request.method == "GET":
        return render_template("tasks/household.html", form=form)
    form.validate()
    try:
        task = service.create_task(current_user, "claim", **form.task_values())
        task.publish_when_funded = True
        db.session.flush()
        check_publishable(task)
        funding = start_funding(current_user, "task", task.id, form.method.data)
    except DomainError as exc:
        if not isinstance(exc, ValidationFailed):
            exc = ValidationFailed(errors={**(exc.errors or {}), "title": [str(exc.message)]}
                                   if not exc.errors else exc.errors)
        rollback()
        show_errors(form, exc)
        return render_template("tasks/household.html", form=form), 422
    if funding.status == "succeeded":
        flash(_("Paid from the wallet: your job is open and solvers nearby can claim it."), "success")
    else:
        flash(_("Your job is saved. It opens as soon as your payment arrives."), "success")
    return redirect(url_for("tasks.show", task_id=task.id), code=303)


@bp.route("/<id:task_id>/edit", methods=["GET", "POST"])
@login_required
def edit(task_id):
    task = service.get_visible_task(current_user, task_id)
    policies.require_manage(current_user, task)
    form = TaskForm.for_task(task, orgs=_managed_orgs()) if request.method == "GET" else TaskForm(orgs=_managed_orgs())
    if request.method == "POST":
        form.mode.data = task.mode
    if request.method == "POST":
        form.validate()
        try:
            if task.status == "draft":
                values = form.checked_values(task.mode)
            else:  # an open task only changes its text
                values = {k: v for k, v in form.checked_values(task.mode, partial=True).items()
                          if k in service.OPEN_EDITABLE_FIELDS}
            service.update_task(current_user, task, **values)
            _attach_uploads(task)
        except ValidationFailed as exc:
            _show_errors(form, exc)
            return _form_page(form, task), 422
        flash(_("Saved."), "success")
        return redirect(url_for("tasks.show", task_id=task.id), code=303)
    return _form_page(form, task)


@bp.get("/<id:task_id>")
@visitor_cached
@read_only
def show(task_id):
    user = current_user if current_user.is_authenticated else None
    # With its poster's and organisation's names and badges (listing_page) and whether it has
    # attachments and questions, in the same query.
    task = service.get_visible_task(user, task_id, options=(*page_options(False), *service.task_page_options()))
    manages = policies.can_manage(user, task)
    page = listing_page([task])
    can_ask = user is not None and not manages and task.status == "open"
    is_operator = user is not None and user.is_operator
    context = {
        "task": task, "page": page, "manages": manages, "description_html": render_markdown(task.description),
        "show_address": policies.can_see_address(user, task),
        "attachments": service.attachments_of(task), "questions": service.questions_of(task),
        # Only the forms this viewer is shown: each makes a CSRF token, and a visitor would be sent
        # a session cookie for forms never shown.
        "question_form": QuestionForm() if can_ask else None,
        "answer_form": AnswerForm() if manages else None,
        "report_form": ReportForm() if user is not None and not manages else None,
        "hide_form": HideForm() if is_operator else None,
        "funding_form": _funding_form() if manages else None,
        "invite_form": InviteForm() if manages else None,
        "suggestions": service.suggested_solvers(task, 6) if manages and task.status in ("draft", "open") else [],
        "invites": service.invites_of(task) if manages else [],
        "sections": page_sections.render_all(task, user),
        "poster": page_sections.poster_of(task),
        "can_ask": can_ask,
        "is_operator": is_operator,
        "report_url": nav_url("moderation.report_task", task_id=task.id),
        "hide_url": nav_url("moderation.hide_task_page", task_id=task.id),
    }
    if manages and task.needs_escrow:
        context.update(_payment_context(task))
    return render_template("tasks/show.html", **context)


def _funding_form() -> FundingForm:
    """Only the ways of paying that work here (no card without Stripe)."""
    form = FundingForm()
    form.method.choices = [c for c in form.method.choices if c[0] in available_methods()]
    return form


def _payment_context(task) -> dict:
    """Where the task's payment stands and whose wallet pays (the organisation's, when it posts)."""
    funding = states.latest(f"task:{task.id}")
    return {"funding": funding, "funding_waiting": states.waiting(funding),
            "payer_wallet": states.payer_wallet(TaskFundable(task).payer, task.currency)}


@bp.post("/<id:task_id>/publish")
@login_required
def publish(task_id):
    task = service.get_visible_task(current_user, task_id)
    try:
        service.publish_task(current_user, task)
    except ValidationFailed as exc:
        # Something in the task must change first (a passed deadline, the negative list): say
        # what, on the edit page.
        rollback()
        details = "; ".join(f"{_field_label(name)}: {' '.join(msgs)}" for name, msgs in exc.errors.items())
        flash(f"{exc.message} {details}".strip(), "error")
        return redirect(url_for("tasks.edit", task_id=task_id), code=303)
    flash(_("The task is open."), "success")
    return redirect(url_for("tasks.show", task_id=task.id), code=303)


@bp.post("/<id:task_id>/cancel")
@login_required
def cancel(task_id):
    task = service.get_visible_task(current_user, task_id)
    service.cancel_task(current_user, task)
    flash(_("The task is cancelled."), "success")
    return redirect(url_for("tasks.show", task_id=task.id), code=303)


@bp.post("/<id:task_id>/funding")
@login_required
def fund(task_id):
    task = service.get_visible_task(current_user, task_id)
    policies.require_manage(current_user, task)
    form = FundingForm()
    try:
        funding = start_funding(current_user, "task", task.id, form.method.data)
    except ValidationFailed as exc:
        # Back to the task page with the reason (e.g. too little in the wallet that pays).
        rollback()
        flash(" ".join(str(m) for msgs in exc.errors.values() for m in msgs) or str(exc.message), "error")
        return redirect(url_for("tasks.show", task_id=task.id), code=303)
    target = nav_url("payments.funding_detail", funding_id=funding.id)
    if funding.status == "succeeded":
        flash(_("The escrow is funded. You can publish the task now."), "success")
        return redirect(url_for("tasks.show", task_id=task.id), code=303)
    return redirect(target or url_for("tasks.show", task_id=task.id), code=303)


@bp.post("/<id:task_id>/invites")
@login_required
def invite(task_id):
    task = service.get_visible_task(current_user, task_id)
    form = InviteForm()
    solver = db.session.get(User, form.solver_id.data) if form.solver_id.data else None
    service.invite_solver(current_user, task, solver)
    flash(_("Invitation sent."), "success")
    return redirect(url_for("tasks.show", task_id=task.id), code=303)


@bp.post("/<id:task_id>/questions")
@login_required
def ask(task_id):
    task = service.get_visible_task(current_user, task_id)
    form = QuestionForm()
    service.ask_question(current_user, task, form.text.data)
    flash(_("Your question is posted."), "success")
    return redirect(url_for("tasks.show", task_id=task.id, _anchor="questions"), code=303)


@bp.post("/<id:task_id>/questions/<id:question_id>/answer")
@login_required
def answer(task_id, question_id):
    task = service.get_visible_task(current_user, task_id)
    form = AnswerForm()
    service.answer_question(current_user, task, question_id, form.answer.data)
    flash(_("Answer posted."), "success")
    return redirect(url_for("tasks.show", task_id=task.id, _anchor="questions"), code=303)


@bp.post("/<id:task_id>/attachments/<public_id>/delete")
@login_required
def delete_attachment(task_id, public_id):
    task = service.get_visible_task(current_user, task_id)
    service.remove_attachment(current_user, task, public_id)
    return redirect(url_for("tasks.edit", task_id=task.id), code=303)


@bp.get("/attachments/<public_id>")
def download(public_id):
    user = current_user if current_user.is_authenticated else None
    try:
        attachment = service.get_attachment(user, public_id)
        return send_stored(attachment.path, mimetype=attachment.mime, as_attachment=True,
                           download_name=attachment.name)
    except (DomainError, OSError, ValueError):
        abort(404)
