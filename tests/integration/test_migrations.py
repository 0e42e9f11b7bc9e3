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
from marketplace.core.db import include_in_autogenerate
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
                context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                                "include_object": include_in_autogenerate})
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


def _task_terms_migration(url: str, tmp_path, engine_options: dict | None = None):
    """Upgrade to the revision before indexed search terms, add a task the old way, upgrade to
    head: the task's terms are recomputed, indexed and searchable; downgrade brings task_terms back."""
    from marketplace.tasks.search import TaskFilters, search_tasks
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path),
                     SQLALCHEMY_ENGINE_OPTIONS=engine_options or {})
    with app.app_context():
        try:
            flask_migrate.upgrade(revision="cec3401becb3")
            with db.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO users (id, email, password_hash, display_name, account_type, role, skills, bio, "
                    "locale, created_at) VALUES (1, 'p@example.com', 'x', 'P', 'individual', 'member', '[]', "
                    "'', 'zh_CN', '2026-01-01 00:00:00')"))
                conn.execute(text(
                    "INSERT INTO tasks (id, mode, status, title, description, category, skills, visibility, "
                    "ip_terms, poster_id, currency, escrow_funded, escrow_amount, created_at, published_at, "
                    "updated_at, budget_min, budget_max, listed_amount) VALUES (7, 'tender', 'open', "
                    "'光纤传感器研发', '分布式应变测量', 'rd_challenge', '[\"FPGA\"]', 'public', 'solver_keeps', 1, "
                    "'CNY', false, 0, '2026-01-01 00:00:00', '2026-01-02 00:00:00', '2026-01-02 00:00:00', "
                    "100, 200, 200)"))
            flask_migrate.upgrade()
            found = {}
            for q in ("光纤传感", "应变", "fpga", "研发 应变"):
                rows, _cursor = search_tasks(None, TaskFilters(q=q))
                found[q] = [t.id for t in rows]
            listed = db.session.execute(text("SELECT listed_at, sort_amount FROM tasks WHERE id = 7")).one()
            db.session.rollback()
            flask_migrate.downgrade(revision="cec3401becb3")
            with db.engine.connect() as conn:
                old_terms = set(conn.execute(text("SELECT term FROM task_terms WHERE task_id = 7")).scalars())
            flask_migrate.downgrade(revision="base")
        finally:
            db.session.remove()
            db.engine.dispose()
    return found, listed, old_terms


def _check_task_terms_migration(found, listed, old_terms):
    assert found == {"光纤传感": [7], "应变": [7], "fpga": [7], "研发 应变": [7]}
    assert str(listed[0]).startswith("2026-01-02") and listed[1] == 200
    assert {"光纤", "传感", "fpga", "应变"} <= old_terms


def test_migration_moves_search_terms_on_sqlite(tmp_path):
    _check_task_terms_migration(*_task_terms_migration("sqlite:///" + str(tmp_path / "terms.sqlite3"), tmp_path))


def test_migration_moves_search_terms_on_postgres(app, postgres_only, tmp_path):
    schema = f"migration_terms_{uuid.uuid4().hex[:8]}"
    with db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        result = _task_terms_migration(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                                       {"connect_args": {"options": f"-csearch_path={schema}"}})
    finally:
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    _check_task_terms_migration(*result)


def test_sqlite_keeps_the_search_index_triggers_after_every_migration(tmp_path):
    """A batch migration that copies tasks drops its triggers; head must have them all."""
    url = "sqlite:///" + str(tmp_path / "triggers.sqlite3")
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path))
    with app.app_context():
        try:
            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                triggers = set(conn.execute(text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tasks'")).scalars())
        finally:
            db.session.remove()
            db.engine.dispose()
    assert {"tasks_fts_insert", "tasks_fts_delete", "tasks_fts_update"} <= triggers


def _ledger_balances_migration(url: str, tmp_path, engine_options: dict | None = None):
    """Upgrade to the revision before maintained balances, post money the old way (entries only),
    upgrade to head: every account's balance is filled from its entries and follows new entries."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path),
                     SQLALCHEMY_ENGINE_OPTIONS=engine_options or {})
    with app.app_context():
        try:
            flask_migrate.upgrade(revision="3b7e51c0a9d4")
            with db.engine.begin() as conn:
                for aid, code, kind, owner in ((1, "cash:bank", "cash", "NULL"), (2, "wallet:user:5", "wallet", 5),
                                               (3, "revenue:fees", "revenue", "NULL")):
                    owner_type = "'user'" if kind == "wallet" else "NULL"
                    conn.execute(text(
                        "INSERT INTO ledger_accounts (id, code, currency, kind, owner_type, owner_id, status, "
                        f"created_at) VALUES ({aid}, '{code}', 'CNY', '{kind}', {owner_type}, {owner}, 'open', "
                        "'2026-01-01 00:00:00')"))
                for tid, legs in ((1, ((1, -9000), (2, 9000))), (2, ((2, -1000), (3, 1000)))):
                    conn.execute(text(
                        "INSERT INTO ledger_transactions (id, kind, idempotency_key, request_hash, ref, created_at) "
                        f"VALUES ({tid}, 'fund_wallet', 'old:{tid}', 'x', 'wallet:user:5', '2026-01-01 00:00:00')"))
                    for aid, amount in legs:
                        conn.execute(text("INSERT INTO ledger_entries (transaction_id, account_id, amount, currency) "
                                          f"VALUES ({tid}, {aid}, {amount}, 'CNY')"))
            flask_migrate.upgrade()
            with db.engine.begin() as conn:
                filled = dict(conn.execute(text("SELECT code, balance FROM ledger_accounts")).all())
                conn.execute(text(
                    "INSERT INTO ledger_transactions (id, kind, idempotency_key, request_hash, ref, created_at) "
                    "VALUES (3, 'fund_wallet', 'new:3', 'x', 'wallet:user:5', '2026-01-02 00:00:00')"))
                conn.execute(text("INSERT INTO ledger_entries (transaction_id, account_id, amount, currency) "
                                  "VALUES (3, 1, -500, 'CNY'), (3, 2, 500, 'CNY')"))
            with db.engine.connect() as conn:
                after = dict(conn.execute(text("SELECT code, balance FROM ledger_accounts")).all())
            flask_migrate.downgrade(revision="base")
        finally:
            db.session.remove()
            db.engine.dispose()
    return filled, after


def _check_ledger_balances_migration(filled, after):
    # Cash and revenue are not maintained (their balance is the sum of their entries).
    assert filled == {"cash:bank": 0, "wallet:user:5": 8000, "revenue:fees": 0}
    assert after == {"cash:bank": 0, "wallet:user:5": 8500, "revenue:fees": 0}


def test_migration_fills_ledger_balances_on_sqlite(tmp_path):
    _check_ledger_balances_migration(*_ledger_balances_migration(
        "sqlite:///" + str(tmp_path / "balances.sqlite3"), tmp_path))


def test_migration_fills_ledger_balances_on_postgres(app, postgres_only, tmp_path):
    schema = f"migration_balances_{uuid.uuid4().hex[:8]}"
    with db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        result = _ledger_balances_migration(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                                            {"connect_args": {"options": f"-csearch_path={schema}"}})
    finally:
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    _check_ledger_balances_migration(*result)


def _email_confirmation_migration(url: str, tmp_path, engine_options: dict | None = None):
    """An account made before registration was confirmed by mail counts as confirmed after the
    upgrade (its creation time), so it can still sign in."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path),
                     SQLALCHEMY_ENGINE_OPTIONS=engine_options or {})
    with app.app_context():
        try:
            flask_migrate.upgrade(revision="e2b4c6d8f0a1")
            with db.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO users (id, email, password_hash, display_name, account_type, role, skills, bio, "
                    "locale, created_at) VALUES (1, 'old@example.com', 'x', 'Old', 'individual', 'member', '[]', "
                    "'', 'zh_CN', '2026-01-01 00:00:00')"))
            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                confirmed = conn.execute(text("SELECT email_confirmed_at FROM users WHERE id = 1")).scalar_one()
            flask_migrate.downgrade(revision="base")
        finally:
            db.session.remove()
            db.engine.dispose()
    return confirmed


def test_migration_counts_existing_accounts_as_confirmed_on_sqlite(tmp_path):
    confirmed = _email_confirmation_migration("sqlite:///" + str(tmp_path / "confirm.sqlite3"), tmp_path)
    assert str(confirmed).startswith("2026-01-01 00:00:00")


def test_migration_counts_existing_accounts_as_confirmed_on_postgres(app, postgres_only, tmp_path):
    schema = f"migration_confirm_{uuid.uuid4().hex[:8]}"
    with db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        confirmed = _email_confirmation_migration(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                                                  {"connect_args": {"options": f"-csearch_path={schema}"}})
    finally:
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    assert str(confirmed).startswith("2026-01-01 00:00:00")
