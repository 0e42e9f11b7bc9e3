"""Translated names of dispute statuses (registered with core.statuses) and subjects."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.references import Described
from ..core.statuses import register, status_name
from ..extensions import db
from ..tasks.models import Task
from .models import Dispute

STATUS_LABELS = {"open": _l("Dispute open"), "settled": _l("Settled by the parties"),
                 "decided": _l("Decided by an operator"), "withdrawn": _l("Dispute withdrawn")}
SUBJECT_LABELS = {"milestone": _l("Milestone"), "claim": _l("Claim"), "bounty": _l("Bounty outcome")}

register("disputes", STATUS_LABELS)


def status_label(status: str) -> str:
    return status_name("disputes", status)


def subject_label(subject: str) -> str:
    label = SUBJECT_LABELS.get(subject)
    return str(label) if label is not None else subject


def describe_disputes(ids: list[str]) -> dict:
    """"dispute:<id>" in words and a link, for ledger lines and queue items (one query)."""
    numbers = [int(i) for i in ids if i.isascii() and i.isdigit()]
    if not numbers:
        return {}
    rows = db.session.execute(db.select(Dispute.id, Task.title).join(Task, Task.id == Dispute.task_id)
                              .where(Dispute.id.in_(numbers))).all()
    return {str(d_id): Described(str(_l("Dispute #%(id)s about “%(task)s”", id=d_id, task=title)),
                                 f"/disputes/{d_id}") for d_id, title in rows}
