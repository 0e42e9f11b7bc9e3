"""Matching in both directions: open tasks for a solver, solvers for a task.

Scores are simple and explainable: shared skills count most, then the same city (the same district
more than the same prefecture), then verification and completed work. Candidates are loaded with a
bounded number of queries and scored in Python, the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..accounts.service import user_summaries
from ..core.catalogue import city_of
from ..core.db import utcnow
from ..extensions import db
from ..verification.service import verified_user_ids
from .models import Task, TaskInvite

TASK_CANDIDATES = 300
SOLVER_CANDIDATES = 2000


def _skill_set(skills) -> set[str]:
    return {str(s).strip().casefold() for s in (skills or []) if str(s).strip()}


def _city_score(a: str | None, b: str | None) -> int:
    if not a or not b:
        return 0
    if a == b:
        return 2
    return 1 if city_of(a) == city_of(b) else 0


def recommended_for(user, limit: int = 6) -> list[Task]:
    """Open public tasks for a solver, by shared skills and city (the user's own tasks excluded)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    mine = _skill_set(user.skills)
    now = utcnow()
    candidates = db.session.scalars(
        db.select(Task).options(selectinload(Task.poster))
        .where(Task.status == "open", Task.visibility == "public", Task.hidden_at.is_(None),
               Task.poster_id != user.id)
        .order_by(Task.id.desc()).limit(TASK_CANDIDATES))
    scored = []
    for task in candidates:
        if task.listed_deadline is not None and task.listed_deadline <= now:
            continue
        skills = len(mine & _skill_set(task.skills))
        place = max(_city_score(user.city, task.city), _city_score(user.city, task.district))
        if task.mode == "claim" and city_of(user.city) != city_of(task.city):
            continue  # a local service elsewhere is of no use
        score = 3 * skills + place
        if score > 0:
            scored.append((score, task.id, task))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [task for _score, _id, task in scored[:limit]]


@dataclass
class SuggestedSolver:
    user: object
    shared_skills: list
    same_city: bool
    verified: bool
    completed: int
    invited: bool
    score: float


def _completed_counts(user_ids) -> dict[int, int]:
    """Completed engagements per solver, from the user summaries other domains provide
    (accounts.events.user_summaries; contracts answers with one query)."""
    if not user_ids:
        return {}
    return {user_id: summary.get("completed") or 0 for user_id, summary in user_summaries(user_ids).items()}


def suggested_solvers(task: Task, limit: int = 8) -> list[SuggestedSolver]:
    """Solvers worth inviting to a task: shared skills, same city, verified, completed work."""
    wanted = _skill_set(task.skills)
    users = db.session.scalars(
        db.select(User).where(User.suspended_at.is_(None), User.id != task.poster_id,
                              User.role == "member")  # platform staff are not solvers
        .order_by(User.id.desc()).limit(SOLVER_CANDIDATES))
    candidates = []
    for user in users:
        shared = sorted(wanted & _skill_set(user.skills))
        place = max(_city_score(user.city, task.city), _city_score(user.city, task.district))
        if shared or (place and not wanted):
            candidates.append((user, shared, place))
    ids = [u.id for u, _s, _p in candidates]
    verified = verified_user_ids(ids)
    completed = _completed_counts(ids)
    invited = set(db.session.scalars(db.select(TaskInvite.solver_id).where(TaskInvite.task_id == task.id)))
    result = []
    for user, shared, place in candidates:
        done = completed.get(user.id, 0)
        score = 3 * len(shared) + place + (2 if user.id in verified else 0) + min(done, 10) * 0.5
        result.append(SuggestedSolver(user=user, shared_skills=shared, same_city=place > 0,
                                      verified=user.id in verified, completed=done,
                                      invited=user.id in invited, score=score))
    result.sort(key=lambda s: (-s.score, -s.user.id))
    return result[:limit]
