"""Files attached to a task's description."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core.errors import NotFound, ValidationFailed, WrongState
from ..core.files import ATTACHMENT_KINDS, store_upload
from ..extensions import db
from . import policies
from .loading import get_task
from .models import Task, TaskAttachment
from .validation import ATTACHMENTS_MAX


def add_attachment(actor, task: Task, file) -> TaskAttachment:
    policies.require_manage(actor, task)
    if task.status not in ("draft", "open"):
        raise WrongState(_l("Attachments can only be added to a draft or an open task."))
    count = db.session.scalar(db.select(db.func.count(TaskAttachment.id)).where(TaskAttachment.task_id == task.id))
    if count >= ATTACHMENTS_MAX:
        raise ValidationFailed(errors={"files": [_l("At most %(max)s attachments.", max=ATTACHMENTS_MAX)]})
    stored = store_upload(file, field="files", kinds=ATTACHMENT_KINDS,
                          max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"], subdir="tasks")
    attachment = TaskAttachment(task_id=task.id, path=stored.path, name=stored.name, size=stored.size,
                                sha256=stored.sha256, mime=stored.mime)
    db.session.add(attachment)
    return attachment


def remove_attachment(actor, task: Task, public_id: str) -> None:
    policies.require_manage(actor, task)
    if task.status not in ("draft", "open"):
        raise WrongState(_l("Attachments can only be changed on a draft or an open task."))
    attachment = db.session.scalar(db.select(TaskAttachment).where(
        TaskAttachment.task_id == task.id, TaskAttachment.public_id == public_id))
    if attachment is None:
        raise NotFound()
    db.session.delete(attachment)


def attachments_of(task: Task) -> list[TaskAttachment]:
    if task.has_attachments is not None and not task.has_attachments:
        return []  # read with the task (loading.task_page_options): none
    return list(db.session.scalars(db.select(TaskAttachment).where(TaskAttachment.task_id == task.id)
                                   .order_by(TaskAttachment.id)))


def get_attachment(user, public_id: str) -> TaskAttachment:
    attachment = db.session.scalar(db.select(TaskAttachment).where(TaskAttachment.public_id == public_id))
    if attachment is None:
        raise NotFound()
    policies.require_view(user, get_task(attachment.task_id))
    return attachment
