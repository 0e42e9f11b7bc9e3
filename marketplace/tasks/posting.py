"""Creating and editing tasks (drafts, and the few fields an open task may still change)."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from ..accounts.policies import ensure_not_blocklisted
from ..core.db import utcnow
from ..core.errors import ValidationFailed, WrongState
from ..core.negative_list import check_task_text
from ..extensions import db
from ..payments.service import has_pending_funding
from . import policies
from .loading import escrow_ref
from .models import Task
from .terms import index_terms
from .validation import (
    ALL_FIELDS,
    MONEY_FIELDS,
    OPEN_EDITABLE_FIELDS,
    _check_org,
    _deadline_errors,
    validate_fields,
)


def reindex(task: Task) -> None:
    """Rebuild the task's search terms (title, description, skills); the term index (GIN on
    PostgreSQL, FTS5 on SQLite) follows the column."""
    task.search_terms = sorted(index_terms(task.title, task.description, " ".join(task.skills or [])))
    db.session.flush()


# --- use cases ---------------------------------------------------------------------------------

def create_task(actor, mode: str, *, now: dt.datetime | None = None, **values) -> Task:
    """Create a draft. Raises ValidationFailed naming every bad field (nothing is written)."""
    reward = values.pop("reward", None)  # a bounty's stated total, checked against its prizes
    unknown = set(values) - set(ALL_FIELDS)
    if unknown:
        raise TypeError(f"unknown task fields: {sorted(unknown)}")
    ensure_not_blocklisted(actor)
    now = now or utcnow()
    clean = validate_fields(mode, {**values, "reward": reward}, now=now)
    _check_org(actor, clean["org_id"])
    task = Task(mode=mode, status="draft", poster_id=actor.id, created_at=now, updated_at=now, **clean)
    db.session.add(task)
    reindex(task)
    return task


def _current_values(task: Task) -> dict:
    return {f: getattr(task, f) for f in ALL_FIELDS}


def update_task(actor, task: Task, *, now: dt.datetime | None = None, **values) -> Task:
    """Edit a task. A draft may change anything (money fields only until it is funded); an open
    task only its title, description and skills, checked against the negative list again."""
    reward = values.pop("reward", None)
    unknown = set(values) - set(ALL_FIELDS)
    if unknown:
        raise TypeError(f"unknown task fields: {sorted(unknown)}")
    policies.require_manage(actor, task)
    now = now or utcnow()
    changed = {k: v for k, v in values.items() if _differs(getattr(task, k), v)}
    if task.status == "open":
        frozen = [k for k in changed if k not in OPEN_EDITABLE_FIELDS]
        if frozen:
            raise ValidationFailed(_l("Only the title, description and skills can change once a task is open."),
                                   errors={k: [_l("This cannot change once the task is open.")] for k in frozen})
    elif task.status != "draft":
        raise WrongState(_l("This task can no longer be edited."))
    frozen = [k for k in changed if k in MONEY_FIELDS]
    if frozen and (task.escrow_funded or _payment_under_way(task)):
        raise ValidationFailed(errors={k: [_l("This cannot change once the escrow is funded or a payment "
                                              "for it is under way.")] for k in frozen})
    merged = _current_values(task)
    merged.update(values)
    merged["reward"] = reward
    # A deadline that is not being changed may have passed on a draft; it is checked at publish.
    clean = validate_fields(task.mode, merged, now=now, future=False)
    past = _deadline_errors(task.mode, clean, now, only=set(changed))
    if past:
        raise ValidationFailed(errors=past)
    if "org_id" in changed:
        _check_org(actor, clean["org_id"])
    if task.status == "open":
        check_task_text(title=clean["title"], description=clean["description"], category=clean["category"])
    for field, value in clean.items():
        setattr(task, field, value)
    task.updated_at = now
    reindex(task)
    return task


def _payment_under_way(task: Task) -> bool:
    return has_pending_funding(escrow_ref(task))


def _differs(current, new) -> bool:
    if isinstance(current, dt.datetime) and isinstance(new, dt.datetime) and new.tzinfo is not None:
        new = new.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if isinstance(current, list) and isinstance(new, (list, tuple, str)) and not isinstance(new, str):
        return list(current) != list(new)
    return current != new
