"""`flask credit verify`: recompute every credit chain; exit 0 clean, 1 naming the first broken
record of each broken chain. Read only."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..extensions import db
from . import credit

credit_cli = AppGroup("credit", help="Credit records (信用记录).")


@credit_cli.command("verify")
def verify_command():
    """Check every credit record's hash chain; exit 1 on any broken chain."""

    total = db.session.scalar(db.select(db.func.count(credit.CreditRecord.id))) or 0
    try:
        problems = credit.verify_chains(progress=lambda n: click.echo(f"  … {n}/{total} records", err=True))
    finally:
        db.session.rollback()  # read only: never commit from here
    if problems:
        click.echo(f"credit verify: {len(problems)} broken chain(s) in {total} records")
        for line in problems:
            click.echo(f"  BROKEN {line}")
        sys.exit(1)
    click.echo(f"credit verify: OK, {total} records, every chain intact")
