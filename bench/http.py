"""Pages and API list under load, side by side with a minimal Flask + SQLAlchemy app.

Seeds the database with `flask demo scale` up to --tasks, starts Huizhong under gunicorn
(--workers × --threads) and bench/minimal_app.py the same way over the same rows, drives them with
one load generator in the same run (wrk, installed from Debian when missing and possible; else a
bounded Python generator), and prints requests per second, p99 and the ratio Huizhong / minimal,
then the RSS of each gunicorn worker.

Huizhong runs twice: as deployed, with the visitor page cache (PAGE_CACHE_SECONDS, its version in
Redis at --redis when that answers), and with the cache off (PAGE_CACHE_SECONDS=0), which is what
a signed-in user or a cache miss costs. The paths:

- the task list `/tasks/`, one task page, `GET /api/v1/tasks` (the issue's three figures);
- "task pages, N ids": each request a task page drawn at random from the --ids newest open tasks;
- "lists, filters": each request the list with one of a dozen filters (mode, city, category, sort,
  a keyword), as visitors browse. The minimal app ignores the query string and
  lists the newest tasks, so these figures favour it.

    .venv/bin/python bench/http.py --url postgresql+psycopg://postgres@127.0.0.1:5432/scale_100k \
        --tasks 100000 [--seconds 10] [--connections 16] [--port 5210] [--ids 1000]

Traffic goes to 127.0.0.1 only; every run is bounded by --seconds per path and application.
"""
from __future__ import annotations

import os
import sys

# This file is named like the standard library's `http`: run as a script, its folder comes first
# on sys.path, so put the project root there instead before importing http.client.
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:] = [ROOT] + [p for p in sys.path if os.path.abspath(p or ".") != HERE]

import argparse  # noqa: E402
import http.client  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

BIN = os.path.join(ROOT, ".venv", "bin")


def _start(app: str, port: int, url: str, workers: int, threads: int, extra_env: dict) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, RATELIMIT_ENABLED="false", LOG_JSON="false",
               HUIZHONG_ENV="development", FLASK_DEBUG="0", **extra_env)
    # The access log of every request goes to a file, not over the figures.
    os.makedirs(os.path.join(ROOT, "instance"), exist_ok=True)
    log = open(os.path.join(ROOT, "instance", f"bench-{app.split(':')[0].replace('.', '-')}-{port}.log"), "w")
    process = subprocess.Popen(
        [os.path.join(BIN, "gunicorn"), "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", app], cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log)
    log.close()
    for _ in range(120):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/tasks")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.5)
    _stop(process)
    raise SystemExit(f"{app} did not start on port {port}")


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def _worker_rss_mb(process: subprocess.Popen) -> list[float]:
    out = subprocess.run(["ps", "-o", "pid=,rss=", "--ppid", str(process.pid)], capture_output=True, text=True).stdout
    return [int(line.split()[1]) / 1024 for line in out.strip().splitlines() if line.strip()]


def _ensure_wrk() -> str | None:
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which("wrk")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def _wrk(wrk: str, base: str, paths: list[str], seconds: int, connections: int) -> tuple[float, float]:
    """wrk on one path, or on many through a Lua script picking one at random per request."""
    command = [wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", base + paths[0]]
    script = None
    if len(paths) > 1:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        quoted = ", ".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in paths)
        # Each wrk thread has its own Lua state: seed each differently.
        script.write(f"local paths = {{{quoted}}}\n"
                     "local threads = 0\n"
                     "function setup(thread) threads = threads + 1; thread:set(\"seed\", threads) end\n"
                     "function init(args) math.randomseed(seed * 7919 + os.time()) end\n"
                     "request = function() return wrk.format(\"GET\", paths[math.random(#paths)]) end\n")
        script.close()
        command[1:1] = ["-s", script.name]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        if script:
            os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        print(f"   ! {bad.group(1)} non-2xx responses from {base}{paths[0]}{' …' if len(paths) > 1 else ''}")
    return rps, _ms(*p99.groups()) if p99 else float("nan")


def _python_load(base: str, paths: list[str], seconds: int, connections: int) -> tuple[float, float]:
    """A bounded generator: `connections` threads with keep-alive, for `seconds` seconds."""
    match = re.match(r"http://([^:/]+):(\d+)", base)
    host, port = match.group(1), int(match.group(2))
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def run():
        conn = http.client.HTTPConnection(host, port, timeout=10)
        mine = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            conn.request("GET", random.choice(paths))
            conn.getresponse().read()
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return len(latencies) / seconds, latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan")


# What a visitor does to the list besides opening it: filters, a keyword, another sort.
LIST_FILTERS = ["", "mode=tender", "mode=claim", "mode=bounty", "city=wuhan-hongshan", "city=xiangyang",
                "category=home_care", "sort=deadline", "sort=amount", "q=研发", "q=fpga", "mode=tender&city=enshi"]


def _apps(args) -> dict[str, tuple[str, int, dict]]:
    """name → (gunicorn target, port, extra environment)."""
    cached = {"PAGE_CACHE_SECONDS": str(args.cache_seconds)}
    if _redis_answers(args.redis):
        cached["PAGE_CACHE_REDIS_URL"] = args.redis
    return {"huizhong": ("wsgi:app", args.port, cached),
            "no cache": ("wsgi:app", args.port + 2, {"PAGE_CACHE_SECONDS": "0"}),
            "minimal": ("bench.minimal_app:app", args.port + 1, {})}


def _redis_answers(url: str) -> bool:
    match = re.match(r"redis://([^:/]+):(\d+)", url or "")
    if not match:
        return False
    import socket
    try:
        with socket.create_connection((match.group(1), int(match.group(2))), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _paths(url: str, ids: int) -> list[tuple[str, list[str]]]:
    from urllib.parse import quote

    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        newest = conn.execute(text("SELECT id FROM tasks WHERE status = 'open' AND visibility = 'public' "
                                   "ORDER BY listed_at DESC LIMIT :n"), {"n": max(ids, 51)}).scalars().all()
    engine.dispose()
    lists = ["/tasks/" + ("?" + "&".join(k + "=" + quote(v) for k, v in (p.split("=") for p in f.split("&")))
                          if f else "") for f in LIST_FILTERS]
    return [("task list", ["/tasks/"]), ("task page", [f"/tasks/{newest[50]}"]), ("API list", ["/api/v1/tasks"]),
            (f"task pages, {len(newest[:ids])} ids", [f"/tasks/{i}" for i in newest[:ids]]),
            (f"lists, {len(lists)} filters", lists)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL",
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/scale_100k"))
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=5210, help="Huizhong; the minimal app +1, no cache +2")
    parser.add_argument("--ids", type=int, default=1000, help="task pages drawn from the N newest open tasks")
    parser.add_argument("--cache-seconds", type=int, default=15, help="PAGE_CACHE_SECONDS of the cached run")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
                        help="the page cache's shared version store (skipped when it does not answer)")
    parser.add_argument("--apps", default="huizhong,no cache,minimal", help="comma-separated subset")
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--python-load", action="store_true", help="use the Python generator even if wrk exists")
    args = parser.parse_args()

    if not args.no_seed:
        from bench.search import seed
        if args.url.startswith("postgresql"):
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url
            admin = create_engine(make_url(args.url).set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                name = make_url(args.url).database
                if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
        seed(args.url, args.tasks)

    from sqlalchemy import create_engine, text
    engine = create_engine(args.url)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM tasks")).scalar()
    engine.dispose()
    paths = _paths(args.url, args.ids)
    wrk = None if args.python_load else _ensure_wrk()
    load = (lambda base, urls: _wrk(wrk, base, urls, args.seconds, args.connections)) if wrk else \
        (lambda base, urls: _python_load(base, urls, args.seconds, args.connections))
    wanted = [a.strip() for a in args.apps.split(",")]
    apps = {name: spec for name, spec in _apps(args).items() if name in wanted}
    print(f"{total} tasks; gunicorn {args.workers} workers × {args.threads} threads; {args.connections} connections, "
          f"{args.seconds} s per path; load generator: {'wrk' if wrk else 'python'}; page cache "
          f"{args.cache_seconds} s, version in {apps.get('huizhong', ('', 0, {}))[2].get('PAGE_CACHE_REDIS_URL', 'each process')}"
          f"; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    results: dict[tuple[str, str], tuple[float, float]] = {}
    rss: dict[str, list[float]] = {}
    for name, (target, port, extra_env) in apps.items():
        process = _start(target, port, args.url, args.workers, args.threads, extra_env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _label, urls in paths[:3]:  # warm up every worker
                _python_load(base, urls, 1, 4)
            for label, urls in paths:
                results[(name, label)] = load(base, urls)
                print(f"  {name:<9} {label:<22} {results[(name, label)][0]:>8.1f} rps  "
                      f"p99 {results[(name, label)][1]:>7.1f} ms", flush=True)
            rss[name] = _worker_rss_mb(process)
        finally:
            _stop(process)
    names = list(apps)
    header = f"\n{'path':<22}" + "".join(f" {n + ' rps':>14} {'p99 ms':>7}" for n in names)
    others = [n for n in names if n != "minimal"] if "minimal" in names else []
    header += "".join(f" {n + ' / minimal':>19}" for n in others)
    print(header)
    for label, _urls in paths:
        line = f"{label:<22}" + "".join(f" {results[(n, label)][0]:>14.1f} {results[(n, label)][1]:>7.1f}"
                                        for n in names)
        line += "".join(f" {results[(n, label)][0] / results[('minimal', label)][0]:>19.2f}" for n in others)
        print(line)
    for name, values in rss.items():
        print(f"worker RSS {name}: " + ", ".join(f"{v:.0f} MB" for v in values))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
