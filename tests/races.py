"""Many requests at once: the harness of the PostgreSQL race tests."""
from __future__ import annotations

import threading


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
