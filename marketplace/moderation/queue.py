"""The "reports" section of the operator queue."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.db import iso
from ..core.events import QueueSection
from ..extensions import db
from ..tasks.models import Task
from . import service


def serialize_report(report) -> dict:
    """A report in the queue: its own id and the subject's user_id (the reported user, or the
    poster of the reported task)."""
    if report.subject_type == "user":
        user_id = report.user_id
    else:  # the queue loader has the task in the identity map already
        user_id = db.session.get(Task, report.task_id).poster_id
    return {"id": report.id, "user_id": user_id, "subject": report.subject_type, "task_id": report.task_id,
            "reporter_id": report.reporter_id, "reason": report.reason, "status": report.status,
            "created_at": iso(report.created_at)}


def queue_sections(_sender=None) -> QueueSection:
    """core.events.queue_sections receiver: the reports section."""
    return QueueSection("reports", title=_l("Reports from users"), loader=service.open_reports,
                        template="moderation/_queue_section.html", api_serializer=serialize_report)
