"""Messages between the poster side and a solver about a task."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..core import links
from ..core.db import utcnow
from ..core.errors import NotFound, ValidationFailed
from ..extensions import db
from ..notifications.service import notify
from ..tasks.models import Task
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


def threads_of(user, limit: int = 50) -> list[dict]:
    """The user's message threads, latest first: {task, other (the other party), last, link}.
    A thread is (task, solver); the other party is the poster for the solver, the solver for
    the poster. A fixed number of queries."""
    mine = db.or_(Message.solver_id == user.id, Task.poster_id == user.id)
    latest = db.session.execute(
        db.select(Message.task_id, Message.solver_id, db.func.max(Message.id).label("last_id"))
        .join(Task, Task.id == Message.task_id).where(mine)
        .group_by(Message.task_id, Message.solver_id)
        .order_by(db.func.max(Message.id).desc()).limit(limit)).all()
    if not latest:
        return []
    last = {m.id: m for m in db.session.scalars(
        db.select(Message).where(Message.id.in_([row.last_id for row in latest])))}
    tasks = {t.id: t for t in db.session.scalars(
        db.select(Task).where(Task.id.in_({row.task_id for row in latest})))}
    people = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(
        {row.solver_id for row in latest} | {t.poster_id for t in tasks.values()})))}
    threads = []
    for row in latest:
        task = tasks[row.task_id]
        other = people.get(task.poster_id if row.solver_id == user.id else row.solver_id)
        threads.append({"task": task, "other": other, "last": last[row.last_id],
                        "link": f"/tasks/{task.id}/messages/{row.solver_id}"})
    return threads
