"""Many requests at once: the harness of the PostgreSQL race tests."""
from __future__ import annotations

import threading

from marketplace.core.db import commit
from marketplace.extensions import db


def race_clients(app, send, threads: int = 32) -> list:
    """Run send(client, i) in `threads` threads, each with its own test client, released together
    by a barrier. Returns each thread's result, or the exception it raised."""
    barrier = threading.Barrier(threads)
    results: list = [None] * threads

    def run(i):
        client = app.test_client()
        barrier.wait()
        try:
            results[i] = send(client, i)
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertions
            results[i] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(120)
    return results


def race_services(app, work, threads: int = 32, join_seconds: int = 90) -> list:
    """Run work(i) in `threads` threads, each in its own app context and session, released
    together by a barrier, each committing its own unit of work. Returns ("ok", value) or
    ("err", exception) per thread."""
    barrier = threading.Barrier(threads)
    results: list = [None] * threads

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                value = work(i)
                commit()
                results[i] = ("ok", value)
            except Exception as exc:  # noqa: BLE001 - reported by the caller's assertions
                db.session.rollback()
                results[i] = ("err", exc)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(join_seconds)
    return results
