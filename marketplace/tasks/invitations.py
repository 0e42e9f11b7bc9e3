"""Inviting solvers to a task (邀标)."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..core.db import utcnow
from ..core.errors import Conflict, ValidationFailed, WrongState
from ..extensions import db
from ..notifications.service import notify
from . import policies
from .loading import task_link
from .models import Task, TaskInvite


def invite_solver(actor, task: Task, solver, *, now: dt.datetime | None = None) -> TaskInvite:
    """Invite a solver to a draft or open task; the solver is told now (or when it opens)."""
    policies.require_manage(actor, task)
    if task.status not in ("draft", "open"):
        raise WrongState(_l("Solvers can only be invited to a draft or an open task."))
    if solver is None or not solver.is_active:
        raise ValidationFailed(errors={"solver_id": [_l("No such user.")]})
    if solver.id == task.poster_id or policies.can_manage(solver, task):
        raise ValidationFailed(errors={"solver_id": [_l("You cannot invite the task's own poster.")]})
    exists = db.session.scalar(db.select(TaskInvite.id).where(TaskInvite.task_id == task.id,
                                                              TaskInvite.solver_id == solver.id))
    if exists is not None:
        raise Conflict(_l("This solver is already invited."))
    invite = TaskInvite(task_id=task.id, solver_id=solver.id, invited_by_id=actor.id, created_at=now or utcnow())
    db.session.add(invite)
    if task.status == "open":
        notify(solver, "task.invited", link=task_link(task), task=task.title)
    return invite


def invites_of(task: Task) -> list[TaskInvite]:
    return list(db.session.scalars(db.select(TaskInvite).where(TaskInvite.task_id == task.id)
                                   .options(selectinload(TaskInvite.solver)).order_by(TaskInvite.id)))
