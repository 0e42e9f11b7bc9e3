"""Sections other domains add to the task page (bids, claims, submissions, contracts), as
receivers of `tasks.events.task_page_sections`:

    connect(task_events.task_page_sections, bids_section)   # bids_section(sender, *, task, user)

A section receiver gets the task and the viewer (None when anonymous) and returns a
(template, context) pair, or None to show nothing. The template is included with the variable
`section`: the context plus `task` and `user`.
"""
from __future__ import annotations

from ..accounts.models import User
from ..core.events import collect
from ..extensions import db
from . import events


def render_all(task, user) -> list[tuple[str, dict]]:
    return [(template, {"task": task, "user": user, **context})
            for template, context in collect(events.task_page_sections, task=task, user=user)]


def poster_of(task):
    return db.session.get(User, task.poster_id)
