"""How "milestone:<id>" and "contract:<id>" references read on pages (see core/references.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core import links
from ..core.inputs import is_ascii_int
from ..core.references import Described, register
from ..extensions import db
from ..tasks.models import Task
from .models import Contract, Milestone


def _ids(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if is_ascii_int(i) and len(i) < 19]


def describe_milestones(ids: list[str]) -> dict[str, Described]:
    rows = db.session.execute(
        db.select(Milestone.id, Milestone.title, Contract.id, Task.title)
        .join(Contract, Contract.id == Milestone.contract_id).join(Task, Task.id == Contract.task_id)
        .where(Milestone.id.in_(_ids(ids)))).all()
    return {str(pk): Described(str(_l("Milestone “%(milestone)s” of “%(task)s”", milestone=title,
                                      task=task_title)), links.contract(contract_id))
            for pk, title, contract_id, task_title in rows}


def describe_contracts(ids: list[str]) -> dict[str, Described]:
    rows = db.session.execute(
        db.select(Contract.id, Task.title).join(Task, Task.id == Contract.task_id)
        .where(Contract.id.in_(_ids(ids)))).all()
    return {str(pk): Described(str(_l("Contract for “%(task)s”", task=title)), links.contract(pk))
            for pk, title in rows}


def init() -> None:
    register("milestone", describe_milestones)
    register("contract", describe_contracts)
