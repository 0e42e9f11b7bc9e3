"""Ledger throughput: transfers per second through the ledger service.

One transfer is one balanced two-entry transaction posted by `ledger.service.fund_wallet`
(cash:bank -> a wallet) with its own idempotency key and its own commit. Measured on SQLite (a temp
file) and on PostgreSQL (DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/hz_ledger_bench,
in a schema of its own), with 1 and 8 concurrent workers (threads by default, each with its own
connection and commits; --processes forks processes instead), next to `pgbench -b tpcb-like -c 8`
on the same PostgreSQL.

Wallet history (PostgreSQL): debits of one wallet (`ledger.service.request_payout`, which locks the
wallet and checks its balance) on a wallet with 10 prior entries and on one with --history (1M)
prior entries, loaded in SQL (generate_series: balanced transactions of ten 1-fen wallet entries
and one cash entry; the balance trigger sums them into the maintained balance). The two are
measured in alternating rounds in the same database; their ratio should be within 10% of 1.

The database is created if missing and dropped at the end (--keep-database keeps it).

    .venv/bin/python bench/ledger.py [--seconds 8] [--pgbench-seconds 10] [--history 1000000]
                                     [--processes] [--skip-sqlite] [--keep-database]
"""
from __future__ import annotations

import argparse
import glob
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# bench/http.py is named like the standard library's `http`: keep this folder off sys.path.
sys.path[:] = [ROOT] + [p for p in sys.path if os.path.abspath(p or ".") != os.path.join(ROOT, "bench")]

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/hz_ledger_bench"
BENCH_SCHEMA = "bench_ledger"
WALLETS_PER_WORKER = 20


def _make_app(url: str):
    from config import Config
    from marketplace import create_app

    overrides = {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "LOG_JSON": False,
                 # one pooled connection per worker thread (no reconnects from pool overflow)
                 "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 10}}
    if url.startswith("postgresql"):
        # A long-running worker keeps its connection: no liveness ping before every transaction.
        overrides["SQLALCHEMY_ENGINE_OPTIONS"].update({
            "pool_pre_ping": False, "connect_args": {"options": f"-csearch_path={BENCH_SCHEMA}"}})
    return create_app(Config, **overrides)


def _prepare(url: str):
    """A fresh schema for the run; returns the app the workers share."""
    from sqlalchemy import create_engine, text

    from marketplace.extensions import db

    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {BENCH_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {BENCH_SCHEMA}"))
        engine.dispose()
    app = _make_app(url)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return app


def _transfers(app, seconds: float, worker: int, run: str, barrier, forked: bool) -> tuple[int, float]:
    """One worker: create its wallets, wait for the others, then post transfers for `seconds`."""
    from marketplace.core.db import commit
    from marketplace.extensions import db
    from marketplace.ledger import service

    with app.app_context():
        if forked:
            db.engine.dispose(close=False)  # open connections of our own
        owners = [("user", worker * 1000 + i) for i in range(WALLETS_PER_WORKER)]
        for i, owner in enumerate(owners):  # create the accounts before the clock starts
            service.fund_wallet(owner, 1, channel="bank", idempotency_key=f"{run}:warm:{worker}:{i}")
            commit()
        barrier.wait()
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            service.fund_wallet(owners[count % WALLETS_PER_WORKER], 100, channel="bank",
                                idempotency_key=f"{run}:{worker}:{count}")
            commit()
            count += 1
        elapsed = time.perf_counter() - started
        db.session.remove()
    return count, elapsed


def _process_worker(app, seconds, worker, run, barrier, results) -> None:
    results.put(_transfers(app, seconds, worker, run, barrier, forked=True))


def measure(app, workers: int, seconds: float, processes: bool = False) -> float:
    """Transfers per second with `workers` concurrent workers (threads sharing the app and its
    connection pool, or processes forked from this one), each committing one transfer at a time."""
    run = uuid.uuid4().hex[:8]
    if processes:
        ctx = mp.get_context("fork")
        barrier = ctx.Barrier(workers)
        results = ctx.Queue()
        procs = [ctx.Process(target=_process_worker, args=(app, seconds, w, run, barrier, results))
                 for w in range(workers)]
        for p in procs:
            p.start()
        counts = [results.get(timeout=seconds + 120) for _ in procs]
        for p in procs:
            p.join()
    else:
        barrier = threading.Barrier(workers)
        counts = [None] * workers

        def run_thread(w):
            counts[w] = _transfers(app, seconds, w, run, barrier, forked=False)

        threads = [threading.Thread(target=run_thread, args=(w,)) for w in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return sum(c for c, _e in counts) / max(e for _c, e in counts)


# --- wallet history ------------------------------------------------------------------------------

SHORT = ("user", 900001)  # a wallet with 10 prior entries
LONG = ("user", 900002)   # a wallet with --history prior entries
BULK_LEGS = 10            # wallet entries per bulk transaction (plus one cash entry)


def load_history(app, entries: int) -> dict:
    """Give SHORT 10 entries through the service and LONG `entries` wallet entries in SQL; return
    {"seconds": load time, "old_sum_ms": what summing LONG's history costs}."""
    from sqlalchemy import text

    from marketplace.core.db import commit
    from marketplace.extensions import db
    from marketplace.ledger import service

    with app.app_context():
        for owner in (SHORT, LONG):  # a large opening balance: the debits never run out
            service.fund_wallet(owner, 10**12, channel="bank", idempotency_key=f"history:open:{owner[1]}")
        for n in range(9):
            service.fund_wallet(SHORT, 100, channel="bank", idempotency_key=f"history:short:{n}")
        commit()
        wallet = service.wallet_account(LONG).id
        cash = service._find_account("cash:bank", "CNY").id
        started = time.perf_counter()
        transactions = max(1, round((entries - 1) / BULK_LEGS))
        legs = ", ".join([f"({wallet}, 1)"] * BULK_LEGS + [f"({cash}, -{BULK_LEGS})"])
        # Balanced by construction; the deferred per-row balance check would queue one event per row.
        db.session.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_balanced"))
        db.session.execute(text(
            "INSERT INTO ledger_transactions (kind, idempotency_key, request_hash, ref, created_at) "
            "SELECT 'fund_wallet', 'history:bulk:' || g, 'bulk', 'wallet:user:900002', now() "
            "FROM generate_series(1, :n) AS g"), {"n": transactions})
        db.session.execute(text(
            "INSERT INTO ledger_entries (transaction_id, account_id, amount, currency) "
            f"SELECT t.id, v.account_id, v.amount, 'CNY' FROM ledger_transactions t "
            f"CROSS JOIN (VALUES {legs}) AS v(account_id, amount) WHERE t.request_hash = 'bulk'"))
        db.session.execute(text("ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_balanced"))
        commit()
        loaded = time.perf_counter() - started
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE ledger_entries"))
            conn.execute(text("VACUUM ANALYZE ledger_accounts"))
        counts = dict(db.session.execute(text(
            "SELECT a.code, COUNT(*) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id "
            "WHERE a.code IN ('wallet:user:900001', 'wallet:user:900002') GROUP BY a.code")).all())
        t0 = time.perf_counter()
        summed = db.session.execute(text("SELECT SUM(amount) FROM ledger_entries WHERE account_id = :a"),
                                    {"a": wallet}).scalar_one()
        old_sum_ms = (time.perf_counter() - t0) * 1000
        kept = service.wallet_balance(LONG)
        db.session.rollback()
        if kept != summed:
            raise SystemExit(f"maintained balance {kept} != sum of entries {summed}")
        db.session.remove()
    return {"seconds": loaded, "old_sum_ms": old_sum_ms, "counts": counts}


def _debits(app, seconds: float, worker: int, run: str, barrier, owner) -> tuple[int, float]:
    """One worker: request payouts of 1 fen from `owner`'s wallet for `seconds`, one per commit."""
    from marketplace.core.db import commit
    from marketplace.extensions import db
    from marketplace.ledger import service

    with app.app_context():
        service.wallet_balance(owner)  # a warm connection before the clock starts
        db.session.rollback()
        barrier.wait()
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            ref = f"payout:{run}{worker}x{count}"
            service.request_payout(owner, 1, payout_ref=ref, idempotency_key=ref)
            commit()
            count += 1
        elapsed = time.perf_counter() - started
        db.session.remove()
    return count, elapsed


def measure_debits(app, owner, workers: int, seconds: float) -> float:
    run = uuid.uuid4().hex[:8]
    barrier = threading.Barrier(workers)
    counts = [None] * workers

    def run_thread(w):
        counts[w] = _debits(app, seconds, w, run, barrier, owner)

    threads = [threading.Thread(target=run_thread, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(c for c, _e in counts) / max(e for _c, e in counts)


def _ensure_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    engine = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": u.database}).first():
            conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    engine.dispose()


def _drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    engine = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
    engine.dispose()


def _pgbench_binary() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))
    return candidates[-1] if candidates else None


def pgbench_tps(url: str, seconds: int, clients: int = 8) -> float | None:
    from sqlalchemy.engine import make_url

    binary = _pgbench_binary()
    if binary is None:
        print("pgbench not found")
        return None
    u = make_url(url)
    conn = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    subprocess.run([binary, "-i", "-q", "-s", "1", *conn, u.database], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run([binary, "-b", "tpcb-like", "-c", str(clients), "-j", str(min(clients, 4)),
                          "-T", str(seconds), *conn, u.database],
                         check=True, env=env, capture_output=True, text=True).stdout
    match = re.search(r"tps = ([0-9.]+) \((?:without initial connection time|excluding)", out)
    return float(match.group(1)) if match else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each ledger run")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--processes", action="store_true",
                        help="run concurrent workers as forked processes instead of threads")
    parser.add_argument("--history", type=int, default=1_000_000,
                        help="prior entries on the long-history wallet (0: skip the comparison)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per wallet")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    figures = {}
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_url = "sqlite:///" + os.path.join(tmp, "bench.sqlite3")
            app = _prepare(sqlite_url)
            for workers in (1, 8):
                figures[("sqlite", workers)] = measure(app, workers, args.seconds, args.processes)
                print(f"SQLite      {workers} worker(s): {figures[('sqlite', workers)]:8.0f} transfers/s",
                      flush=True)

    pg = None
    history = {}
    if not args.skip_postgres:
        pg_url = os.environ.get("DATABASE_URL", "")
        pg_url = pg_url if pg_url.startswith("postgresql") else DEFAULT_PG
        _ensure_database(pg_url)
        app = None
        try:
            app = _prepare(pg_url)
            for workers in (1, 8):
                figures[("pg", workers)] = measure(app, workers, args.seconds, args.processes)
                print(f"PostgreSQL  {workers} worker(s): {figures[('pg', workers)]:8.0f} transfers/s", flush=True)
            if args.history:
                loaded = load_history(app, args.history)
                print(f"loaded wallet histories {loaded['counts']} in {loaded['seconds']:.1f} s; summing the long "
                      f"one (what every debit used to do) takes {loaded['old_sum_ms']:.0f} ms", flush=True)
                for workers in (1, 8):
                    for _round in range(args.rounds):
                        for name, owner in (("10", SHORT), (f"{args.history}", LONG)):
                            tps = measure_debits(app, owner, workers, args.seconds)
                            history.setdefault((name, workers), []).append(tps)
                            print(f"PostgreSQL  debits, {workers} worker(s), wallet with {name:>7} prior entries: "
                                  f"{tps:8.0f} transfers/s", flush=True)
            pg = pgbench_tps(pg_url, args.pgbench_seconds)
        finally:
            if not args.keep_database:
                if app is not None:
                    from marketplace.extensions import db
                    with app.app_context():
                        db.engine.dispose()
                _drop_database(pg_url)

    print()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.skip_sqlite:
        sqlite_best = max(figures[("sqlite", 1)], figures[("sqlite", 8)])
        print(f"SQLite best: {sqlite_best:.0f} transfers/s (target >= 500): "
              f"{'ok' if sqlite_best >= 500 else 'BELOW TARGET'}")
    for workers in (1, 8):
        short, long = history.get(("10", workers)), history.get((f"{args.history}", workers))
        if short and long:
            ratio = (sum(long) / len(long)) / (sum(short) / len(short))
            print(f"debits, {workers} worker(s): {args.history} prior entries / 10 prior entries = {ratio:.2f} "
                  f"(target within 10%: 0.90..1.10): {'ok' if 0.9 <= ratio <= 1.1 else 'OUTSIDE TARGET'}")
    if pg:
        ratio = figures[("pg", 8)] / pg
        print(f"pgbench tpcb-like, 8 clients: {pg:.0f} tps")
        print(f"ledger (8 workers) / pgbench = {ratio:.2f} (target >= 0.5): "
              f"{'ok' if ratio >= 0.5 else 'BELOW TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
