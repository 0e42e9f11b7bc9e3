"""Loading bounties and their entries (with the viewer's right to see them), counts and results."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy.orm import selectinload

from ..core.errors import NotFound
from ..extensions import db
from ..tasks import policies as task_policies
from ..tasks.models import Task
from . import policies
from .models import LIVE_STATUSES, BountyPrize, Submission, SubmissionAuthor, SubmissionFile

DEADLINE_TIMER = "bounty.deadline"
SELECTION_TIMER = "bounty.selection_end"
PRIZE_TIMER = "bounty.prize_release"

TEXT_MAX = 20_000
FILES_MAX = 10
COAUTHORS_MAX = 10
REASON_MAX = 2_000
NOTE_MAX = 2_000


def dispute_days() -> int:
    """How long an awarded prize stays held, open to a dispute (BOUNTY_DISPUTE_DAYS)."""
    return int(current_app.config.get("BOUNTY_DISPUTE_DAYS", 7))


def prize_ref(prize) -> str:
    """The subject of a held prize's release timer (and of its freeze while disputed)."""
    return f"bounty_prize:{prize.id}"


def get_bounty(task_id, *, lock: bool = False) -> Task:
    try:
        pk = int(task_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    query = db.select(Task).where(Task.id == pk, Task.mode == "bounty")
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    task = db.session.execute(query).scalar_one_or_none()
    if task is None:
        raise NotFound()
    return task


def get_visible_bounty(user, task_id) -> Task:
    task = get_bounty(task_id)
    task_policies.require_view(user, task)
    return task


def get_submission(public_id, *, lock: bool = False) -> Submission:
    if not isinstance(public_id, str) or not public_id or len(public_id) > 32:
        raise NotFound()
    query = db.select(Submission).where(Submission.public_id == public_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    sub = db.session.execute(query).scalar_one_or_none()
    if sub is None:
        raise NotFound()
    return sub


def get_visible_submission(user, public_id) -> tuple[Submission, Task]:
    """The entry and its bounty, or 404 for anyone who may not see it."""
    sub = get_submission(public_id)
    task = get_bounty(sub.task_id)
    policies.require_see(user, sub, task)
    return sub, task


def get_visible_file(user, public_id) -> tuple[SubmissionFile, str]:
    if not isinstance(public_id, str) or not public_id or len(public_id) > 32:
        raise NotFound()
    file = db.session.scalar(db.select(SubmissionFile).where(SubmissionFile.public_id == public_id))
    if file is None:
        raise NotFound()
    sub = db.session.get(Submission, file.submission_id)
    policies.require_see(user, sub, get_bounty(sub.task_id))
    return file, file.path


def _load(query):
    return list(db.session.scalars(query.options(selectinload(Submission.files),
                                                 selectinload(Submission.authors).selectinload(SubmissionAuthor.user),
                                                 selectinload(Submission.solver))))


def load_full(sub: Submission) -> Submission:
    """The entry with its files and authors loaded (after flushing pending changes)."""
    db.session.flush()
    return _load(db.select(Submission).where(Submission.id == sub.id)
                 .execution_options(populate_existing=True))[0]


def entries_for(user, task: Task) -> list[Submission]:
    """What `user` may see of a bounty's entries: everything the poster's side may judge (or, after
    the award, what passed to it); a solver only its own (withdrawn ones included)."""
    query = db.select(Submission).where(Submission.task_id == task.id).order_by(Submission.id)
    if policies.poster_side(user, task):
        if task.status not in policies.JUDGING_STATUSES:
            query = query.where(Submission.status.in_(("winner", "accepted")))
        else:
            query = query.where(Submission.status != "withdrawn")
        return _load(query)
    if getattr(user, "is_operator", False) and task.status == "review":
        return _load(query.where(Submission.status != "withdrawn"))
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    authored = db.select(SubmissionAuthor.submission_id).where(SubmissionAuthor.user_id == user.id)
    return _load(query.where(db.or_(Submission.solver_id == user.id, Submission.id.in_(authored))))


def my_submissions(user) -> list[tuple[Submission, Task]]:
    authored = db.select(SubmissionAuthor.submission_id).where(SubmissionAuthor.user_id == user.id)
    subs = _load(db.select(Submission).where(db.or_(Submission.solver_id == user.id, Submission.id.in_(authored)))
                 .order_by(Submission.id.desc()))
    tasks = {t.id: t for t in db.session.scalars(db.select(Task).where(Task.id.in_({s.task_id for s in subs})))}
    return [(s, tasks[s.task_id]) for s in subs]


def live_count(task: Task) -> int:
    return db.session.scalar(db.select(db.func.count(Submission.id)).where(
        Submission.task_id == task.id, Submission.status.in_(LIVE_STATUSES))) or 0


def live_counts(task_ids) -> dict[int, int]:
    rows = db.session.execute(db.select(Submission.task_id, db.func.count(Submission.id)).where(
        Submission.task_id.in_(list(task_ids)), Submission.status.in_(LIVE_STATUSES)).group_by(Submission.task_id))
    return dict(rows.all())


def selection_ends_at(task: Task) -> dt.datetime | None:
    if task.submission_deadline is None:
        return None
    return task.submission_deadline + dt.timedelta(days=task.selection_days or current_app.config["SELECTION_DAYS"])


def results(task: Task) -> list[Submission]:
    """The public results: winners by rank, or accepted pieces (names and amounts only)."""
    return _load(db.select(Submission).where(Submission.task_id == task.id,
                                             Submission.status.in_(("winner", "accepted")))
                 .order_by(Submission.rank, Submission.piece_no, Submission.id))


def prizes_by_entry(task: Task) -> dict:
    """The prizes of an awarded single or ranked bounty by winning entry id (held, disputed,
    released or split)."""
    return {p.submission_id: p for p in db.session.scalars(
        db.select(BountyPrize).where(BountyPrize.task_id == task.id))}


def prizes_of_entries(submission_ids) -> dict:
    """The prizes of these entries by entry id (for a solver's list of entries)."""
    ids = list(submission_ids)
    if not ids:
        return {}
    return {p.submission_id: p for p in db.session.scalars(
        db.select(BountyPrize).where(BountyPrize.submission_id.in_(ids)))}


def may_dispute_award(user, task: Task, now) -> bool:
    """Whether the viewer may open a dispute about a held prize now (an entrant or the poster side,
    while a prize is held and its window lasts); the dispute service checks again."""
    if user is None or not getattr(user, "is_authenticated", False) or task.status != "awarded":
        return False
    if not any(p.status == "held" and now < p.held_until for p in prizes_by_entry(task).values()):
        return False
    if policies.judges(user, task):
        return True
    return db.session.scalar(db.select(Submission.id).where(
        Submission.task_id == task.id, Submission.solver_id == user.id, Submission.status != "withdrawn")
        .limit(1)) is not None


def find_receipt(sha256: str) -> tuple[Submission, Task]:
    value = (sha256 or "").strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise NotFound()
    sub = db.session.scalar(db.select(Submission).where(Submission.sha256 == value))
    if sub is None:
        raise NotFound()
    return sub, db.session.get(Task, sub.task_id)
