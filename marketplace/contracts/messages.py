"""Messages between the poster side and a solver about a task."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..core import links
from ..core.db import utcnow
from ..core.errors import NotFound, ValidationFailed
from ..extensions import db
from ..notifications.service import notify
from .loading import _user
from .models import Message
from .policies import can_message


def thread(user, task, solver_id: int) -> list[Message]:
    if not can_message(user, task, solver_id):
        raise NotFound()
    return list(db.session.scalars(
        db.select(Message).options(selectinload(Message.sender))
        .where(Message.task_id == task.id, Message.solver_id == solver_id).order_by(Message.id)))


def send_message(actor, task, solver_id: int, body: str, *, now=None) -> Message:
    now = now or utcnow()
    if not can_message(actor, task, solver_id):
        raise NotFound()
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(errors={"body": [_l("Write a message.")]})
    if len(body) > 5000:
        raise ValidationFailed(errors={"body": [_l("At most %(n)s characters.", n=5000)]})
    message = Message(task_id=task.id, solver_id=solver_id, sender_id=actor.id, body=body, created_at=now)
    db.session.add(message)
    recipient = task.poster_id if actor.id == solver_id else solver_id
    notify(_user(recipient), "message.received", sender=actor.display_name, task=task.title,
           link=links.messages(task, solver_id))
    return message
