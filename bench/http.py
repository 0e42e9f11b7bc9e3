"""Pages and API list under load, side by side with a minimal Flask + SQLAlchemy app.

Seeds the database with `flask demo scale` up to --tasks, starts Huizhong under gunicorn
(--workers × --threads) and bench/minimal_app.py the same way over the same rows, drives both with
one load generator in the same run (wrk, installed from Debian when missing and possible; else a
bounded Python generator), and prints requests per second, p99 and the ratio Huizhong / minimal for
the task list, a task page and GET /api/v1/tasks, then the RSS of each gunicorn worker.

    .venv/bin/python bench/http.py --url postgresql+psycopg://postgres@127.0.0.1:5432/scale_100k \
        --tasks 100000 [--seconds 10] [--connections 16] [--port 5210]

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
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

BIN = os.path.join(ROOT, ".venv", "bin")


def _start(app: str, port: int, url: str, workers: int, threads: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, RATELIMIT_ENABLED="false", LOG_JSON="false",
               HUIZHONG_ENV="development", FLASK_DEBUG="0")
    # The access log of every request goes to a file, not over the figures.
    os.makedirs(os.path.join(ROOT, "instance"), exist_ok=True)
    log = open(os.path.join(ROOT, "instance", f"bench-{app.split(':')[0].replace('.', '-')}.log"), "w")
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


def _wrk(wrk: str, url: str, seconds: int, connections: int) -> tuple[float, float]:
    out = subprocess.run([wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        print(f"   ! {bad.group(1)} non-2xx responses from {url}")
    return rps, _ms(*p99.groups()) if p99 else float("nan")


def _python_load(url: str, seconds: int, connections: int) -> tuple[float, float]:
    """A bounded generator: `connections` threads with keep-alive, for `seconds` seconds."""
    match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def run():
        conn = http.client.HTTPConnection(host, port, timeout=10)
        mine = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            conn.request("GET", path)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL",
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/scale_100k"))
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=5210)
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
        task_id = conn.execute(text("SELECT id FROM tasks WHERE status = 'open' AND visibility = 'public' "
                                    "ORDER BY listed_at DESC LIMIT 1 OFFSET 50")).scalar()
        total = conn.execute(text("SELECT count(*) FROM tasks")).scalar()
    engine.dispose()
    wrk = None if args.python_load else _ensure_wrk()
    load = (lambda url: _wrk(wrk, url, args.seconds, args.connections)) if wrk else \
        (lambda url: _python_load(url, args.seconds, args.connections))
    paths = [("task list", "/tasks/"), ("task page", f"/tasks/{task_id}"), ("API list", "/api/v1/tasks")]
    apps = {"huizhong": ("wsgi:app", args.port), "minimal": ("bench.minimal_app:app", args.port + 1)}
    print(f"{total} tasks; gunicorn {args.workers} workers × {args.threads} threads; {args.connections} connections, "
          f"{args.seconds} s per path; load generator: {'wrk' if wrk else 'python'}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    results: dict[tuple[str, str], tuple[float, float]] = {}
    rss: dict[str, list[float]] = {}
    for name, (target, port) in apps.items():
        process = _start(target, port, args.url, args.workers, args.threads)
        try:
            for _label, path in paths:  # warm up every worker
                _python_load(f"http://127.0.0.1:{port}{path}", 1, 4)
            for label, path in paths:
                results[(name, label)] = load(f"http://127.0.0.1:{port}{path}")
            rss[name] = _worker_rss_mb(process)
        finally:
            _stop(process)
    print(f"\n{'path':<12} {'huizhong rps':>13} {'p99 ms':>8} {'minimal rps':>12} {'p99 ms':>8} {'ratio':>6}")
    for label, _path in paths:
        h_rps, h_p99 = results[("huizhong", label)]
        m_rps, m_p99 = results[("minimal", label)]
        print(f"{label:<12} {h_rps:>13.1f} {h_p99:>8.1f} {m_rps:>12.1f} {m_p99:>8.1f} {h_rps / m_rps:>6.2f}")
    for name, values in rss.items():
        print(f"worker RSS {name}: " + ", ".join(f"{v:.0f} MB" for v in values))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
