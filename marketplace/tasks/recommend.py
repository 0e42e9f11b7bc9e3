"""Matching in both directions: open tasks for a solver, solvers for a task.

Scores are simple and explainable: shared skills count most, then the same city (the same district
more than the same prefecture), then verification and completed work; equal scores go to the better
credit score, then the newer. Each direction is one ranking query, the same on SQLite and
PostgreSQL: the candidates come from indexes (the skill tables `task_skills` / `user_skills`,
newest first per skill, and the prefecture's open tasks or users), the database computes the score
of each candidate and returns the first `limit` (ORDER BY score, LIMIT). Python scores nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, literal, or_, union_all

from ..accounts.models import User, UserSkill, skill_keys
from ..accounts.service import user_summary_columns
from ..core.catalogue import CITIES, city_of
from ..core.db import utcnow
from ..extensions import db
from ..verification.service import verified_user_condition
from .models import Task, TaskInvite, TaskSkill

# Candidates per shared skill (the newest open tasks, or users, having it) and per place (the
# newest open tasks, or users, of the prefecture): the ranking scores at most this many per part.
CANDIDATES_PER_PART = 200
# Skills of one user or task taken into account (a profile allows 20).
MAX_SKILLS = 20


def _newest(column, condition, label: str, shared: int = 1):
    """SELECT column AS id, shared … ORDER BY column DESC LIMIT n (shared: 1 for a part of the
    holders of one skill, 0 for a part of the same place), wrapped so that parts can be put
    together with UNION ALL (SQLite takes no ORDER BY/LIMIT on a compound's part)."""
    part = (db.select(column.label("id"), literal(shared).label("shared")).where(condition)
            .order_by(column.desc()).limit(CANDIDATES_PER_PART).subquery(label))
    return db.select(part.c.id, part.c.shared)


def _newest_open_with(skill: str, label: str):
    """The newest open tasks having a skill (1 shared skill each): the skill index walked newest
    first with each task's status (SQLite reads it by id; PostgreSQL, for a common skill, may
    merge the walk with the primary key of tasks read backwards), until CANDIDATES_PER_PART."""
    part = (db.select(TaskSkill.task_id.label("id"), literal(1).label("shared"))
            .join(Task, Task.id == TaskSkill.task_id)
            .where(TaskSkill.skill == skill, Task.status == "open")
            .order_by(TaskSkill.task_id.desc()).limit(CANDIDATES_PER_PART)
            .with_hint(Task, "NOT INDEXED", "sqlite").subquery(label))
    return db.select(part.c.id, part.c.shared)


def _matched(parts):
    """(id, shared): each candidate once, with the number of skills it shares."""
    candidates = union_all(*parts).subquery("candidates") if len(parts) > 1 else parts[0].subquery("candidates")
    return (db.select(candidates.c.id, db.func.sum(candidates.c.shared).label("shared"))
            .group_by(candidates.c.id).subquery("matched"))


def _at_most(expression, bound: int):
    """The smaller of an expression and a bound (a scalar function: least() on PostgreSQL, a
    two-argument min() on SQLite), evaluating the expression once."""
    if db.session.get_bind().dialect.name == "postgresql":
        return db.func.least(expression, bound)
    return db.func.min(expression, bound)


def _codes_of(prefecture: str) -> list[str]:
    return [code for code in CITIES if city_of(code) == prefecture]


def recommended_for(user, limit: int = 6) -> list[Task]:
    """Open public tasks for a solver, by shared skills and city (the user's own tasks excluded).

    Score: 3 per shared skill, + 2 for the solver's own city or district, + 1 for its prefecture;
    a claim (a local service) only in the solver's prefecture; a score of 0 is no match. Candidates:
    the newest open tasks having each of the solver's skills and the newest of the prefecture."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    mine = sorted(skill_keys(user.skills))[:MAX_SKILLS]
    here = city_of(user.city)
    parts = [_newest_open_with(skill, f"skill_{i}") for i, skill in enumerate(mine)]
    if here:
        # Same-place tasks share no skill by this part (0): the open place index, newest first.
        place = (db.select(Task.id.label("id"), literal(0).label("shared"))
                 .where(Task.status == literal("open", literal_execute=True), Task.listed_prefecture == here)
                 .order_by(Task.listed_at.desc(), Task.id.desc()).limit(CANDIDATES_PER_PART)
                 .with_hint(Task, "INDEXED BY ix_tasks_open_place_newest", "sqlite").subquery("place"))
        parts.append(db.select(place.c.id, place.c.shared))
    if not parts:
        return []
    matched = _matched(parts)
    place_score = literal(0)
    if user.city:
        place_score = case((or_(Task.city == user.city, Task.district == user.city), 2),
                           (Task.listed_prefecture == here, 1), else_=0)
    score = 3 * matched.c.shared + place_score
    local = Task.listed_prefecture == here if here else Task.listed_prefecture.is_(None)
    statement = (
        db.select(Task).join(matched, matched.c.id == Task.id)
        .where(Task.status == "open", Task.visibility == "public", Task.hidden_at.is_(None),
               Task.poster_id != user.id,
               or_(Task.listed_deadline.is_(None), Task.listed_deadline > utcnow()),
               or_(Task.mode != "claim", local),  # a local service elsewhere is of no use
               score > 0)
        .order_by(score.desc(), Task.id.desc()).limit(limit)
        # The candidates first, each task by its id (never a walk of tasks probing the candidates).
        .with_hint(Task, "NOT INDEXED", "sqlite"))
    return list(db.session.scalars(statement))


@dataclass
class SuggestedSolver:
    user: object
    shared_skills: list
    same_city: bool
    verified: bool
    completed: int
    invited: bool
    score: float


def suggested_solvers(task: Task, limit: int = 8) -> list[SuggestedSolver]:
    """Solvers worth inviting to a task: shared skills, same city, verified, completed work.

    Score: 3 per shared skill, + 2 for the task's city or district, + 1 for its prefecture, + 2 when
    verified, + ½ per completed engagement (at most 10 count); equal scores by credit score, then
    the newer account. A task with skills needs a shared one; one without, the same prefecture.
    Candidates: the newest members having each skill (else the newest of the prefecture)."""
    wanted = sorted(skill_keys(task.skills))[:MAX_SKILLS]
    places = {code for code in (task.city, task.district) if code}
    prefecture = city_of(task.district or task.city)
    if wanted:
        parts = [_newest(UserSkill.user_id, UserSkill.skill == skill, f"skill_{i}") for i, skill in enumerate(wanted)]
    elif prefecture:
        parts = [_newest(User.id, User.city.in_(_codes_of(prefecture)), "place", shared=0)]
    else:
        return []
    matched = _matched(parts)
    prefecture_codes = _codes_of(prefecture) if prefecture else []

    def place_score():
        if not places:
            return literal(0)
        return case((User.city.in_(sorted(places)), 2), (User.city.in_(prefecture_codes), 1), else_=0)

    def verified_completed():
        """(verified, completed engagements) of the user of the enclosing query (subqueries by
        the user's id: its verification requests, memberships, contracts and credit standing)."""
        completed = user_summary_columns(User.id).get("completed", literal(0))
        return verified_user_condition(User.id, User.account_type), db.func.coalesce(completed, 0)

    verified, completed = verified_completed()
    credit = db.func.coalesce(user_summary_columns(User.id).get("score", literal(None)), 0)
    # Doubled, to stay in integers: 6 per skill, 2 per place point, 4 if verified, 1 per completed
    # engagement (at most 10).
    doubled = 6 * matched.c.shared + 2 * place_score() + case((verified, 4), else_=0) + _at_most(completed, 10)
    # The ranking computes only the score of each candidate; the page's figures are read after.
    ranked = (
        db.select(User.id.label("id"), doubled.label("points"), credit.label("credit"))
        .join(matched, matched.c.id == User.id)
        .where(User.suspended_at.is_(None), User.id != task.poster_id,
               User.role == "member")  # platform staff are not solvers
        .order_by(doubled.desc(), credit.desc(), User.id.desc()).limit(limit)
        .with_hint(User, "NOT INDEXED", "sqlite")
        .subquery("ranked"))
    verified, completed = verified_completed()
    statement = (
        db.select(User, place_score(), case((verified, True), else_=False), completed, ranked.c.points)
        .join(ranked, ranked.c.id == User.id)
        .order_by(ranked.c.points.desc(), ranked.c.credit.desc(), User.id.desc()))
    rows = db.session.execute(statement).all()
    invited = set()
    if rows:
        invited = set(db.session.scalars(db.select(TaskInvite.solver_id).where(
            TaskInvite.task_id == task.id, TaskInvite.solver_id.in_([user.id for user, *_ in rows]))))
    wanted_set = set(wanted)
    return [SuggestedSolver(user=user, shared_skills=sorted(wanted_set & skill_keys(user.skills)),
                            same_city=place > 0, verified=bool(is_verified), completed=int(done or 0),
                            invited=user.id in invited, score=points / 2)
            for user, place, is_verified, done, points in rows]
