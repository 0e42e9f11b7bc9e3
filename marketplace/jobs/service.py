"""Scheduling timers and sweeping the due ones.

    schedule(kind, subject_ref, due_at) -> Timer      create, or move the due time of the pending one
    cancel(kind, subject_ref) -> bool                 cancel the pending one (True if there was one)
    freeze(subject_ref, by) / thaw(subject_ref)       pause a subject's timers (a dispute) / resume them
    pending_due_at(kind, subject_ref) -> datetime|None
    register_handler(kind, fn)                        fn(subject_ref, now) does the work
    run_due(now, limit=100) -> int                    process due timers, one unit of work each

schedule/cancel never commit: they are part of the caller's unit of work, so a timer exists exactly
when the state change that started it was saved. A handler runs inside the sweeper's unit of work
and must not commit either; it locks its subject (`lock_row`) and checks the state first. If the
subject is no longer in a state where the work applies it raises `WrongState` (or `NotFound` when
the subject is gone) and the timer is marked done. Any other exception rolls back that timer's work
only; the timer is retried later with a growing delay and marked failed (and logged) after
MAX_ATTEMPTS attempts.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from ..core import db as unit
from ..core.db import utcnow
from ..core.errors import NotFound, WrongState
from ..core.events import connect_handler, handler_of
from ..extensions import db
from .events import timer_due
from .models import Timer, TimerFreeze

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600

Handler = Callable[[str, dt.datetime], object]


def subject_ref(name: str, pk) -> str:
    """The reference string of a subject: subject_ref("milestone", 12) == "milestone:12"."""
    return f"{name}:{pk}"


def parse_subject_ref(ref: str) -> tuple[str, int]:
    """("milestone", 12) from "milestone:12"."""
    name, _, pk = ref.partition(":")
    return name, int(pk)


def register_handler(kind: str, fn: Handler) -> None:
    """Connect the function that does the work of timers of `kind` (once per kind; another
    function for a kind that has one raises ValueError)."""
    connect_handler(timer_due, kind, fn)


def handler_for(kind: str) -> Handler | None:
    return handler_of(timer_due, kind)


def _pending(kind: str, ref: str, *, lock: bool = False) -> Timer | None:
    query = db.select(Timer).where(Timer.kind == kind, Timer.subject_ref == ref,
                                   Timer.status == "pending")
    if lock:
        query = query.with_for_update()
    return db.session.execute(query).scalar_one_or_none()


def schedule(kind: str, ref: str, due_at: dt.datetime) -> Timer:
    """Schedule `kind` for `ref` at `due_at` (naive UTC); an existing pending timer is moved."""
    if due_at.tzinfo is not None:
        due_at = due_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    timer = _pending(kind, ref, lock=True)
    if timer is not None:
        timer.due_at = due_at
        timer.attempts = 0
        timer.last_error = None
        return timer
    timer = Timer(kind=kind, subject_ref=ref, due_at=due_at, status="pending", attempts=0)
    db.session.add(timer)
    db.session.flush()
    return timer


def cancel(kind: str, ref: str) -> bool:
    """Cancel the pending timer of `kind` for `ref`; False when there was none."""
    timer = _pending(kind, ref, lock=True)
    if timer is None:
        return False
    timer.status = "cancelled"
    timer.done_at = utcnow()
    return True


def pending_due_at(kind: str, ref: str) -> dt.datetime | None:
    """When the pending timer of `kind` for `ref` is due (None when there is none)."""
    return db.session.execute(
        db.select(Timer.due_at).where(Timer.kind == kind, Timer.subject_ref == ref,
                                      Timer.status == "pending")
    ).scalar_one_or_none()


def backoff(attempts: int) -> dt.timedelta:
    """Delay before retry number `attempts` (1, 2, ...): 1, 2, 4, 8 ... minutes, at most an hour."""
    return dt.timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0),
                                    BACKOFF_MAX_SECONDS))


def freeze(ref: str, by: str, now: dt.datetime | None = None) -> TimerFreeze:
    """Pause every timer of `ref` (present and future) until `thaw`; `by` names the reason
    ("dispute:3"). Freezing a frozen subject is a Conflict-free no-op returning the freeze."""
    row = db.session.scalar(db.select(TimerFreeze).where(TimerFreeze.subject_ref == ref))
    if row is None:
        row = TimerFreeze(subject_ref=ref, by_ref=by, frozen_at=now or utcnow())
        db.session.add(row)
        db.session.flush()
    return row


def thaw(ref: str, now: dt.datetime | None = None) -> dt.timedelta:
    """Resume the timers of `ref`: each pending one is moved on by the time the subject was
    frozen, so it keeps the time it had left. Returns that time."""
    row = db.session.scalar(db.select(TimerFreeze).where(TimerFreeze.subject_ref == ref).with_for_update())
    if row is None:
        return dt.timedelta(0)
    paused = max((now or utcnow()) - row.frozen_at, dt.timedelta(0))
    for timer in db.session.scalars(db.select(Timer).where(Timer.subject_ref == ref, Timer.status == "pending")
                                    .with_for_update()):
        timer.due_at = timer.due_at + paused
    db.session.delete(row)
    db.session.flush()
    return paused


def is_frozen(ref: str) -> bool:
    return db.session.scalar(db.select(TimerFreeze.id).where(TimerFreeze.subject_ref == ref)) is not None


def _next_due(now: dt.datetime, skip: set[int]) -> Timer | None:
    frozen = db.select(TimerFreeze.id).where(TimerFreeze.subject_ref == Timer.subject_ref).exists()
    query = (db.select(Timer)
             .where(Timer.status == "pending", Timer.due_at <= now, ~frozen)
             .order_by(Timer.due_at, Timer.id)
             .limit(1))
    if skip:
        query = query.where(Timer.id.not_in(skip))
    if unit.is_postgres():
        query = query.with_for_update(skip_locked=True)
    return db.session.execute(query).scalar_one_or_none()


def run_due(now: dt.datetime | None = None, limit: int = 100,
            on_result: Callable[[Timer, str], object] | None = None) -> int:
    """Process up to `limit` timers due at `now`; returns how many were processed.

    Each timer is one unit of work committed on its own. `on_result(timer, outcome)` is called
    after each commit with outcome "done", "nothing to do", "retry" or "failed".
    """
    now = now or utcnow()
    if now.tzinfo is not None:
        now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    count = 0
    seen: set[int] = set()
    while count < limit:
        unit.rollback()  # start each timer on a fresh transaction
        timer = _next_due(now, seen)
        if timer is None:
            unit.rollback()
            break
        seen.add(timer.id)
        outcome = _run_one(timer, now)
        count += 1
        if on_result is not None:
            on_result(timer, outcome)
    return count


def _run_one(timer: Timer, now: dt.datetime) -> str:
    """Run one locked timer's handler and commit; returns the outcome."""
    timer_id = timer.id
    # Mark it done first, so a handler that schedules the same kind again creates a new timer.
    timer.status = "done"
    timer.done_at = now
    db.session.flush()
    callbacks_before = len(unit._pending())
    handler = handler_for(timer.kind)
    savepoint = db.session.begin_nested()
    outcome = "done"
    error = None
    try:
        if handler is None:
            raise LookupError(f"no handler registered for timer kind {timer.kind!r}")
        handler(timer.subject_ref, now)
        db.session.flush()
        savepoint.commit()
    except (WrongState, NotFound) as exc:
        savepoint.rollback()
        del unit._pending()[callbacks_before:]
        outcome = "nothing to do"
        timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    except Exception as exc:  # the handler's work is undone; the timer is retried later
        savepoint.rollback()
        del unit._pending()[callbacks_before:]
        error = exc
    if error is not None:
        outcome = _record_failure(timer, now, error)
    try:
        unit.commit()
    except Exception as exc:  # refused at commit: record the failure in a fresh transaction
        unit.rollback()
        outcome = _record_failure_after_rollback(timer_id, now, exc)
    return outcome


def _record_failure(timer: Timer, now: dt.datetime, exc: BaseException) -> str:
    timer.attempts = (timer.attempts or 0) + 1
    timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if timer.attempts >= MAX_ATTEMPTS:
        timer.status = "failed"
        timer.done_at = now
        log.error("timer %s %s %s failed after %d attempts: %s", timer.id, timer.kind,
                  timer.subject_ref, timer.attempts, timer.last_error)
        return "failed"
    timer.status = "pending"
    timer.done_at = None
    timer.due_at = now + backoff(timer.attempts)
    log.warning("timer %s %s %s attempt %d failed, retry at %s: %s", timer.id, timer.kind,
                timer.subject_ref, timer.attempts, timer.due_at, timer.last_error)
    return "retry"


def _record_failure_after_rollback(timer_id: int, now: dt.datetime, exc: BaseException) -> str:
    query = db.select(Timer).where(Timer.id == timer_id, Timer.status == "pending")
    if unit.is_postgres():
        query = query.with_for_update(skip_locked=True)
    timer = db.session.execute(query).scalar_one_or_none()
    if timer is None:  # another sweeper has it now
        unit.rollback()
        return "retry"
    outcome = _record_failure(timer, now, exc)
    unit.commit()
    return outcome
