"""Top-level CLI groups: `flask demo load`. Domains add their own groups in init_app."""
from __future__ import annotations

import importlib
import time

import click
from flask.cli import AppGroup

from . import DOMAINS
from .core import page_cache
from .core.db import commit
from .extensions import db
from .scale import generate

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
def demo_load():
    """Load demo organisations, users, tasks and money (idempotent)."""

    steps = []
    for name in DOMAINS:
        try:
            module = importlib.import_module(f"marketplace.{name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"marketplace.{name}.demo":
                raise
            continue
        steps.append((name, module))
    context: dict = {}
    for i, (name, module) in enumerate(steps, 1):
        click.echo(f"[{i}/{len(steps)}] {name} ...", nl=False)
        module.load(context)
        commit()
        click.echo(" done")
    page_cache.bump()  # the servers' cached pages show the new rows at once
    logins = context.get("logins", [])
    if logins:
        click.echo("\nDemo logins (password for all: %s):" % context.get("password", "?"))
        for role, email in logins:
            click.echo(f"  {role:<28} {email}")


@demo_cli.command("scale")
@click.option("--tasks", "n_tasks", type=click.IntRange(1, 10_000_000), default=100_000, show_default=True,
              help="How many tasks to add (with users, organisations, bids, contracts and ledger history).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed (the same seed, the same data).")
@click.option("--batch", type=click.IntRange(100, 100_000), default=5000, show_default=True,
              help="Rows per COPY / executemany batch.")
def demo_scale(n_tasks, seed, batch):
    """Add N realistic tasks for benchmarks: 1M on PostgreSQL in minutes, 100k on SQLite."""


    started = time.monotonic()
    counts = generate(n_tasks, seed=seed, batch=batch)
    commit()
    page_cache.bump()  # its rows were written past the ORM's events
    click.echo("analyzing ...")
    with db.engine.connect() as conn:
        # Committed explicitly: SQLite's connections begin their own transaction (core.db), which
        # an AUTOCOMMIT connection never commits, so the statistics were rolled back there.
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    click.echo(", ".join(f"{v} {k}" for k, v in counts.items()) + f" in {time.monotonic() - started:.0f} s")


def init_app(app):
    app.cli.add_command(demo_cli)
