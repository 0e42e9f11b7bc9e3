"""Judging entries: eligible, rejected, notes, the shortlist."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from ..core.db import utcnow
from ..core.errors import ValidationFailed, WrongState
from ..tasks.models import Task
from . import policies
from .loading import NOTE_MAX, REASON_MAX, get_bounty, get_submission
from .models import CONTENDING_STATUSES, Submission
from .notices import _notify_authors


def _judgeable(actor, sub: Submission) -> Task:
    task = get_bounty(sub.task_id)
    policies.require_see(actor, sub, task)
    policies.require_judge(actor, task)
    if task.status not in ("open", "selecting"):
        raise WrongState(_l("Entries can be judged only while the bounty is open or being judged."))
    return task


def _reason(value, field: str = "reason", maximum: int = REASON_MAX) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        raise ValidationFailed(errors={field: [_l("Give a reason.")]})
    if len(value) > maximum:
        raise ValidationFailed(errors={field: [_l("At most %(max)s characters.", max=maximum)]})
    return value


def mark_eligible(actor, sub: Submission, *, now: dt.datetime | None = None) -> Submission:
    task = _judgeable(actor, sub)
    sub = get_submission(sub.public_id, lock=True)
    if sub.status not in ("submitted", "eligible"):
        raise WrongState(_l("Only an entry under consideration can be marked eligible."))
    sub.status = "eligible"
    sub.reason = None
    sub.decided_at = now or utcnow()
    _notify_authors(sub, "bounty.eligible", task)
    return sub


def reject(actor, sub: Submission, reason, *, now: dt.datetime | None = None) -> Submission:
    """Mark an entry ineligible (piece bounties: rejected) with a reason its authors read."""
    reason = _reason(reason)
    task = _judgeable(actor, sub)
    sub = get_submission(sub.public_id, lock=True)
    if sub.status not in CONTENDING_STATUSES:
        raise WrongState(_l("Only an entry under consideration can be rejected."))
    sub.status = "rejected" if task.prize_structure == "piece" else "ineligible"
    sub.reason = reason
    sub.shortlisted = False
    sub.decided_at = now or utcnow()
    _notify_authors(sub, "bounty.ineligible", task, reason=reason)
    return sub


def set_note(actor, sub: Submission, note) -> Submission:
    task = get_bounty(sub.task_id)
    policies.require_see(actor, sub, task)
    policies.require_judge(actor, task)
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > NOTE_MAX:
        raise ValidationFailed(errors={"note": [_l("At most %(max)s characters.", max=NOTE_MAX)]})
    sub.note = note or None
    return sub


def set_shortlisted(actor, sub: Submission, on: bool) -> Submission:
    _judgeable(actor, sub)
    if on and sub.status not in CONTENDING_STATUSES:
        raise WrongState(_l("Only an entry under consideration can be shortlisted."))
    sub.shortlisted = bool(on)
    return sub
