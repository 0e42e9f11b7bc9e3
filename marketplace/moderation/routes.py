"""Report buttons and the operator's moderation actions on pages."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import User
from ..core.templating import nav_url
from ..extensions import db
from ..tasks import service as tasks
from . import service
from .forms import HideTaskForm, ReportForm, ResolveReportForm

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
