"""Report buttons and the operator's moderation actions on pages."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import User
from ..accounts.policies import operator_required
from ..core.errors import ValidationFailed
from ..core.forms import apply_errors
from ..core.negative_list import rule_label
from ..core.templating import nav_url
from ..extensions import db
from ..tasks import service as tasks
from . import negative_rules, service
from .forms import HideTaskForm, NegativeRuleForm, RemoveRuleForm, ReportForm, ResolveReportForm

bp = Blueprint("moderation", __name__)


def _require_operator():
    if not current_user.is_operator:
        abort(403)


@bp.post("/tasks/<id:task_id>/report")
@login_required
def report_task(task_id):
    task = tasks.get_visible_task(current_user, task_id)
    form = ReportForm()
    service.create_report(current_user, task=task, reason=form.reason.data)
    flash(_("Thank you. An operator will look at your report."), "success")
    return redirect(url_for("tasks.show", task_id=task.id), code=303)


@bp.post("/users/<id:user_id>/report")
@login_required
def report_user(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = ReportForm()
    service.create_report(current_user, user=user, reason=form.reason.data)
    flash(_("Thank you. An operator will look at your report."), "success")
    return redirect(url_for("core.home"), code=303)


@bp.post("/operator/tasks/<id:task_id>/hide")
@login_required
def hide_task_page(task_id):
    _require_operator()
    task = tasks.get_task(task_id)
    form = HideTaskForm()
    service.hide_task(current_user, task, reason=form.reason.data)
    flash(_("The task is hidden and its poster told why."), "success")
    return redirect(url_for("tasks.show", task_id=task.id), code=303)


@bp.post("/operator/tasks/<id:task_id>/unhide")
@login_required
def unhide_task_page(task_id):
    _require_operator()
    service.unhide_task(current_user, tasks.get_task(task_id))
    flash(_("The task is visible again."), "success")
    return redirect(url_for("tasks.show", task_id=task_id), code=303)


@bp.post("/operator/reports/<id:report_id>/resolve")
@login_required
def resolve_report_page(report_id):
    _require_operator()
    form = ResolveReportForm()
    service.resolve_report(current_user, service.get_report(report_id), resolution=form.resolution.data)
    flash(_("Report resolved."), "success")
    target = "operator.queue"
    return redirect(nav_url(target) or url_for("core.home"), code=303)


# --- the negative list in the operator console -------------------------------------------------

def _negative_list_page(form=None, remove_form=None, status=200):
    return render_template("moderation/negative_list.html", rules=negative_rules.overview(),
                           form=form or NegativeRuleForm(formdata=None),
                           remove_form=remove_form or RemoveRuleForm(formdata=None)), status


@bp.get("/operator/negative-list")
@operator_required
def negative_list():
    return _negative_list_page()


@bp.post("/operator/negative-list")
@operator_required
def set_negative_rule():
    form = NegativeRuleForm()
    if not form.validate_on_submit():
        return _negative_list_page(form, status=422)
    try:
        negative_rules.set_rule(current_user, name=form.name.data, label=form.label.data, words=form.words.data,
                                reason=form.reason.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _negative_list_page(form, status=422)
    flash(_("The rule is saved and applies to new posts at once."), "success")
    return redirect(url_for("moderation.negative_list"), code=303)


@bp.post("/operator/negative-list/<name>/remove")
@operator_required
def remove_negative_rule(name):
    form = RemoveRuleForm()
    if not form.validate_on_submit():
        return _negative_list_page(remove_form=form, status=422)
    try:
        negative_rules.remove_rule(current_user, name, form.reason.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _negative_list_page(remove_form=form, status=422)
    flash(_("The rule is switched off."), "success")
    return redirect(url_for("moderation.negative_list"), code=303)


@bp.get("/operator/negative-list/<name>")
@operator_required
def negative_rule_hits(name):
    before = request.args.get("before", type=int)
    rows = negative_rules.hits(name, limit=51, before_id=before)
    next_url = url_for("moderation.negative_rule_hits", name=name, before=rows[49].id) if len(rows) > 50 else None
    return render_template("moderation/negative_rule_hits.html", name=name, label=rule_label(name),
                           hits=rows[:50], next_url=next_url)
