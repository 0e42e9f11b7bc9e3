"""`flask tasks search-stats`: recount the search terms the search plans by (run daily)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.db import commit
from .search_stats import refresh

tasks_cli = AppGroup("tasks", help="Tasks and search.")


@tasks_cli.command("search-stats")
def search_stats_command():
    """Recount how many tasks have each search term."""

    terms = refresh()
    commit()
    click.echo(f"{terms} search terms counted")
