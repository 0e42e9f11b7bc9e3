"""Schemathesis against the live application: every operation of /api/v1/openapi.json, fed with
requests generated from the document itself, must never answer 5xx.

    .venv/bin/python tests/fuzz/run_schemathesis.py [--port N] [--max-examples N] [--seed N]

What it does, in a scratch directory that it removes afterwards:
1. a fresh SQLite database, migrated, with the demo data (`flask demo load`);
2. API tokens for a demo poster (who owns tasks, contracts and disputes) and for the demo operator;
3. the application under gunicorn (tests/fuzz/server.py: the WSGI app plus a log of every answer);
4. `st run` twice: the operator's operations with the operator's token, every other operation with
   the poster's. Checks: no server error, and every answer fits the document (status code, content
   type, response schema).

It prints, per operation, how many generated requests were answered 2xx, 422 (the body or query was
refused as invalid), another 4xx, or 5xx, and exits non-zero on any 5xx or failed check. `make fuzz`
runs it; .ci/run runs it as its own step.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import socket
import subprocess  # nosec B404 - runs our own app and the schemathesis CLI
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(workdir: Path, log: Path) -> dict:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "RATELIMIT_STORAGE_URI", "FILE_STORE", "STRIPE_SECRET_KEY", "STRIPE_API_BASE"):
        env.pop(name, None)
    env.update({
        "HUIZHONG_ENV": "development",
        "DATABASE_URL": f"sqlite:///{workdir / 'fuzz.sqlite3'}",
        "SECRET_KEY": "fuzz-" + "x" * 40,
        "UPLOAD_DIR": str(workdir / "uploads"),
        # Generated requests come by the thousand from one address: limits would answer 429 to most.
        "RATELIMIT_ENABLED": "false",
        "FUZZ_LOG": str(log),
        "PYTHONPATH": str(ROOT),
    })
    return env


# Where the ids of seeded objects live, by path parameter; most generated requests take one of
# these (the rest are random within the documented range, which mostly means 404).
SEEDED_IDS = {
    "task_id": "select id from tasks", "bid_id": "select id from bids",
    "contract_id": "select id from contracts", "milestone_id": "select id from milestones",
    "dispute_id": "select id from disputes", "engagement_id": "select id from engagements",
    "expert_id": "select id from experts", "funding_id": "select id from fundings",
    "membership_id": "select id from memberships", "org_id": "select id from organisations",
    "payout_id": "select id from payouts", "question_id": "select id from task_questions",
    "report_id": "select id from reports", "review_id": "select id from reviews",
    "request_id": "select id from verification_requests", "transfer_id": "select id from fundings",
    "user_id": "select id from users", "solver_id": "select id from users",
    "public_id": "select public_id from bounty_submissions union select public_id from delivery_files "
                 "union select public_id from bounty_submission_files "
                 "union select public_id from dispute_evidence_files",
    "sha256": "select sha256 from bounty_submissions",
    "name": "select name from negative_rules",
}
# The two callers are left out of the user ids offered, so the operator pass does not spend its
# examples suspending itself; their tokens get ids no generator reaches by chance (see SEED).
PROTECTED = {"user_id"}


def write_config(workdir: Path, database: Path, probability: float) -> Path:
    import sqlite3

    lines = []
    bindings = []
    with sqlite3.connect(database) as conn:
        protected = {row[0] for row in conn.execute(
            "select user_id from api_tokens where name = 'fuzz'")}
        for name, sql in SEEDED_IDS.items():
            values = [row[0] for row in conn.execute(sql) if row[0] is not None]
            if name in PROTECTED:
                values = [v for v in values if v not in protected]
            if not values:
                continue
            lines.append(f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n")
            bindings.append(f'"path.{name}" = {{ dictionary = "{name}", probability = {probability} }}')
    # The coverage phase would also send every other HTTP method to every path (405s): the
    # hostile-input test covers routing; the time goes to the documented operations instead.
    text = ("[phases.coverage]\nunexpected-methods = []\n\n" + "\n".join(lines)
            + "\n[parameters]\n" + "\n".join(bindings) + "\n")
    path = workdir / "schemathesis.toml"
    path.write_text(text)
    return path


SEED = """
from marketplace import create_app
from marketplace.accounts import service, tokens
from marketplace.core.db import commit
from marketplace.extensions import db
import json, sys
app = create_app()
with app.app_context():
    out = {}
    for key, email in (("poster", "poster@huizhong.example"), ("operator", "operator@huizhong.example")):
        user = service.find_by_email(email)
        _, token = tokens.create_token(user, "fuzz")
        out[key] = token
    commit()
    # DELETE /tokens/{token_id} with a small generated id would revoke the run's own token.
    db.session.execute(db.text("update api_tokens set id = id + 4611686018427387904 where name = 'fuzz'"))
    commit()
    json.dump(out, sys.stdout)
"""


def prepare(env: dict) -> dict:
    """Migrate, load the demo data and mint the two tokens."""
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,  # nosec B603
                   stdout=subprocess.DEVNULL)
    subprocess.run([*flask, "demo", "load"], cwd=ROOT, env=env, check=True,  # nosec B603
                   stdout=subprocess.DEVNULL)
    out = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=env, check=True,  # nosec B603
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def start_server(env: dict, port: int, workdir: Path) -> subprocess.Popen:
    server_log = open(workdir / "server.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(  # nosec B603
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "1",
         "--timeout", "60", "--log-level", "warning", "tests.fuzz.server:app"],
        cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/v1/openapi.json"
    for _ in range(120):
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped:\n{(workdir / 'server.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # nosec B310 - our own local server
                return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the server did not answer within 60 s")


def run_st(base: str, token: str, args, selection: list[str], workdir: Path, name: str) -> int:
    command = [
        str(BIN / "st"), "--config-file", str(workdir / "schemathesis.toml"), "run", f"{base}/api/v1/openapi.json", "--url", base,
        "-H", f"Authorization: Bearer {token}",
        "--checks", args.checks,
        "--max-examples", str(args.max_examples),
        "--mode", args.mode,
        "--phases", args.phases,
        "--workers", "1",
        "--seed", str(args.seed),
        "--request-timeout", "30",
        "--suppress-health-check", "all",
        "--report", "junit", "--report-dir", str(workdir / f"report-{name}"),
        *selection,
    ]
    print(f"\n$ st run ... {' '.join(selection)}  (max {args.max_examples} examples, mode {args.mode})",
          flush=True)
    return subprocess.run(command, cwd=workdir, env={**os.environ, "NO_COLOR": "1"}).returncode  # nosec B603


def operation_of(entry: dict, templates: list[tuple[re.Pattern, str]]) -> str:
    if "(no route)" not in entry["op"]:
        return entry["op"]
    method = entry["op"].split()[0]
    for pattern, template in templates:
        if pattern.fullmatch(entry["path"]):
            return f"{method} {template}"
    return f"{method} (no route)"


def summarise(log: Path, document: dict, out: Path | None) -> tuple[int, dict]:
    templates = [(re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))), path)
                 for path in sorted(document["paths"], key=len, reverse=True)]
    counts: dict = collections.defaultdict(collections.Counter)
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if not entry.get("case"):
            continue  # the document fetches, not generated requests
        op = operation_of(entry, templates)
        status = entry["status"]
        bucket = "2xx" if status < 300 else "422" if status == 422 else "4xx" if status < 500 else "5xx"
        if 300 <= status < 400:
            bucket = "4xx"
        counts[op][bucket] += 1
    server_errors = sum(c["5xx"] for c in counts.values())
    print(f"\n{'operation':<62} {'n':>5} {'2xx':>5} {'422':>5} {'4xx':>5} {'5xx':>4} {'422%':>5}")
    table = {}
    for op in sorted(counts):
        c = counts[op]
        n = sum(c.values())
        table[op] = dict(c, n=n)
        print(f"{op[:62]:<62} {n:>5} {c['2xx']:>5} {c['422']:>5} {c['4xx']:>5} {c['5xx']:>4} "
              f"{100 * c['422'] // max(n, 1):>4}%")
    total = collections.Counter()
    for c in counts.values():
        total.update(c)
    n = sum(total.values())
    mostly_refused = [op for op, c in table.items() if c.get("422", 0) * 2 > c["n"]]
    print(f"\n{len(counts)} operations, {n} generated requests: {total['2xx']} 2xx, {total['422']} 422, "
          f"{total['4xx']} other 4xx, {total['5xx']} 5xx; {len(mostly_refused)} operations answered 422 "
          f"to more than half of them")
    if out:
        out.write_text(json.dumps(table, indent=1, sort_keys=True))
    return server_errors, table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("FUZZ_PORT", "0")),
                        help="port for the application (default: a free one)")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("FUZZ_MAX_EXAMPLES", "10")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "20261130")))
    parser.add_argument("--mode", default=os.environ.get("FUZZ_MODE", "all"),
                        choices=("positive", "negative", "all"))
    parser.add_argument("--phases", default=os.environ.get("FUZZ_PHASES", "examples,coverage,fuzzing"))
    parser.add_argument("--checks", default=os.environ.get("FUZZ_CHECKS", CHECKS))
    parser.add_argument("--seeded-share", type=float, default=0.8,
                        help="how often a path id is one of a seeded object (default 0.8)")
    parser.add_argument("--stats", type=Path, help="write the per-operation counts here (JSON)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="huizhong-fuzz-"))
    log = workdir / "answers.jsonl"
    env = app_env(workdir, log)
    started = time.monotonic()
    proc = None
    try:
        tokens = prepare(env)
        port = args.port or free_port()
        write_config(workdir, workdir / "fuzz.sqlite3", args.seeded_share)
        proc = start_server(env, port, workdir)
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/api/v1/openapi.json") as response:  # nosec B310
            document = json.load(response)
        print(f"ready in {time.monotonic() - started:.0f}s: {base}, "
              f"{sum(len(v) for v in document['paths'].values())} operations", flush=True)
        rc_member = run_st(base, tokens["poster"], args, ["--exclude-tag", "operator"], workdir, "member")
        rc_operator = run_st(base, tokens["operator"], args, ["--include-tag", "operator"], workdir, "operator")
        server_errors, _ = summarise(log, document, args.stats)
        if server_errors:
            print("\nserver log (tail):\n" + (workdir / "server.log").read_text()[-6000:])
        print(f"\nfinished in {time.monotonic() - started:.0f}s")
        failed = bool(server_errors) or rc_operator != 0 or rc_member != 0
        print("FAILED" if failed else "passed: no 5xx, every check held")
        return 1 if failed else 0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
