"""Upgrading an empty database with the migrations gives exactly the models' schema."""
from __future__ import annotations

import os
import uuid

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from config import TestingConfig
from marketplace import create_app
from marketplace.extensions import db

TRIGGERS_SQL = text("""
    SELECT c.relname || '.' || t.tgname FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT t.tgisinternal AND n.nspname = current_schema()
""")


def _migrate(url: str, tmp_path, engine_options: dict | None = None):
    """Upgrade to head, compare with the models, downgrade to base. Returns (diffs, triggers,
    tables left after downgrade)."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path),
                     SQLALCHEMY_ENGINE_OPTIONS=engine_options or {})
    with app.app_context():
        try:
            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diffs = compare_metadata(context, db.metadata)
                triggers = (set(conn.execute(TRIGGERS_SQL).scalars())
                            if conn.dialect.name == "postgresql" else set())
            flask_migrate.downgrade(revision="base")
            left = set(inspect(db.engine).get_table_names())
        finally:
            db.session.remove()
            db.engine.dispose()
    return diffs, triggers, left


def test_migrations_on_sqlite_match_the_models(tmp_path):
    diffs, _triggers, left = _migrate("sqlite:///" + str(tmp_path / "migrated.sqlite3"), tmp_path)
    assert diffs == [], "the migrations differ from the models; regenerate them (see README)"
    assert left == {"alembic_version"}


def test_migrations_on_postgres_match_the_models(app, postgres_only, tmp_path):
    schema = f"migration_check_{uuid.uuid4().hex[:8]}"
    with db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        expected_triggers = set(conn.execute(TRIGGERS_SQL).scalars())  # create_all() in public
    try:
        diffs, triggers, left = _migrate(
            app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
            {"connect_args": {"options": f"-csearch_path={schema}"}})
    finally:
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    assert diffs == [], "the migrations differ from the models; regenerate them (see README)"
    assert triggers == expected_triggers
    assert left == {"alembic_version"}


@pytest.mark.parametrize("name", ["env.py", "alembic.ini", "script.py.mako"])
def test_migration_environment_is_present(name):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert os.path.exists(os.path.join(root, "migrations", name))
