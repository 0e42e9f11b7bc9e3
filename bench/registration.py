"""Registration timing: a new email against an email that already has an account.

Registration must not tell whether an address has an account, by its answer or by its time. This
posts the registration form (and the API) alternately with new and taken addresses in the same run,
with the production password hashing, and prints the median and p90 times of each and the ratio
taken / new (about 1.0 means the timing tells nothing; the rows are committed like a real request).

    .venv/bin/python bench/registration.py [--rounds 40]

Runs on a temporary SQLite file; nothing is sent (no MAIL_SERVER).
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# bench/http.py is named like the standard library's `http`: keep this folder off sys.path.
sys.path[:] = [ROOT] + [p for p in sys.path if os.path.abspath(p or ".") != os.path.join(ROOT, "bench")]

from config import TestingConfig  # noqa: E402
from marketplace import create_app  # noqa: E402
from marketplace.accounts import service  # noqa: E402
from marketplace.core.db import commit  # noqa: E402
from marketplace.extensions import db  # noqa: E402

PASSWORD = "river-lantern-2026"


def _figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="hz-bench-registration-")
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.sqlite3",
                     UPLOAD_DIR=tmp, PASSWORD_HASH_FAST=False, TESTING=False)
    logging.disable(logging.INFO)  # the mails and the access log would go to the terminal
    with app.app_context():
        db.create_all()
        taken = [f"taken{i}@example.com" for i in range(args.rounds)]
        for email in taken:
            service.register(email=email, password=PASSWORD, display_name="Owner")
        commit()
    client = app.test_client()
    page = {"new": [], "taken": []}
    api = {"new": [], "taken": []}
    form = {"password": PASSWORD, "confirm": PASSWORD, "display_name": "李明", "account_type": "individual"}
    for i in range(args.rounds):
        for kind, email in (("new", f"new{i}@example.com"), ("taken", taken[i])):
            start = time.perf_counter()
            resp = client.post("/register", data={**form, "email": email})
            page[kind].append(time.perf_counter() - start)
            assert resp.status_code == 303, resp.status_code
        for kind, email in (("new", f"api{i}@example.com"), ("taken", taken[i])):
            start = time.perf_counter()
            resp = client.post("/api/v1/users", json={"email": email, "password": PASSWORD, "display_name": "李明"})
            api[kind].append(time.perf_counter() - start)
            assert resp.status_code == 202, resp.status_code
    print(f"Registration, {args.rounds} rounds each, production password hashing (SQLite)")
    for name, runs in (("page POST /register", page), ("API POST /api/v1/users", api)):
        ratio = statistics.median(runs["taken"]) / statistics.median(runs["new"])
        print(f"{name}")
        print(f"  new email    {_figures(runs['new'])}")
        print(f"  taken email  {_figures(runs['taken'])}")
        print(f"  ratio taken / new (median): {ratio:.2f}")


if __name__ == "__main__":
    main()
