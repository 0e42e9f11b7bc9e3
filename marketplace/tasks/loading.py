"""Loading a task (optionally locked), a task the user may see, and the link to a task."""
from __future__ import annotations

from functools import cache

from sqlalchemy.orm import joinedload, with_expression

from ..core import links
from ..core.errors import NotFound
from ..extensions import db
from . import (
    notices,  # noqa: F401  (registers the notification kinds the tasks domain sends)
    policies,
)
from .models import Task, TaskAttachment, TaskQuestion


def get_task(task_id, *, lock: bool = False, options=()) -> Task:
    """The task; `options` are more loader options (e.g. listing.page_options) for an unlocked read."""
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
        task = db.session.get(Task, pk, options=[joinedload(Task.poster), *options])
    if task is None:
        raise NotFound()
    return task


@cache
def task_page_options() -> tuple:
    """Loader options for get_task: whether the task has attachments and questions, in its own query."""
    return (with_expression(Task.has_attachments,
                            db.select(TaskAttachment.id).where(TaskAttachment.task_id == Task.id).exists()),
            with_expression(Task.has_questions,
                            db.select(TaskQuestion.id).where(TaskQuestion.task_id == Task.id).exists()))


def get_visible_task(user, task_id, *, options=()) -> Task:
    task = get_task(task_id, options=options)
    policies.require_view(user, task)
    return task


def task_link(task: Task) -> str:
    return links.task(task)


def escrow_ref(task: Task) -> str:
    """The ledger escrow of a claim or bounty task's own funding."""
    return f"task:{task.id}"
