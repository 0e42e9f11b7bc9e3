"""Operator console pages: the work queue, the audit log, user administration."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.policies import operator_required
from ..core.errors import ValidationFailed
from ..core.forms import apply_errors
from ..core.inputs import arg_id
from . import queue as work_queue
from . import service
from .forms import AuditFilterForm, SuspendForm, UserSearchForm

bp = Blueprint("operator", __name__, url_prefix="/operator")

QUEUE_LIMIT = 50


@bp.get("/")
@operator_required
def queue():
    return render_template("operator/queue.html", sections=work_queue.load(QUEUE_LIMIT))


@bp.get("/audit")
@operator_required
def audit():
    form = AuditFilterForm(request.args)
    entries, next_before = [], None
    status = 200
    if form.validate():
        entries, next_before = service.audit_entries(
            action=form.action.data or None, actor_email=form.actor.data or None,
            date_from=form.date_from.data, date_to=form.date_to.data,
            before_id=arg_id("before"))
    else:
        status = 422
    next_url = None
    if next_before:
        args = {k: v for k, v in request.args.items() if k != "before"}
        next_url = url_for("operator.audit", before=next_before, **args)
    return render_template("operator/audit.html", form=form, entries=entries, next_url=next_url), status


@bp.get("/users")
@operator_required
def users():
    form = UserSearchForm(request.args)
    form.validate()
    rows, next_before = service.search_users(form.q.data or None, before_id=arg_id("before"))
    next_url = url_for("operator.users", q=form.q.data or None, before=next_before) if next_before else None
    return render_template("operator/users.html", form=form, users=rows, next_url=next_url)


def _user_page(user, form=None, status=200):
    return render_template("operator/user.html", user=user, form=form or SuspendForm(formdata=None),
                           entries=service.audit_about(user)), status


@bp.get("/users/<id:user_id>")
@operator_required
def user(user_id):
    return _user_page(service.get_user(user_id))


def _suspension_action(user_id, action, done_message):
    user = service.get_user(user_id)
    form = SuspendForm()
    if form.validate_on_submit():
        try:
            action(current_user, user, form.reason.data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(done_message, "success")
            return redirect(url_for("operator.user", user_id=user.id), code=303)
    return _user_page(user, form, 422)


@bp.post("/users/<id:user_id>/suspend")
@operator_required
def suspend(user_id):
    return _suspension_action(user_id, service.suspend_user, _("The account was suspended."))


@bp.post("/users/<id:user_id>/unsuspend")
@operator_required
def unsuspend(user_id):
    return _suspension_action(user_id, service.unsuspend_user, _("The account was reinstated."))
