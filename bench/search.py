"""Search and list latency per query type, and the sizes of the indexes behind them.

Runs `search_tasks` (the function behind /tasks and GET /api/v1/tasks) in-process against a
database holding at least N tasks (seeded with `flask demo scale` when it has fewer), and prints
p50/p95 per query type with the plan each took:

    no keyword · common bigram (研发) · rare term (钙钛矿) · 4-character phrase (光纤传感) ·
    Latin word (fpga) · keyword + city (研发 in Yichang) · two terms that never co-occur (家政 芯片) ·
    the other sorts and filters (deadline, amount, category + mode, city + minimum amount) ·
    status=all and single non-open statuses (completed, expired, ...) in each sort, with filters

On SQLite `--stats analyze|drop` measures with fresh planner statistics or none (the plans are
named with INDEXED BY and must not depend on them).

    .venv/bin/python bench/search.py --url postgresql+psycopg://postgres@127.0.0.1:5432/scale_1m --tasks 1000000
    .venv/bin/python bench/search.py --url sqlite:///instance/scale_100k.sqlite3 --tasks 100000

Each query runs --runs times (first page, then the second page through the cursor, alternately).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# bench/http.py is named like the standard library's `http`: keep this folder off sys.path.
sys.path[:] = [ROOT] + [p for p in sys.path if os.path.abspath(p or ".") != os.path.join(ROOT, "bench")]

QUERIES = [
    ("no keyword", dict()),
    ("common bigram 研发", dict(q="研发")),
    ("rare term 钙钛矿", dict(q="钙钛矿")),
    ("phrase 光纤传感", dict(q="光纤传感")),
    ("latin word fpga", dict(q="fpga")),
    ("研发 + city yichang", dict(q="研发", city="yichang")),
    ("never together 家政 芯片", dict(q="家政 芯片")),
    ("no keyword, deadline sort", dict(sort="deadline")),
    ("no keyword, amount sort", dict(sort="amount")),
    ("研发, amount sort", dict(q="研发", sort="amount")),
    ("fpga + city, deadline sort", dict(q="fpga", city="wuhan", sort="deadline")),
    ("category + mode", dict(category="home_care", mode="claim")),
    ("city + amount ≥ ¥150k", dict(city="xiangyang", min_amount=15_000_000, sort="amount")),
    ("status=all newest", dict(status="all")),
    ("status=all, deadline sort", dict(status="all", sort="deadline")),
    ("status=all, amount sort", dict(status="all", sort="amount")),
    ("status=all + city + category", dict(status="all", city="yichang", category="rd_challenge")),
    ("status=all + mode, amount sort", dict(status="all", mode="tender", sort="amount")),
    ("status=all + keyword 研发", dict(status="all", q="研发")),
    ("completed newest", dict(status="completed")),
    ("expired, deadline sort", dict(status="expired", sort="deadline")),
    ("selecting, amount sort", dict(status="selecting", sort="amount")),
    ("cancelled + city, deadline", dict(status="cancelled", city="wuhan", sort="deadline")),
]


def _flask(url: str, *args: str) -> None:
    env = dict(os.environ, DATABASE_URL=url)
    subprocess.run([os.path.join(ROOT, ".venv", "bin", "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                   check=True)


def seed(url: str, tasks: int) -> None:
    from sqlalchemy import create_engine, inspect, text
    engine = create_engine(url)
    have = 0
    if "tasks" in inspect(engine).get_table_names():
        with engine.connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM tasks")).scalar()
    engine.dispose()
    _flask(url, "db", "upgrade")
    if have < tasks:
        print(f"seeding {tasks - have} tasks ...", flush=True)
        _flask(url, "demo", "scale", "--tasks", str(tasks - have))


def sqlite_stats(url: str, mode: str) -> None:
    import sqlite3
    conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    conn.execute("ANALYZE")
    if mode == "drop":
        conn.execute("DELETE FROM sqlite_stat1")
        conn.execute("ANALYZE sqlite_schema")
    conn.close()


def index_sizes(db) -> list[tuple[str, int]]:
    from sqlalchemy import text
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(text(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND "
            "(c.relname IN ('tasks', 'search_term_counts') OR c.relname LIKE 'ix_tasks_%' OR c.relname = 'pk_tasks') "
            "ORDER BY 2 DESC")).all()
        return [(name, size) for name, size in rows]
    try:
        rows = db.session.execute(text(
            "SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE 'task_fts%' OR name LIKE 'ix_tasks_%' "
            "OR name IN ('tasks', 'search_term_counts') GROUP BY name ORDER BY 2 DESC")).all()
        return [(name, size) for name, size in rows]
    except Exception:  # SQLite built without dbstat
        db.session.rollback()
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", "sqlite:///" + os.path.join(
        ROOT, "instance", "scale_100k.sqlite3")))
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    parser.add_argument("--stats", choices=("keep", "analyze", "drop"), default="keep",
                        help="SQLite: the planner statistics to measure with (sqlite_stat1 as it is, "
                             "fresh from ANALYZE, or none); the plans must not depend on them")
    args = parser.parse_args()
    if not args.no_seed:
        seed(args.url, args.tasks)
    if args.url.startswith("sqlite") and args.stats != "keep":
        sqlite_stats(args.url, args.stats)

    from config import Config
    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.tasks.search import TaskFilters, plan_for, search_tasks
    from marketplace.tasks.terms import query_terms

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=args.url, RATELIMIT_ENABLED=False, LOG_JSON=False)
    with app.app_context():
        total = db.session.scalar(db.text("SELECT count(*) FROM tasks"))
        open_ = db.session.scalar(db.text("SELECT count(*) FROM tasks WHERE status = 'open'"))
        stats = ""
        if db.engine.dialect.name == "sqlite":
            has = db.session.scalar(db.text("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'"))
            rows = db.session.scalar(db.text("SELECT count(*) FROM sqlite_stat1")) if has else 0
            stats = f"; sqlite_stat1: {rows} rows"
        print(f"{db.engine.dialect.name}: {total} tasks ({open_} open){stats}; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'query':<30} {'plan':<6} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for name, query in QUERIES:
            filters = TaskFilters(**query)
            plan = plan_for(query_terms(filters.q), filters)
            times, rows, cursor = [], 0, None
            for i in range(args.runs):
                started = time.perf_counter()
                found, next_cursor = search_tasks(None, TaskFilters(**query), limit=20,
                                                  cursor=cursor if i % 2 else None)
                times.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
                db.session.expunge_all()
                if i % 2 == 0:
                    cursor = next_cursor
                    rows = len(found)
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            print(f"{name:<30} {plan:<6} {rows:>5} {statistics.median(times):>8.1f} {p95:>8.1f} {times[-1]:>8.1f}")
        sizes = index_sizes(db)
        if sizes:
            print("\nsizes (table and indexes, MiB):")
            for name, size in sizes:
                print(f"  {name:<32} {size / 1024 / 1024:>9.1f}")


if __name__ == "__main__":
    main()
