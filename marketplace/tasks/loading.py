"""Loading a task (optionally locked), a task the user may see, and the link to a task."""
from __future__ import annotations

from sqlalchemy.orm import joinedload

from ..core import links
from ..core.errors import NotFound
from ..extensions import db
from . import (
    notices,  # noqa: F401  (registers the notification kinds the tasks domain sends)
    policies,
)
from .models import Task


def get_task(task_id, *, lock: bool = False) -> Task:
    try:
        pk = int(task_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if lock:
        # FOR UPDATE, and refresh what the session already holds: after waiting for the lock the
        # row may have changed (claimed, cancelled, funded by another request).
        task = db.session.execute(db.select(Task).where(Task.id == pk).with_for_update()
                                  .execution_options(populate_existing=True)).scalar_one_or_none()
    else:
        # The poster comes in the same query: the task page, notices and cards all name them.
        task = db.session.get(Task, pk, options=[joinedload(Task.poster)])
    if task is None:
        raise NotFound()
    return task


def get_visible_task(user, task_id) -> Task:
    task = get_task(task_id)
    policies.require_view(user, task)
    return task


def task_link(task: Task) -> str:
    return links.task(task)


def escrow_ref(task: Task) -> str:
    """The ledger escrow of a claim or bounty task's own funding."""
    return f"task:{task.id}"
