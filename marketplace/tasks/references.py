"""How "task:<id>" references read on pages (see core/references.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core import links
from ..core.inputs import is_ascii_int
from ..core.references import Described, register
from ..extensions import db
from .models import Task


def _ids(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if is_ascii_int(i) and len(i) < 19]


def describe_tasks(ids: list[str]) -> dict[str, Described]:
    rows = db.session.execute(db.select(Task.id, Task.title).where(Task.id.in_(_ids(ids)))).all()
    return {str(pk): Described(str(_l("Task “%(title)s”", title=title)), links.task(pk))
            for pk, title in rows}


def init() -> None:
    register("task", describe_tasks)
