"""The bounty status changes (open → selecting → awarded | review | refunded; review → awarded |
refunded), written in one place: a conditional update that fails with 409 when another request
moved the task first. (The task state machine of the tasks domain takes these over.)"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.db import utcnow
from ..core.errors import WrongState
from ..extensions import db
from ..tasks.models import Task

ALLOWED = {
    "open": ("selecting", "awarded", "refunded"),
    "selecting": ("awarded", "review", "refunded"),
    "review": ("awarded", "refunded"),
}


def move(task: Task, to: str, *, expected: tuple[str, ...]) -> Task:
    if any(to not in ALLOWED.get(s, ()) for s in expected):
        raise ValueError(f"bounty transition {expected} -> {to} is not allowed")
    now = utcnow()
    changed = db.session.execute(
        db.update(Task).where(Task.id == task.id, Task.status.in_(expected))
        .values(status=to, updated_at=now).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise WrongState(_l("This bounty has moved on; reload the page."))
    task.status = to
    task.updated_at = now
    return task
