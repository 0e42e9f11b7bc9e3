"""Lock order on PostgreSQL: a posting locks the wallets it pays into before the escrow, even a
wallet that another transaction creates while this one waits for the escrow.

The interleaving that deadlocked (found by the mixed-postings race test, one run in many): release A
to a solver without a wallet found no wallet to lock and queued for the escrow; meanwhile the
solver's wallet was created, and release B locked it and queued for the escrow too. When A got the
escrow, the balance trigger needed the wallet B held, while B waited for the escrow A held. Here
the steps are taken one at a time, each waiting until PostgreSQL shows the earlier ones blocked."""
from __future__ import annotations

import threading
import time

from sqlalchemy import text

from marketplace.core.db import commit
from marketplace.extensions import db
from marketplace.ledger import service
from marketplace.ledger.models import LedgerAccount
from marketplace.ledger.verify import verify
from tests.factories_ledger import fund_escrow, key

POSTER = ("user", 1)
SOLVER = ("user", 2)


def _waiting_on_locks() -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock'")).scalar()


def _until(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the interleaving did not happen"
        time.sleep(0.02)


def test_a_wallet_created_while_a_release_waits_for_the_escrow_does_not_deadlock(app, postgres_only):
    fund_escrow("bounty:7", POSTER, 3000, holds=[("bounty:7:prize:1", 2000), ("bounty:7:prize:2", 1000)])
    escrow_id = db.session.execute(db.select(LedgerAccount.id).where(LedgerAccount.code.like("%bounty:7"),
                                                                     LedgerAccount.kind == "escrow")).scalar_one()
    assert service.wallet_balance(SOLVER) == 0
    db.session.remove()
    results: dict[str, object] = {}
    threads: dict[str, threading.Thread] = {}

    def start(name, work):
        def run():
            with app.app_context():
                try:
                    work()
                    commit()
                    results[name] = "ok"
                except Exception as exc:  # noqa: BLE001 - asserted below
                    db.session.rollback()
                    results[name] = exc
                finally:
                    db.session.remove()

        threads[name] = threading.Thread(target=run)
        threads[name].start()

    def blocked_or_done(names):
        return _waiting_on_locks() >= sum(1 for n in names if threads[n].is_alive())

    holder = db.engine.connect()
    try:
        transaction = holder.begin()
        holder.execute(text("SELECT id FROM ledger_accounts WHERE id = :id FOR NO KEY UPDATE"), {"id": escrow_id})
        start("release 1", lambda: service.release("bounty:7:prize:1", SOLVER, idempotency_key=key("r"), fee_bps=0))
        _until(lambda: _waiting_on_locks() >= 1)
        start("wallet", lambda: service.fund_wallet(SOLVER, 100, channel="bank", idempotency_key=key("w")))
        _until(lambda: blocked_or_done(["release 1", "wallet"]))
        start("release 2", lambda: service.release("bounty:7:prize:2", SOLVER, idempotency_key=key("r"), fee_bps=0))
        _until(lambda: blocked_or_done(["release 1", "wallet", "release 2"]))
        transaction.commit()
    finally:
        holder.close()
    for thread in threads.values():
        thread.join(60)

    assert results == {"release 1": "ok", "wallet": "ok", "release 2": "ok"}
    assert service.wallet_balance(SOLVER) == 3100
    report = verify()
    assert report.ok, report.format()
