"""What the three busiest reads cost in-process, beside the minimal app over the same rows.

Calls Huizhong's WSGI app directly (no server, no network, one thread) for the task list
(/tasks/), a task page (/tasks/<id>) and the API list (GET /api/v1/tasks), as a visitor, and the
same three paths of bench/minimal_app.py, alternately in --rounds rounds of --requests requests
each, and prints the median ms per request of each and their ratio. What is left is the cost of
rendering and of the framework around it: the database answers from memory after the warm-up.
The visitors' page cache is off (PAGE_CACHE_SECONDS=0): what is measured is a page's rendering,
which every signed-in reader and every miss pays; --page-cache measures answers from the cache.

    .venv/bin/python bench/render.py --url postgresql+psycopg://postgres@127.0.0.1:5432/bench_speed
    .venv/bin/python bench/render.py --url ... --prof            # also the top of a cProfile per path
    .venv/bin/python bench/render.py --url ... --only /tasks/ --prof --sort tottime
    .venv/bin/python bench/render.py --url ... --user 2           # signed in (a session cookie)

The database must hold tasks (e.g. the one `make bench` seeds, or `flask demo scale`); it is only read
(a signed-in reader's list and task page write nothing either).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# bench/http.py is named like the standard library's `http`: keep this folder off sys.path.
sys.path[:] = [ROOT] + [p for p in sys.path if os.path.abspath(p or ".") != os.path.join(ROOT, "bench")]


def _apps(url: str, page_cache: bool):
    os.environ.update(DATABASE_URL=url, RATELIMIT_ENABLED="false", LOG_JSON="false",
                      HUIZHONG_ENV="development", FLASK_DEBUG="0", PAGE_CACHE_SECONDS="15" if page_cache else "0")
    from bench.minimal_app import app as minimal
    from marketplace import create_app
    app = create_app()
    # The access log is still formatted and written, to nowhere.
    for handler in logging.getLogger("marketplace").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115  (open for the whole run)
    return app, minimal


def _session_cookie(app, user_id: int) -> str:
    """A session cookie signing in the user, as logging in makes it (Flask-Login's "_user_id", and
    "_id", which its session protection compares with the requests' address and browser)."""
    from marketplace.accounts.models import User
    from marketplace.extensions import db, login_manager
    with app.test_request_context("/"):
        user = db.session.get(User, user_id)
        if user is None:
            raise SystemExit(f"no user {user_id}")
        serializer = app.session_interface.get_signing_serializer(app)
        value = serializer.dumps({"_user_id": user.get_id(), "_fresh": False,
                                  "_id": login_manager._session_identifier_generator()})
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def _caller(app, path: str, cookie: str | None = None):
    from werkzeug.test import EnvironBuilder
    environ = EnvironBuilder(path=path, headers={"Cookie": cookie} if cookie else None).get_environ()

    def call() -> int:
        status = []
        body = app.wsgi_app(dict(environ), lambda s, h, e=None: status.append(s))
        try:
            size = len(b"".join(body))
        finally:
            if hasattr(body, "close"):
                body.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"{path}: {status[0]}")
        return size

    return call


def _task(app) -> int:
    if app.test_client().get("/tasks/1").status_code == 200:
        return 1
    from sqlalchemy import text

    from marketplace.extensions import db
    with app.app_context():
        return db.session.scalar(text("SELECT min(id) FROM tasks WHERE status = 'open' AND visibility = 'public' "
                                      "AND hidden_at IS NULL"))


def _ms_per_request(call, n: int) -> tuple[float, float]:
    """(wall-clock, this process's CPU) ms per request: the CPU figure leaves out the database's
    work and waiting for a core on a busy machine, so it is the steadier one for comparing runs."""
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        call()
    return (time.perf_counter() - started) / n * 1000, (time.process_time() - cpu) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL"),
                        help="the database (default: $BENCH_DATABASE_URL, else $DATABASE_URL)")
    parser.add_argument("--requests", type=int, default=200, help="requests per path and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--task", type=int, help="the task of the task page (default: 1 if a visitor may see "
                        "it, else the oldest open public task)")
    parser.add_argument("--only", action="append", help="measure only this path (repeatable)")
    parser.add_argument("--page-cache", action="store_true", help="leave the visitors' page cache on")
    parser.add_argument("--user", type=int, help="sign this user in (a session cookie) on Huizhong's paths; "
                        "the task page is then a signed-in non-party's when the user is not the poster")
    parser.add_argument("--prof", action="store_true", help="print the top of a cProfile of each Huizhong path")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort (cumulative, tottime, ...)")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    if not args.url:
        parser.error("give --url (or set BENCH_DATABASE_URL)")
    app, minimal = _apps(args.url, args.page_cache)
    paths = args.only or ["/tasks/", f"/tasks/{args.task or _task(app)}", "/api/v1/tasks"]
    cookie = _session_cookie(app, args.user) if args.user else None
    callers = {p: (_caller(app, p, cookie), _caller(minimal, p)) for p in paths}
    for ours, theirs in callers.values():  # warm up: connections, templates, caches, plans
        for _ in range(30):
            ours(), theirs()
    times = {p: ([], []) for p in paths}
    for _ in range(args.rounds):
        for path, (ours, theirs) in callers.items():
            times[path][0].append(_ms_per_request(ours, args.requests))
            times[path][1].append(_ms_per_request(theirs, args.requests))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    who = f"user {args.user} signed in" if args.user else "a visitor"
    print(f"in-process ms/request, median of {args.rounds} rounds × {args.requests}, {who} "
          f"(load average {load:.2f})")
    print(f"{'':<18}{'wall-clock':^28}  {'CPU of this process':^28}")
    print(f"{'path':<18}" + f"{'Huizhong':>10}{'minimal':>10}{'ratio':>8}  " * 2)
    for path, (ours, theirs) in times.items():
        line = f"{path:<18}"
        for i in (0, 1):
            a, b = statistics.median(t[i] for t in ours), statistics.median(t[i] for t in theirs)
            line += f"{a:>10.2f}{b:>10.2f}{a / b:>8.2f}  "
        print(line)
    if args.prof:
        for path, (ours, _theirs) in callers.items():
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                ours()
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(f"\n=== {path}: cProfile of {args.requests} requests, by {args.sort} ===")
            print(out.getvalue())


if __name__ == "__main__":
    main()
