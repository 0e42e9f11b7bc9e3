"""The timer framework: scheduling, sweeping, failure isolation, retries and concurrent sweepers."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest
from sqlalchemy.exc import IntegrityError

from marketplace.core.audit import AuditEntry
from marketplace.core.db import after_commit, commit
from marketplace.core.errors import WrongState
from marketplace.extensions import db
from marketplace.jobs import service
from marketplace.jobs.models import Timer
from marketplace.jobs.service import MAX_ATTEMPTS, cancel, pending_due_at, register_handler, run_due, schedule

T0 = dt.datetime(2026, 5, 1, 9, 0, 0)
WORK = "test.work"
FLAKY = "test.flaky"
BROKEN = "test.broken"
STALE = "test.stale"
REARM = "test.rearm"
SLOW = "test.slow"

calls: list[str] = []
flaky_failures: dict[str, int] = {}
callbacks_run: list[str] = []


def _work(ref, now):
    db.session.add(AuditEntry(action=WORK, target_type="test", target_id=ref,
                              details={"now": now.isoformat()}))
    after_commit(callbacks_run.append, ref)


def _flaky(ref, now):
    _work(ref, now)  # written, then undone by the failure
    if flaky_failures.get(ref, 0) > 0:
        flaky_failures[ref] -= 1
        raise RuntimeError(f"flaky failure for {ref}")


def _broken(ref, now):
    _work(ref, now)
    raise RuntimeError("always broken")


def _stale(ref, now):
    _work(ref, now)
    raise WrongState("already accepted")


def _rearm(ref, now):
    _work(ref, now)
    schedule(REARM, ref, now + dt.timedelta(hours=1))


def _slow(ref, now):
    time.sleep(0.005)
    with _lock:
        calls.append(ref)
    _work(ref, now)


_lock = threading.Lock()
for kind, fn in ((WORK, _work), (FLAKY, _flaky), (BROKEN, _broken), (STALE, _stale),
                 (REARM, _rearm), (SLOW, _slow)):
    register_handler(kind, fn)


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()
    flaky_failures.clear()
    callbacks_run.clear()
    yield


def work_done() -> list[str]:
    return sorted(db.session.scalars(
        db.select(AuditEntry.target_id).where(AuditEntry.action == WORK)))


def timer(kind, ref) -> Timer:
    db.session.expire_all()
    return db.session.execute(
        db.select(Timer).where(Timer.kind == kind, Timer.subject_ref == ref)
        .order_by(Timer.id.desc()).limit(1)).scalar_one()


def test_only_due_timers_run():
    schedule(WORK, "thing:1", T0 - dt.timedelta(minutes=1))
    schedule(WORK, "thing:2", T0)
    schedule(WORK, "thing:3", T0 + dt.timedelta(seconds=1))
    commit()

    assert run_due(T0) == 2

    assert work_done() == ["thing:1", "thing:2"]
    assert timer(WORK, "thing:1").status == "done"
    assert timer(WORK, "thing:1").done_at == T0
    assert timer(WORK, "thing:3").status == "pending"
    assert callbacks_run == ["thing:1", "thing:2"]


def test_running_twice_does_the_work_once():
    schedule(WORK, "thing:1", T0)
    commit()

    assert run_due(T0) == 1
    assert run_due(T0 + dt.timedelta(days=1)) == 0

    assert work_done() == ["thing:1"]


def test_schedule_again_moves_the_pending_timer():
    first = schedule(WORK, "thing:1", T0)
    commit()
    again = schedule(WORK, "thing:1", T0 + dt.timedelta(hours=2))
    commit()

    assert again.id == first.id
    assert db.session.scalar(db.select(db.func.count(Timer.id))) == 1
    assert pending_due_at(WORK, "thing:1") == T0 + dt.timedelta(hours=2)
    assert run_due(T0 + dt.timedelta(hours=1)) == 0
    assert run_due(T0 + dt.timedelta(hours=2)) == 1
    assert work_done() == ["thing:1"]


def test_schedule_accepts_aware_times_as_utc():
    beijing = dt.timezone(dt.timedelta(hours=8))
    schedule(WORK, "thing:1", dt.datetime(2026, 5, 1, 17, 0, tzinfo=beijing))
    commit()
    assert pending_due_at(WORK, "thing:1") == T0


def test_a_done_timer_can_be_scheduled_again():
    schedule(WORK, "thing:1", T0)
    commit()
    run_due(T0)
    schedule(WORK, "thing:1", T0 + dt.timedelta(days=1))
    commit()

    rows = db.session.scalars(db.select(Timer.status).order_by(Timer.id)).all()
    assert rows == ["done", "pending"]
    assert run_due(T0 + dt.timedelta(days=1)) == 1
    assert work_done() == ["thing:1", "thing:1"]


def test_cancel_stops_the_timer():
    schedule(WORK, "thing:1", T0)
    commit()

    assert cancel(WORK, "thing:1") is True
    commit()
    assert cancel(WORK, "thing:1") is False
    assert run_due(T0 + dt.timedelta(days=1)) == 0
    assert work_done() == []
    assert timer(WORK, "thing:1").status == "cancelled"
    assert pending_due_at(WORK, "thing:1") is None


def test_cancel_does_not_touch_other_subjects_or_kinds():
    schedule(WORK, "thing:1", T0)
    schedule(WORK, "thing:2", T0)
    schedule(REARM, "thing:1", T0 + dt.timedelta(days=1))
    commit()
    cancel(WORK, "thing:1")
    commit()

    assert run_due(T0) == 1
    assert work_done() == ["thing:2"]
    assert timer(REARM, "thing:1").status == "pending"


def test_schedule_is_rolled_back_with_the_unit_of_work():
    schedule(WORK, "thing:1", T0)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Timer.id))) == 0


def test_database_refuses_two_pending_timers_for_one_subject():
    db.session.add(Timer(kind=WORK, subject_ref="thing:1", due_at=T0, status="pending"))
    db.session.add(Timer(kind=WORK, subject_ref="thing:1", due_at=T0, status="done"))
    db.session.commit()
    db.session.add(Timer(kind=WORK, subject_ref="thing:1", due_at=T0, status="pending"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_failing_handler_rolls_back_only_its_own_timer(caplog):
    schedule(WORK, "thing:1", T0 - dt.timedelta(minutes=2))
    schedule(BROKEN, "thing:2", T0 - dt.timedelta(minutes=1))
    schedule(WORK, "thing:3", T0)
    commit()

    with caplog.at_level(logging.WARNING, logger="marketplace.jobs.service"):
        assert run_due(T0) == 3

    assert work_done() == ["thing:1", "thing:3"]  # the broken handler's write is undone
    assert callbacks_run == ["thing:1", "thing:3"]  # and so is its after-commit callback
    broken = timer(BROKEN, "thing:2")
    assert broken.status == "pending"
    assert broken.attempts == 1
    assert "always broken" in broken.last_error
    assert broken.due_at == T0 + service.backoff(1)
    assert broken.done_at is None
    assert "always broken" in caplog.text


def test_a_failed_timer_is_retried_later_and_then_succeeds():
    flaky_failures["thing:1"] = 2
    schedule(FLAKY, "thing:1", T0)
    commit()

    outcomes = []
    now = T0
    for _ in range(3):
        run_due(now, on_result=lambda t, outcome: outcomes.append(outcome))
        now = timer(FLAKY, "thing:1").due_at

    assert outcomes == ["retry", "retry", "done"]
    row = timer(FLAKY, "thing:1")
    assert row.status == "done"
    assert row.attempts == 2
    assert work_done() == ["thing:1"]


def test_retry_waits_for_the_backoff():
    flaky_failures["thing:1"] = 1
    schedule(FLAKY, "thing:1", T0)
    commit()
    run_due(T0)

    assert run_due(T0 + service.backoff(1) - dt.timedelta(seconds=1)) == 0
    assert run_due(T0 + service.backoff(1)) == 1
    assert work_done() == ["thing:1"]


def test_backoff_grows_and_is_capped():
    assert [service.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert service.backoff(50) == dt.timedelta(seconds=service.BACKOFF_MAX_SECONDS)


def test_a_timer_is_marked_failed_after_max_attempts(caplog):
    schedule(BROKEN, "thing:1", T0)
    commit()

    outcomes = []
    now = T0
    with caplog.at_level(logging.ERROR, logger="marketplace.jobs.service"):
        for _ in range(MAX_ATTEMPTS + 2):
            run_due(now, on_result=lambda t, outcome: outcomes.append(outcome))
            now = now + dt.timedelta(days=1)

    assert outcomes == ["retry"] * (MAX_ATTEMPTS - 1) + ["failed"]
    row = timer(BROKEN, "thing:1")
    assert row.status == "failed"
    assert row.attempts == MAX_ATTEMPTS
    assert work_done() == []
    assert any(r.levelno == logging.ERROR and "failed after" in r.getMessage() for r in caplog.records)


def test_wrong_state_means_nothing_to_do():
    schedule(STALE, "thing:1", T0)
    commit()

    outcomes = []
    assert run_due(T0, on_result=lambda t, outcome: outcomes.append(outcome)) == 1

    row = timer(STALE, "thing:1")
    assert outcomes == ["nothing to do"]
    assert row.status == "done"
    assert row.attempts == 0
    assert "already accepted" in row.last_error
    assert work_done() == []  # its partial work is undone
    assert run_due(T0 + dt.timedelta(days=1)) == 0


def test_a_handler_may_schedule_its_own_kind_again():
    schedule(REARM, "thing:1", T0)
    commit()

    assert run_due(T0) == 1

    statuses = db.session.scalars(db.select(Timer.status).order_by(Timer.id)).all()
    assert statuses == ["done", "pending"]
    assert pending_due_at(REARM, "thing:1") == T0 + dt.timedelta(hours=1)
    assert run_due(T0 + dt.timedelta(minutes=30)) == 0
    assert run_due(T0 + dt.timedelta(hours=1)) == 1
    assert work_done() == ["thing:1", "thing:1"]


def test_a_kind_without_handler_is_retried_and_reported():
    schedule("test.unknown", "thing:1", T0)
    commit()
    assert run_due(T0) == 1
    row = timer("test.unknown", "thing:1")
    assert row.status == "pending"
    assert row.attempts == 1
    assert "no handler" in row.last_error


def test_limit_caps_one_sweep():
    for i in range(5):
        schedule(WORK, f"thing:{i}", T0)
    commit()
    assert run_due(T0, limit=3) == 3
    assert run_due(T0, limit=3) == 2
    assert len(work_done()) == 5


def test_register_handler_refuses_a_second_function_for_a_kind():
    register_handler(WORK, _work)  # the same function again is fine
    with pytest.raises(ValueError):
        register_handler(WORK, _broken)


def _sweep_concurrently(app, n_timers: int, n_threads: int = 2) -> list[int]:
    for i in range(n_timers):
        schedule(SLOW, f"thing:{i}", T0)
    commit()
    counts: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                counts.append(run_due(T0, limit=1000))
                db.session.remove()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return counts


def test_two_sweepers_on_postgres_process_each_timer_exactly_once(app, postgres_only):
    counts = _sweep_concurrently(app, 40)

    assert sum(counts) == 40
    assert all(c > 0 for c in counts), counts  # SKIP LOCKED lets both make progress
    assert sorted(calls) == sorted(f"thing:{i}" for i in range(40))
    assert len(set(calls)) == 40
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == 40
    assert set(db.session.scalars(db.select(Timer.status))) == {"done"}


def test_two_sweepers_on_any_database_never_double_process(app):
    counts = _sweep_concurrently(app, 15)

    assert sum(counts) == 15
    assert len(calls) == 15 and len(set(calls)) == 15
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == 15


def test_a_failure_at_commit_is_recorded_in_a_fresh_transaction(monkeypatch):
    """A constraint checked only at commit (e.g. a deferred trigger) undoes the work; the timer is
    retried."""
    from marketplace.core import db as unit

    schedule(WORK, "thing:1", T0)
    commit()
    real_commit = unit.commit
    failures = []

    def commit_failing_once():
        if not failures:
            failures.append(1)
            unit.rollback()
            raise RuntimeError("refused at commit")
        real_commit()

    monkeypatch.setattr(unit, "commit", commit_failing_once)
    outcomes = []
    assert run_due(T0, on_result=lambda t, outcome: outcomes.append(outcome)) == 1

    assert outcomes == ["retry"]
    row = timer(WORK, "thing:1")
    assert row.status == "pending"
    assert row.attempts == 1
    assert "refused at commit" in row.last_error
    assert work_done() == []
    assert callbacks_run == []
