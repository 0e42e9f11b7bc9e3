"""`make chaos`: restart PostgreSQL during a burst of funding, award and release requests.

    .venv/bin/python -m tests.chaos.run [--port 5120] [--per-kind 30] [--no-restart]

What it does, on a PostgreSQL database of its own (dropped and created again, default `chaos`):

1. `flask db upgrade`, then seeds posters with wallet money and, through the services, three
   kinds of work: open tenders with a bid (to award), accepted contracts whose milestone waits for
   funding (to fund from the wallet) and delivered milestones (to accept, which releases the money).
2. Starts the app under gunicorn (2 workers with threads) and fires one request per piece of
   work through the JSON API, spread over a few seconds, from several threads at once, each with a
   bearer token and its own Idempotency-Key:
   `POST /api/v1/bids/<id>/award`, `POST /api/v1/fundings` (milestone, method wallet) and
   `POST /api/v1/milestones/<id>/accept`.
3. Restarts PostgreSQL while the burst runs (`pg_ctlcluster ... main restart`).
4. Checks: every request was answered 2xx, 4xx or 503 (never a 500, never no answer); the app
   answers again without being restarted (same gunicorn master); a request that did not answer
   2xx left nothing behind (no contract, funding, escrow or release transaction, stored
   idempotent response) and one that did is fully applied; every 503 sent again with the same
   Idempotency-Key now succeeds; `flask ledger verify` exits 0.

Prints a summary (requests per outcome) and exits 1 on any violation. Needs root or the
postgres user for the restart; the restart briefly interrupts every other user of that cluster.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import subprocess  # nosec B404 - a test driver that runs the app, flask and pg_ctlcluster
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", default=os.environ.get("CHAOS_DATABASE_SERVER", DEFAULT_SERVER),
                   help="PostgreSQL server URL without database name")
    p.add_argument("--database", default=os.environ.get("CHAOS_DATABASE", "chaos"))
    p.add_argument("--port", type=int, default=int(os.environ.get("CHAOS_PORT", "5120")))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--per-kind", type=int, default=30, help="requests of each kind in the burst")
    p.add_argument("--concurrency", type=int, default=12, help="client threads")
    p.add_argument("--burst-seconds", type=float, default=8.0, help="the burst is spread over this long")
    p.add_argument("--restart-at", type=float, default=2.5, help="seconds into the burst")
    p.add_argument("--no-restart", action="store_true", help="the burst without the restart (a dry run)")
    p.add_argument("--keep", action="store_true", help="leave the app running at the end (Ctrl-C stops it)")
    return p.parse_args(argv)


def restart_command() -> list[str]:
    custom = os.environ.get("CHAOS_RESTART_COMMAND")
    if custom:
        return ["sh", "-c", custom]
    versions = sorted(os.listdir("/etc/postgresql"))
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]


# --- database and seed ------------------------------------------------------------------------

def recreate_database(server: str, name: str) -> None:
    import psycopg
    dsn = server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def app_env(url: str) -> dict:
    env = dict(os.environ)
    env.update(DATABASE_URL=url, HUIZHONG_ENV="development", RATELIMIT_ENABLED="false",
               SECRET_KEY="chaos-" + "x" * 40, LOG_LEVEL=env.get("LOG_LEVEL", "WARNING"))
    return env


def flask(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=app_env(url),  # nosec B603
                          capture_output=True, text=True)


def seed(app, per_kind: int) -> dict:
    """Work for the burst, made through the services: {kind: [(target id, token), ...]}."""
    from marketplace.accounts.models import User
    from marketplace.contracts import service as contracts
    from marketplace.contracts.models import Milestone
    from marketplace.extensions import db
    from tests.factories import make_token, make_user
    from tests.factories_contracts import fund_milestone, make_bid, make_contract, make_solver
    from tests.factories_ledger import fund_wallet
    from tests.factories_tasks import make_task

    def first_milestone(contract):
        return db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract.id)).one()

    with app.app_context():
        posters = [make_user(f"poster{i}@chaos.example", display_name=f"Poster {i}") for i in range(4)]
        tokens = {p.id: make_token(p) for p in posters}
        solver = make_solver(email="solver@chaos.example")
        work = {"award": [], "fund": [], "release": []}
        for i in range(per_kind):
            poster = posters[i % len(posters)]
            task = make_task(poster, title=f"Award {i}")
            bid = make_bid(task, make_solver())
            work["award"].append((bid.id, tokens[poster.id]))

            task = make_task(poster, title=f"Fund {i}")
            contract = make_contract(task, solver, amount=100_000 + i)
            work["fund"].append((first_milestone(contract).id, tokens[poster.id]))

            task = make_task(poster, title=f"Release {i}")
            contract = make_contract(task, solver, amount=150_000 + i)
            milestone = first_milestone(contract)
            fund_milestone(milestone)
            contracts.deliver_milestone(db.session.get(User, solver.id), milestone, "Done, see notes.")
            db.session.commit()
            work["release"].append((milestone.id, tokens[poster.id]))
        for poster in posters:  # enough for every funding, with a margin
            fund_wallet(poster, 200_000 * per_kind)
        db.session.remove()
    return work


# --- the app ------------------------------------------------------------------------------------

def start_app(url: str, port: int, workers: int, threads: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(  # nosec B603
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads), "--timeout", "60", "--graceful-timeout", "5", "wsgi:app"],
        cwd=ROOT, env=app_env(url), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc


def get(base: str, path: str, timeout: float = 5.0) -> int | None:
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as resp:  # nosec B310 - our own server
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def wait_healthy(base: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if get(base, "/healthz") == 200:
            return True
        time.sleep(0.3)
    return False


def post(base: str, path: str, token: str, key: str, body: dict) -> tuple[int | None, dict | str]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST", headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": key, "Content-Type": "application/json",
        "Accept-Language": "en"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # nosec B310 - our own server
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except OSError as exc:
        return None, f"no answer: {exc}"
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")[:200]


def request_for(kind: str, target: int) -> tuple[str, dict]:
    if kind == "award":
        return f"/api/v1/bids/{target}/award", {}
    if kind == "fund":
        return "/api/v1/fundings", {"kind": "milestone", "subject_id": target, "method": "wallet"}
    return f"/api/v1/milestones/{target}/accept", {}


# --- the checks -----------------------------------------------------------------------------------

def applied(kind: str, target: int, key: str) -> tuple[bool, bool, str]:
    """(fully applied, nothing left, what was found) for one request's target, read from the
    database."""
    from sqlalchemy import func

    from marketplace.api.idempotency import IdempotencyRecord
    from marketplace.bids.models import Bid
    from marketplace.contracts.models import Contract, Milestone
    from marketplace.extensions import db
    from marketplace.ledger.models import Hold, LedgerTransaction
    from marketplace.payments.models import Funding
    from marketplace.tasks.models import Task

    def count(query):
        return db.session.execute(query).scalar_one()

    stored = count(db.select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.key == key))
    if kind == "award":
        bid = db.session.get(Bid, target)
        task = db.session.get(Task, bid.task_id)
        contracts = count(db.select(func.count()).select_from(Contract).where(Contract.task_id == bid.task_id))
        full = (bid.status, task.status, contracts, stored) == ("accepted", "awarded", 1, 1)
        none = (bid.status, task.status, contracts, stored) == ("submitted", "open", 0, 0)
        return full, none, f"bid {bid.status}, task {task.status}, {contracts} contract(s), {stored} stored response(s)"
    milestone = db.session.get(Milestone, target)
    ref = f"milestone:{target}"
    if kind == "fund":
        fundings = count(db.select(func.count()).select_from(Funding).where(
            Funding.subject_kind == "milestone", Funding.subject_id == str(target)))
        txns = count(db.select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.ref == ref))
        holds = count(db.select(func.count()).select_from(Hold).where(Hold.ref == ref))
        full = milestone.status == "funded" and fundings == 1 and txns == 1 and holds == 1 and stored == 1
        none = milestone.status == "pending_funding" and fundings == 0 and txns == 0 and holds == 0 and stored == 0
        return full, none, (f"milestone {milestone.status}, {fundings} funding(s), {txns} transaction(s), "
                            f"{holds} hold(s), {stored} stored response(s)")
    releases = count(db.select(func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.idempotency_key == f"release:milestone:{target}"))
    full = milestone.status == "accepted" and releases == 1 and stored == 1
    none = milestone.status == "delivered" and releases == 0 and stored == 0
    return full, none, f"milestone {milestone.status}, {releases} release(s), {stored} stored response(s)"


def read_state(app, kind: str, target: int, key: str) -> tuple[bool, bool, str]:
    """`applied` in a fresh session; if the database restarts again meanwhile (the cluster may be
    shared), wait for it and read again."""
    from sqlalchemy.exc import DBAPIError

    from marketplace.extensions import db
    for attempt in range(5):
        with app.app_context():
            try:
                return applied(kind, target, key)
            except DBAPIError:
                if attempt == 4:
                    raise
                db.session.remove()
                db.engine.dispose()
        subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-t", "60"])  # nosec B603 B607
        time.sleep(1)
    raise AssertionError("unreachable")


def outcome(status: int | None) -> str:
    if status is None:
        return "no answer"
    if 200 <= status < 300:
        return "2xx"
    if status == 503:
        return "503"
    if 400 <= status < 500:
        return f"{status}"
    return f"{status} (server error)"


def main(argv=None) -> int:
    args = parse_args(argv)
    url = f"{args.server}/{args.database}"
    base = f"http://127.0.0.1:{args.port}"
    problems: list[str] = []
    log_dir = ROOT / "instance"
    log_dir.mkdir(exist_ok=True)
    app_log = log_dir / "chaos-app.log"

    print(f"chaos: database {args.database}, app on port {args.port}")
    recreate_database(args.server, args.database)
    upgrade = flask(url, "db", "upgrade")
    if upgrade.returncode != 0:
        print(upgrade.stdout, upgrade.stderr)
        return 1
    os.environ.update(app_env(url))
    sys.path.insert(0, str(ROOT))
    from marketplace import create_app
    app = create_app()
    t0 = time.monotonic()
    work = seed(app, args.per_kind)
    print(f"seeded {sum(map(len, work.values()))} pieces of work in {time.monotonic() - t0:.1f}s")

    server = start_app(url, args.port, args.workers, args.threads, app_log)
    try:
        if not wait_healthy(base, 60):
            print("the app did not start; see", app_log)
            return 1
        master_pid = server.pid

        jobs = [(kind, target, token, f"chaos-{kind}-{target}-{uuid.uuid4().hex[:8]}")
                for kind, items in work.items() for target, token in items]
        random.Random(8).shuffle(jobs)  # nosec B311 - an order, not a secret
        results: dict[str, tuple] = {}
        lock = threading.Lock()
        start = time.monotonic()
        spacing = args.burst_seconds / max(1, len(jobs))

        def fire(i, job):
            kind, target, token, key = job
            delay = start + i * spacing - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            path, body = request_for(kind, target)
            sent = time.monotonic() - start
            status, answer = post(base, path, token, key, body)
            with lock:
                results[key] = (kind, target, token, status, answer, sent)

        restart = {"rc": None, "at": None, "seconds": None}

        def restart_postgres():
            time.sleep(args.restart_at)
            restart["at"] = time.monotonic() - start
            t = time.monotonic()
            rc = subprocess.run(restart_command(), capture_output=True, text=True)  # nosec B603
            restart["rc"], restart["seconds"] = rc.returncode, time.monotonic() - t
            if rc.returncode != 0:
                print(rc.stdout, rc.stderr)

        restarter = None
        if not args.no_restart:
            restarter = threading.Thread(target=restart_postgres)
            restarter.start()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            for i, job in enumerate(jobs):
                pool.submit(fire, i, job)
        if restarter:
            restarter.join()
            print(f"PostgreSQL restarted {restart['at']:.1f}s into the burst "
                  f"(took {restart['seconds']:.1f}s, exit {restart['rc']})")
            if restart["rc"] != 0:
                problems.append("the PostgreSQL restart failed")
        subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-t", "60"])  # nosec B603 B607

        # The app recovers by itself: same master, healthy again.
        if not wait_healthy(base, 30):
            problems.append("the app does not answer /healthz after the restart")
        if server.poll() is not None or server.pid != master_pid:
            problems.append("gunicorn stopped")

        counts = collections.Counter()
        per_kind = collections.defaultdict(collections.Counter)
        for kind, _target, _token, status, answer, _sent in results.values():
            counts[outcome(status)] += 1
            per_kind[kind][outcome(status)] += 1
            if status is None or status >= 500 and status != 503:
                problems.append(f"{kind}: {outcome(status)}: {answer}")
        if len(results) != len(jobs):
            problems.append(f"{len(jobs) - len(results)} requests never finished")

        # State after the burst: 2xx fully applied, anything else left nothing.
        for key, (kind, target, _token, status, answer, _sent) in sorted(results.items()):
            full, none, found = read_state(app, kind, target, key)
            if status is not None and 200 <= status < 300:
                if not full:
                    problems.append(f"{kind} {target}: answered {status} but not fully applied ({found})")
            elif not none:
                problems.append(f"{kind} {target}: answered {status} but left something behind ({found}): "
                                f"{answer}")

        # Send the 503s again with the same key: the app works again and they now succeed.
        retried = collections.Counter()
        for key, (kind, target, token, status, _answer, _sent) in sorted(results.items()):
            if status != 503:
                continue
            path, body = request_for(kind, target)
            again, answer = post(base, path, token, key, body)
            retried[outcome(again)] += 1
            if again is None or not 200 <= again < 300:
                problems.append(f"{kind} {target}: retry answered {again}: {answer}")
                continue
            full, _none, found = read_state(app, kind, target, key)
            if not full:
                problems.append(f"{kind} {target}: retry answered {again} but not fully applied ({found})")

        verify = flask(url, "ledger", "verify")
        if verify.returncode != 0:
            problems.append("flask ledger verify failed:\n" + verify.stdout + verify.stderr)

        print(f"\n{len(results)} requests in {time.monotonic() - start:.1f}s "
              f"({args.per_kind} per kind, {args.concurrency} client threads, "
              f"gunicorn {args.workers} workers x {args.threads} threads)")
        print("outcome   " + "  ".join(f"{k:>8}" for k in ("award", "fund", "release", "all")))
        for name in sorted(counts):
            print(f"{name:<9} " + "  ".join(f"{per_kind[k][name]:>8}" for k in ("award", "fund", "release"))
                  + f"  {counts[name]:>8}")
        if retried:
            print("503s sent again with their key: " + ", ".join(f"{n} {k}" for k, n in sorted(retried.items())))
        print("flask ledger verify: " + ("clean" if verify.returncode == 0 else f"exit {verify.returncode}"))
        if args.keep:
            print(f"app still running on {base} (Ctrl-C to stop)")
            server.wait()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)

    if problems:
        print(f"\nFAILED: {len(problems)} problem(s); app log in {app_log}")
        for line in problems[:50]:
            print("  - " + line)
        return 1
    print("\nchaos: every request completed or left nothing; the ledger is clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
