"""Top-level CLI groups: `flask demo load`. Domains add their own groups in init_app."""
from __future__ import annotations

import importlib

import click
from flask.cli import AppGroup

from . import DOMAINS
from .core.db import commit

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
    logins = context.get("logins", [])
    if logins:
        click.echo("\nDemo logins (password for all: %s):" % context.get("password", "?"))
        for role, email in logins:
            click.echo(f"  {role:<28} {email}")


def init_app(app):
    app.cli.add_command(demo_cli)
