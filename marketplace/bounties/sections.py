"""The bounty section of the task page: prize table, countdowns, entry count, the viewer's own
entry, and the actions of the poster's side (see tasks.page_sections)."""
from __future__ import annotations

from ..core.db import utcnow
from ..extensions import db
from . import policies, service
from .models import LIVE_STATUSES, Submission


def task_section(_sender=None, *, task, user):
    if task.mode != "bounty" or task.status == "draft":
        return None
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    now = utcnow()
    own = None
    if authenticated:
        own = db.session.scalars(db.select(Submission).where(
            Submission.task_id == task.id, Submission.solver_id == user.id,
            Submission.status.in_(LIVE_STATUSES)).limit(1)).first()
    return "bounties/_task_section.html", {
        "authenticated": authenticated,
        "judges": authenticated and policies.judges(user, task),
        "poster_side": authenticated and policies.poster_side(user, task),
        "own": own,
        "count": service.live_count(task),
        "now": now,
        "taking_entries": task.status == "open" and task.submission_deadline is not None
        and task.submission_deadline > now,
        "selection_ends": service.selection_ends_at(task),
        "winners": service.results(task),
    }
