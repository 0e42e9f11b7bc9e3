"""Public questions about a task and the poster's answers."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..core.db import utcnow
from ..core.errors import Forbidden, NotFound, ValidationFailed, WrongState
from ..core.inputs import parse_id
from ..extensions import db
from ..notifications.service import notify
from . import policies
from .loading import task_link
from .models import Task, TaskQuestion

QUESTION_MAX = 2000


def _text(field: str, value, *, maximum: int = QUESTION_MAX) -> str:
    value = (value or "").strip() if isinstance(value, (str, type(None))) else ""
    if not value:
        raise ValidationFailed(errors={field: [_l("Enter some text.")]})
    if len(value) > maximum:
        raise ValidationFailed(errors={field: [_l("At most %(max)s characters.", max=maximum)]})
    return value


def ask_question(asker, task: Task, text: str, *, now: dt.datetime | None = None) -> TaskQuestion:
    """A solver asks a public question on an open task; the poster is told."""
    policies.require_view(asker, task)
    if policies.can_manage(asker, task):
        raise Forbidden(_l("Posters answer questions; they do not ask them on their own task."))
    if task.status != "open":
        raise WrongState(_l("Questions can only be asked while the task is open."))
    question = TaskQuestion(task_id=task.id, asker_id=asker.id, text=_text("text", text), created_at=now or utcnow())
    db.session.add(question)
    notify(db.session.get(User, task.poster_id), "task.question", link=task_link(task), task=task.title)
    return question


def answer_question(actor, task: Task, question_id, answer: str, *, now: dt.datetime | None = None) -> TaskQuestion:
    policies.require_manage(actor, task)
    try:
        question = db.session.get(TaskQuestion, parse_id(question_id, "question_id"))
    except ValidationFailed:
        question = None
    if question is None or question.task_id != task.id:
        raise NotFound()
    question.answer = _text("answer", answer)
    question.answered_at = now or utcnow()
    notify(db.session.get(User, question.asker_id), "task.answered", link=task_link(task), task=task.title)
    return question


def questions_of(task: Task) -> list[TaskQuestion]:
    if task.has_questions is not None and not task.has_questions:
        return []  # read with the task (loading.task_page_options): none
    return list(db.session.scalars(db.select(TaskQuestion).where(TaskQuestion.task_id == task.id)
                                   .options(selectinload(TaskQuestion.asker)).order_by(TaskQuestion.id)))
