"""Timers: work that must happen at a given time (auto-accept, deadlines, expiries).

A domain schedules a timer when a state change starts a clock and registers a handler for its
kind once, in its init_app:

    from marketplace.jobs.service import cancel, register_handler, schedule, subject_ref

    register_handler("milestone.auto_accept", auto_accept_milestone)   # fn(subject_ref, now)
    schedule("milestone.auto_accept", subject_ref("milestone", m.id), now + timedelta(days=7))
    cancel("milestone.auto_accept", subject_ref("milestone", m.id))

`flask jobs run` (from cron every minute, or `--loop SECONDS`) sweeps the due timers; each timer
runs in its own unit of work, and several sweepers may run at once (FOR UPDATE SKIP LOCKED on
PostgreSQL).
"""
from . import models  # noqa: F401  (api and models register routes and tables on import)
from .cli import jobs_cli


def init_app(app):
    app.cli.add_command(jobs_cli)
