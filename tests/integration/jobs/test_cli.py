"""`flask jobs run`."""
from __future__ import annotations

import datetime as dt

from marketplace.core.audit import AuditEntry
from marketplace.core.db import commit
from marketplace.extensions import db
from marketplace.jobs.models import Timer
from marketplace.jobs.service import register_handler, schedule

KIND = "test.cli_work"


def _work(ref, now):
    db.session.add(AuditEntry(action=KIND, target_type="test", target_id=ref))


register_handler(KIND, _work)


def test_jobs_run_processes_due_timers_and_prints_them(app):
    schedule(KIND, "thing:1", dt.datetime(2026, 5, 1, 8, 0))
    schedule(KIND, "thing:2", dt.datetime(2026, 5, 3, 8, 0))
    commit()

    result = app.test_cli_runner().invoke(args=["jobs", "run", "--now", "2026-05-01T17:00:00+08:00"])

    assert result.exit_code == 0, result.output
    assert "done" in result.output and "test.cli_work thing:1" in result.output
    assert "thing:2" not in result.output
    assert "1 timer(s) processed" in result.output
    db.session.expire_all()
    statuses = dict(db.session.execute(db.select(Timer.subject_ref, Timer.status)).all())
    assert statuses == {"thing:1": "done", "thing:2": "pending"}
    assert db.session.scalars(db.select(AuditEntry.target_id)).all() == ["thing:1"]


def test_jobs_run_without_now_uses_the_current_time(app):
    schedule(KIND, "thing:1", dt.datetime(2000, 1, 1))
    schedule(KIND, "thing:2", dt.datetime(2999, 1, 1))
    commit()

    result = app.test_cli_runner().invoke(args=["jobs", "run"])

    assert result.exit_code == 0, result.output
    assert "1 timer(s) processed" in result.output


def test_jobs_run_rejects_a_bad_time(app):
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--now", "yesterday"])
    assert result.exit_code == 2
    assert "ISO 8601" in result.output
