"""`flask users create EMAIL --password P [--role R] [--name N]` and `flask users set-role EMAIL ROLE`."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..core.db import commit
from ..core.errors import DomainError
from . import service
from .models import ROLES

users_cli = AppGroup("users", help="User accounts.")


def _fail(exc: DomainError) -> None:
    click.echo(f"Error: {exc.message}", err=True)
    for field, messages in (exc.errors or {}).items():
        click.echo(f"  {field}: {'; '.join(messages)}", err=True)
    sys.exit(1)


@users_cli.command("create")
@click.argument("email")
@click.option("--password", required=True, help="At least 10 characters, not only digits.")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@click.option("--name", "display_name", default=None, help="Display name (default: the part before @).")
def create_user(email, password, role, display_name):
    """Create a user account."""

    try:
        user = service.register(email=email, password=password,
                                display_name=display_name or email.split("@", 1)[0], role="member")
        service.set_role(None, user, role, system=True)
        commit()
    except DomainError as exc:
        _fail(exc)
    click.echo(f"Created user {user.id} {user.email} ({user.display_name}), role {user.role}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role(email, role):
    """Change the role of an existing user."""

    user = service.find_by_email(email)
    if user is None:
        click.echo(f"Error: no user with email {email}", err=True)
        sys.exit(1)
    try:
        service.set_role(None, user, role, system=True)
        commit()
    except DomainError as exc:
        _fail(exc)
    click.echo(f"User {user.id} {user.email} now has role {user.role}")
