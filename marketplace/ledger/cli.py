"""`flask ledger verify`: prints the invariant report; exit 0 clean, 1 on any drift. Read only."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..extensions import db
from .verify import verify

ledger_cli = AppGroup("ledger", help="Double-entry ledger.")


@ledger_cli.command("verify")
def verify_command():
    """Check every ledger invariant; exit 1 on any drift."""

    try:
        report = verify()
    finally:
        db.session.rollback()  # read only: never commit from here
    click.echo(report.format())
    if not report.ok:
        sys.exit(1)
