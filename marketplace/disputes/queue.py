"""The "disputes" section of the operator queue: open disputes, oldest first, with their age
against the decision SLA (DISPUTE_SLA_HOURS): ok below 75% of it, due_soon up to 100%, overdue."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core.db import iso, utcnow
from ..core.events import QueueSection
from . import service


def sla_hours() -> int:
    return int(current_app.config.get("DISPUTE_SLA_HOURS", 72))


def age_hours(dispute, now=None) -> float:
    return ((now or utcnow()) - dispute.opened_at).total_seconds() / 3600


def sla_state(dispute, now=None) -> str:
    age, limit = age_hours(dispute, now), sla_hours()
    if age >= limit:
        return "overdue"
    if age >= 0.75 * limit:
        return "due_soon"
    return "ok"


def serialize_queue_item(dispute) -> dict:
    return {"id": dispute.id, "user_id": dispute.opened_by_id, "subject": dispute.subject,
            "subject_id": dispute.subject_id, "task_id": dispute.task_id, "poster_id": dispute.poster_id,
            "solver_id": dispute.solver_id, "amount": dispute.amount, "held": dispute.held,
            "currency": dispute.currency, "reason": dispute.reason, "opened_at": iso(dispute.opened_at),
            "age_hours": round(age_hours(dispute), 1), "sla_hours": sla_hours(), "sla": sla_state(dispute)}


def load(limit: int = 50):
    return service.open_disputes(limit)


def queue_sections(_sender=None) -> QueueSection:
    """core.events.queue_sections receiver: open disputes to decide."""
    return QueueSection("disputes", title=_l("Disputes to decide"), loader=load,
                        template="disputes/_queue_section.html", api_serializer=serialize_queue_item)
