"""Sections other domains add to the task page (bids, claims, submissions, contracts):

    from marketplace.tasks.page_sections import register
    register(lambda task, user: ("bids/_task_section.html", {"bids": ...}) if task.mode == "tender" else None)

A section function gets the task and the viewer (None when anonymous) and returns a
(template, context) pair, or None to show nothing. The template is included with the variable
`section`: the context plus `task` and `user`.
"""
from __future__ import annotations

from collections.abc import Callable

from ..extensions import db

SECTIONS: list[Callable] = []


def register(fn: Callable) -> Callable:
    if fn not in SECTIONS:
        SECTIONS.append(fn)
    return fn


def render_all(task, user) -> list[tuple[str, dict]]:
    result = []
    for fn in SECTIONS:
        section = fn(task, user)
        if section:
            template, context = section
            result.append((template, {"task": task, "user": user, **context}))
    return result


def poster_of(task):
    from ..accounts.models import User
    return db.session.get(User, task.poster_id)
