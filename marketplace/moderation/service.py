"""Moderation use cases: the negative-list check, user reports, operators hiding tasks."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..core import audit
from ..core.db import utcnow
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed, WrongState
from ..core.negative_list import check_task_text  # noqa: F401  (moved to core; kept importable here)
from ..extensions import db
from ..notifications.service import notify, register_kind
from ..organisations.duties import ensure_not_own_item
from ..tasks import policies
from ..tasks.models import Task
from ..tasks.service import task_link
from .models import Report

REASON_MAX = 2000

register_kind("report.resolved", _l("Your report was handled by an operator: %(resolution)s"))


# --- reports ----------------------------------------------------------------------------------

def create_report(reporter, *, reason: str, task=None, user=None, now: dt.datetime | None = None) -> Report:
    """A user reports a task or a user. One open report per reporter and subject."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_l("Say what is wrong.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_l("At most %(max)s characters.", max=REASON_MAX)]
    if (task is None) == (user is None):
        errors["subject"] = [_l("Report either a task or a user.")]
    if errors:
        raise ValidationFailed(errors=errors)
    if user is not None and user.id == reporter.id:
        raise ValidationFailed(errors={"user_id": [_l("You cannot report yourself.")]})
    if task is not None:
        policies.require_view(reporter, task)
    subject = (Report.task_id == task.id) if task is not None else (Report.user_id == user.id)
    existing = db.session.scalar(db.select(Report.id).where(
        Report.reporter_id == reporter.id, Report.status == "open", subject))
    if existing is not None:
        raise Conflict(_l("You have already reported this; an operator will look at it."))
    report = Report(reporter_id=reporter.id, reason=reason, status="open", created_at=now or utcnow(),
                    subject_type="task" if task is not None else "user",
                    task_id=task.id if task is not None else None,
                    user_id=user.id if user is not None else None)
    db.session.add(report)
    return report


def open_reports(limit: int = 100) -> list[Report]:
    return list(db.session.scalars(
        db.select(Report).where(Report.status == "open").order_by(Report.id)
        .options(selectinload(Report.reporter), selectinload(Report.task), selectinload(Report.user))
        .limit(limit)))


def get_report(report_id) -> Report:
    report = db.session.get(Report, report_id)
    if report is None:
        raise NotFound()
    return report


def resolve_report(operator, report: Report, *, resolution: str, now: dt.datetime | None = None) -> Report:
    if not getattr(operator, "is_operator", False):
        raise Forbidden()
    if report.status != "open":
        raise WrongState(_l("This report is already resolved."))
    task = db.session.get(Task, report.task_id) if report.task_id else None
    ensure_not_own_item(operator, user_ids=[report.user_id, report.reporter_id, task and task.poster_id],
                        org_ids=[task and task.org_id])
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed(errors={"resolution": [_l("Say what was done.")]})
    report.status = "resolved"
    report.resolved_at = now or utcnow()
    report.resolved_by_id = operator.id
    report.resolution = resolution[:REASON_MAX]
    audit.record("report.resolve", actor=operator, target=report, resolution=report.resolution)
    notify(db.session.get(User, report.reporter_id), "report.resolved", resolution=report.resolution)
    return report


# --- hiding tasks ------------------------------------------------------------------------------

def hide_task(operator, task, *, reason: str, now: dt.datetime | None = None):
    """An operator hides a task from everyone but its poster's side and operators; the open
    reports on it are resolved, the action audited and the poster told why."""
    if not getattr(operator, "is_operator", False):
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(errors={"reason": [_l("Give the reason the poster will read.")]})
    if len(reason) > REASON_MAX:
        raise ValidationFailed(errors={"reason": [_l("At most %(max)s characters.", max=REASON_MAX)]})
    if task.hidden_at is not None:
        raise WrongState(_l("This task is already hidden."))
    now = now or utcnow()
    task.hidden_at = now
    task.hidden_reason = reason
    db.session.execute(db.update(Report).where(Report.task_id == task.id, Report.status == "open")
                       .values(status="resolved", resolved_at=now, resolved_by_id=operator.id,
                               resolution="task hidden"))
    audit.record("task.hide", actor=operator, target=task, reason=reason)
    notify(db.session.get(User, task.poster_id), "task.hidden", link=task_link(task), task=task.title,
           reason=reason)
    return task


def unhide_task(operator, task):
    if not getattr(operator, "is_operator", False):
        raise Forbidden()
    if task.hidden_at is None:
        raise WrongState(_l("This task is not hidden."))
    task.hidden_at = None
    task.hidden_reason = None
    audit.record("task.unhide", actor=operator, target=task)
    return task
