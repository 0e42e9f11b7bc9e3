"""Shared fixtures.

The database is SQLite (a file in a temp dir, so threads share it) unless DATABASE_URL names a
PostgreSQL database, in which case its public schema is reset once per run. The schema is built
once per run; after each test every table is emptied, so tests may commit freely (race tests
need real commits from several threads).
"""
from __future__ import annotations

import os

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from config import TestingConfig
from marketplace import create_app
from marketplace.core import page_cache
from marketplace.extensions import db, limiter

from .factories import api_headers, login  # noqa: F401  (re-exported for tests)


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        return _worker_database(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def _worker_database(url: str) -> str:
    """Under pytest-xdist (`-n 2`) each worker gets its own PostgreSQL database, <name>_<worker>,
    created on first use, since every run resets its database's schema."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    upload_dir = tmp_path_factory.mktemp("uploads")
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(upload_dir),
                     SERVER_NAME=None)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
    yield app


@pytest.fixture(autouse=True)
def _app_context(app):
    """Every test runs inside an app context and leaves the database empty."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        _empty_tables()
        # Pages of the emptied database must not be served in the next test.
        page_cache.clear()
        if app.config["RATELIMIT_ENABLED"]:
            limiter.reset()


def _empty_tables():
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            _empty_postgres_tables(conn, tables)
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for t in tables:
                conn.execute(t.delete())
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def _empty_postgres_tables(conn, tables):
    """Delete the rows of the tables a test used and restart every sequence.

    TRUNCATE of every table costs seconds per test (each one syncs new files to disk); DELETE of
    the few used tables, with triggers and foreign-key checks off for this transaction (superuser
    only), costs milliseconds."""
    if not conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
        names = ", ".join(f'"{t.name}"' for t in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    probe = " UNION ALL ".join(
        f"SELECT '{t.name}' FROM (SELECT 1 FROM \"{t.name}\" LIMIT 1) AS t{i}" for i, t in enumerate(tables))
    used = [row[0] for row in conn.execute(text(probe))]
    if used:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for name in used:
            conn.execute(text(f'DELETE FROM "{name}"'))
    conn.execute(text(
        "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s "
        "JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema()"))


class IsolatedClient(FlaskClient):
    """A test client whose every request gets a fresh `g`.

    Requests reuse the test's app context (so they share its database session), and with it
    Flask's `g`, where per-request state lives: the chosen locale, the logged-in and API user,
    the no-commit flag, after-commit callbacks. Without this, a second request in one test would
    see the first request's state."""

    def open(self, *args, **kwargs):
        if not has_app_context():
            return super().open(*args, **kwargs)
        state = g._get_current_object().__dict__
        saved = dict(state)
        state.clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            state.clear()
            state.update(saved)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def is_postgres(app):
    return db.engine.dialect.name == "postgresql"


@pytest.fixture
def postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL-only (runs in CI's PostgreSQL pass with DATABASE_URL set)")


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite-only (runs in CI's SQLite pass)")


@pytest.fixture
def chinese_default(app):
    """The product's real default language (zh_CN) instead of the suite's English."""
    before = app.config["BABEL_DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    yield
    app.config["BABEL_DEFAULT_LOCALE"] = before
