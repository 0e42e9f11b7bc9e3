"""Latency of the matching queries: tasks recommended to a solver (home page, GET
/api/v1/tasks/recommended) and solvers suggested for a task (the poster's task page, GET
/api/v1/tasks/{id}/recommended-solvers), against a database of at least N tasks (seeded with
`flask demo scale` when it has fewer).

Prints p50/p95 of the ranking in SQL (marketplace.tasks.recommend) and, as the baseline in the same
run, of the former way (load the newest 300 open tasks or 2,000 members and score them in Python),
their ratio, and the sizes of the skill tables and indexes.

    .venv/bin/python bench/recommend.py --url sqlite:///instance/scale_100k.sqlite3 --tasks 100000
    .venv/bin/python bench/recommend.py --url postgresql+psycopg://postgres@127.0.0.1:5432/scale_1m --tasks 1000000
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# bench/http.py is named like the standard library's `http`: keep this folder off sys.path.
sys.path[:] = [ROOT] + [p for p in sys.path if os.path.abspath(p or ".") != os.path.join(ROOT, "bench")]


def _skill_set(skills) -> set[str]:
    return {str(s).strip().casefold() for s in (skills or []) if str(s).strip()}


def _city_score(a, b) -> int:
    from marketplace.core.catalogue import city_of
    if not a or not b:
        return 0
    if a == b:
        return 2
    return 1 if city_of(a) == city_of(b) else 0


def legacy_recommended_for(user, limit: int = 6):
    """The former recommendation: the newest 300 open tasks, scored in Python."""
    from sqlalchemy.orm import selectinload

    from marketplace.core.catalogue import city_of
    from marketplace.core.db import utcnow
    from marketplace.extensions import db
    from marketplace.tasks.models import Task
    mine = _skill_set(user.skills)
    now = utcnow()
    candidates = db.session.scalars(
        db.select(Task).options(selectinload(Task.poster))
        .where(Task.status == "open", Task.visibility == "public", Task.hidden_at.is_(None),
               Task.poster_id != user.id)
        .order_by(Task.id.desc()).limit(300))
    scored = []
    for task in candidates:
        if task.listed_deadline is not None and task.listed_deadline <= now:
            continue
        skills = len(mine & _skill_set(task.skills))
        place = max(_city_score(user.city, task.city), _city_score(user.city, task.district))
        if task.mode == "claim" and city_of(user.city) != city_of(task.city):
            continue
        score = 3 * skills + place
        if score > 0:
            scored.append((score, task.id, task))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [task for _score, _id, task in scored[:limit]]


def legacy_suggested_solvers(task, limit: int = 8):
    """The former suggestion: the newest 2,000 members, scored in Python."""
    from marketplace.accounts.models import User
    from marketplace.accounts.service import user_summaries
    from marketplace.extensions import db
    from marketplace.tasks.models import TaskInvite
    from marketplace.verification.service import verified_user_ids
    wanted = _skill_set(task.skills)
    users = db.session.scalars(
        db.select(User).where(User.suspended_at.is_(None), User.id != task.poster_id, User.role == "member")
        .order_by(User.id.desc()).limit(2000))
    candidates = []
    for user in users:
        shared = sorted(wanted & _skill_set(user.skills))
        place = max(_city_score(user.city, task.city), _city_score(user.city, task.district))
        if shared or (place and not wanted):
            candidates.append((user, shared, place))
    ids = [u.id for u, _s, _p in candidates]
    verified = verified_user_ids(ids)
    completed = {uid: s.get("completed") or 0 for uid, s in user_summaries(ids).items()} if ids else {}
    set(db.session.scalars(db.select(TaskInvite.solver_id).where(TaskInvite.task_id == task.id)))
    result = []
    for user, shared, place in candidates:
        done = completed.get(user.id, 0)
        score = 3 * len(shared) + place + (2 if user.id in verified else 0) + min(done, 10) * 0.5
        result.append((score, user.id, user))
    result.sort(key=lambda s: (-s[0], -s[1]))
    return [u for _s, _i, u in result[:limit]]


def _percentiles(times):
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def _measure(fn, subjects, db):
    times = []
    for subject in subjects:
        started = time.perf_counter()
        fn(subject)
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return times


def sizes(db):
    from sqlalchemy import text
    if db.engine.dialect.name == "postgresql":
        return db.session.execute(text(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON "
            "n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname IN "
            "('task_skills', 'user_skills', 'ix_task_skills_skill_task', 'ix_user_skills_skill_user', "
            "'pk_task_skills', 'pk_user_skills') ORDER BY 2 DESC")).all()
    try:
        return db.session.execute(text(
            "SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE '%task_skills%' OR name LIKE '%user_skills%' "
            "GROUP BY name ORDER BY 2 DESC")).all()
    except Exception:  # SQLite built without dbstat
        db.session.rollback()
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", "sqlite:///" + os.path.join(
        ROOT, "instance", "scale_100k.sqlite3")))
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40, help="solvers and tasks measured (one call each)")
    parser.add_argument("--limit", type=int, default=6)
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    args = parser.parse_args()
    if not args.no_seed:
        from bench.search import seed
        seed(args.url, args.tasks)

    from config import Config
    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.tasks.models import Task
    from marketplace.tasks.recommend import recommended_for, suggested_solvers

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=args.url, RATELIMIT_ENABLED=False, LOG_JSON=False)
    with app.app_context():
        rng = random.Random(7)
        max_user = db.session.scalar(db.select(db.func.max(User.id)))
        max_task = db.session.scalar(db.select(db.func.max(Task.id)))
        tasks = db.session.scalar(db.select(db.func.count(Task.id)))
        print(f"{db.engine.dialect.name}: {tasks} tasks, {max_user} users; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        user_ids, task_ids = [], []
        while len(user_ids) < args.runs:
            user = db.session.get(User, rng.randint(1, max_user))
            if user is not None and user.role == "member" and user.skills:
                user_ids.append(user.id)
        while len(task_ids) < args.runs:
            task = db.session.get(Task, rng.randint(1, max_task))
            if task is not None and task.status == "open":
                task_ids.append(task.id)
        db.session.rollback()

        def users():
            return [db.session.get(User, i) for i in user_ids]

        def open_tasks():
            return [db.session.get(Task, i) for i in task_ids]

        rows = [
            ("recommended tasks (SQL)", lambda: _measure(lambda u: recommended_for(u, args.limit), users(), db)),
            ("  former: 300 in Python", lambda: _measure(lambda u: legacy_recommended_for(u, args.limit), users(), db)),
            ("suggested solvers (SQL)", lambda: _measure(lambda t: suggested_solvers(t, args.limit), open_tasks(), db)),
            ("  former: 2000 in Python", lambda: _measure(lambda t: legacy_suggested_solvers(t, args.limit),
                                                          open_tasks(), db)),
        ]
        print(f"{'query':<26} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        results = {}
        for name, run in rows:
            run()  # warm the caches once
            times = run()
            p50, p95 = _percentiles(times)
            results[name] = p50
            print(f"{name:<26} {p50:>8.1f} {p95:>8.1f} {max(times):>8.1f}")
        for new, old in ((rows[0][0], rows[1][0]), (rows[2][0], rows[3][0])):
            print(f"{new.split(' (')[0]}: the former way takes {results[old] / max(results[new], 0.001):.1f}x "
                  f"the time (p50)")
        found = sizes(db)
        if found:
            print("\nsizes (MiB):")
            for name, size in found:
                print(f"  {name:<32} {size / 1024 / 1024:>9.1f}")


if __name__ == "__main__":
    main()
