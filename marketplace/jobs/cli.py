"""`flask jobs run [--now ISO8601] [--loop SECONDS]`: sweep the due timers."""
from __future__ import annotations

import datetime as dt
import time

import click
from flask.cli import AppGroup

from ..core.db import utcnow
from .service import run_due

jobs_cli = AppGroup("jobs", help="Timers: auto-accept, deadlines, expiries.")


def parse_now(value: str | None) -> dt.datetime | None:
    """An ISO 8601 time as naive UTC (a time without offset is taken as UTC)."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint="--now") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed


def sweep(now: dt.datetime | None, batch: int = 100) -> int:

    def report(timer, outcome):
        click.echo(f"{outcome:<13} {timer.kind} {timer.subject_ref} (timer {timer.id})")

    total = 0
    while True:
        done = run_due(now or utcnow(), limit=batch, on_result=report)
        total += done
        if done < batch:
            return total


@jobs_cli.command("run")
@click.option("--now", "now_text", default=None, help="Process timers due at this ISO 8601 time.")
@click.option("--loop", "loop_seconds", type=float, default=None,
              help="Keep sweeping every SECONDS until interrupted.")
def run_command(now_text, loop_seconds):
    """Process the timers that are due now (or at --now)."""
    now = parse_now(now_text)
    if loop_seconds is None:
        total = sweep(now)
        click.echo(f"{total} timer(s) processed")
        return
    click.echo(f"Sweeping timers every {loop_seconds:g} s; Ctrl-C stops.")
    try:
        while True:
            total = sweep(now)
            if total:
                click.echo(f"{total} timer(s) processed")
            time.sleep(loop_seconds)
    except KeyboardInterrupt:
        click.echo("stopped")
