"""The commit boundary and shared model helpers.

Services never commit. A web request commits once, after the view returns a response below 400
(see `init_app`); a CLI command or job calls `commit()` itself. Side effects that must only happen
when the data is really saved (emails, Stripe calls that follow a state change) are registered with
`after_commit(fn)` and run after the commit succeeds; a rollback drops them.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets

from flask import current_app, g, has_app_context, has_request_context, request
from flask import session as session_cookie
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, event, literal
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from ..extensions import db
from .errors import Conflict, ServiceUnavailable, WrongState

log = logging.getLogger(__name__)



class StoredFileColumns:
    """The columns of a row describing one stored upload (a delivery's or an evidence's file): an
    unguessable public id for its URL, the storage key, the name shown, size, SHA-256 and type."""
    public_id = db.Column(db.String(32), nullable=False, unique=True,
                          default=lambda: secrets.token_urlsafe(16))
    path = db.Column(db.String(255), nullable=False)
    name = db.Column(db.String(200), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    mime = db.Column(db.String(80), nullable=False)


def utcnow() -> dt.datetime:
    """Naive UTC now; every stored time is naive UTC."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 with offset for a stored naive-UTC time."""
    if value is None:
        return None
    if value.tzinfo is None:  # stored times: what .replace(tzinfo=utc).isoformat() gives, with less work
        return value.isoformat() + "+00:00"
    return value.replace(tzinfo=dt.timezone.utc).isoformat()


def _pending() -> list:
    if not has_app_context():
        return []
    if "_after_commit" not in g:
        g._after_commit = []
    return g._after_commit


def after_commit(fn, *args, **kwargs) -> None:
    """Run fn(*args, **kwargs) after the current unit of work commits."""
    _pending().append((fn, args, kwargs))


def _pending_rollback() -> list:
    if not has_app_context():
        return []
    if "_after_rollback" not in g:
        g._after_rollback = []
    return g._after_rollback


def after_rollback(fn, *args, **kwargs) -> None:
    """Run fn(*args, **kwargs) in a fresh unit of work, committed on its own, if the current unit
    of work is rolled back (e.g. to keep a record of what a refused request tried). Dropped when
    the unit of work commits."""
    _pending_rollback().append((fn, args, kwargs))


def commit() -> None:
    """Commit the unit of work and run its after-commit callbacks.

    An IntegrityError at commit time means a concurrent request won a race that the database
    guards; it becomes a 409 Conflict.
    """
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        _pending().clear()
        log.info("commit refused by a constraint: %s", exc.orig)
        raise Conflict() from exc
    except OperationalError as exc:
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; the pool discards it
            log.info("rollback after a failed commit failed", exc_info=True)
        _pending().clear()
        if exc.connection_invalidated:
            # The database went away (a restart, a failover) during the commit: a 503 the client
            # may retry; with the same Idempotency-Key a retry never applies a change twice.
            log.warning("commit failed, the database connection was lost: %s", exc.orig)
            raise ServiceUnavailable(_l("The connection to the database was lost while saving. Please "
                                        "try again in a moment.")) from exc
        log.warning("commit failed: %s", exc.orig)  # e.g. serialization failure / database locked
        raise Conflict() from exc
    callbacks = list(_pending())
    _pending().clear()
    _pending_rollback().clear()
    for fn, args, kwargs in callbacks:
        try:
            fn(*args, **kwargs)
        except Exception:  # a failed email must not undo a committed change
            log.exception("after-commit callback %r failed", fn)


def rollback() -> None:
    db.session.rollback()
    _pending().clear()
    callbacks = list(_pending_rollback())
    _pending_rollback().clear()
    for fn, args, kwargs in callbacks:
        try:
            fn(*args, **kwargs)
            db.session.commit()
        except Exception:  # the record of a refused request must not turn it into a 500
            db.session.rollback()
            log.exception("after-rollback callback %r failed", fn)


def sql_constant(value):
    """A constant of the code (a status, a kind) written into the SQL text instead of being bound
    as a parameter. PostgreSQL then plans a repeated statement once (a prepared statement's generic
    plan) instead of at every execution, and can use a partial index whose condition names the
    value: a statement of a few UNIONs planned each time costs more than running it."""
    return literal(value, literal_execute=True)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def lock_row(model, pk):
    """Load one row with SELECT ... FOR UPDATE (a no-op lock on SQLite, where writers serialise)."""
    return db.session.execute(
        db.select(model).where(model.id == pk).with_for_update()
    ).scalar_one_or_none()


def conditional_update(model, obj, expected=None, *, where=(), message=None, error=None, **values) -> None:
    """Move `obj` to `values` only if its status is still one of `expected` (a status or a
    collection of them) and every extra condition in `where` holds:

        UPDATE <table> SET ... WHERE id = :id AND status IN (:expected) [AND ...]

    Exactly one row must change; otherwise the caller lost a race (or acted on a stale page) and
    `error` (a DomainError class, default WrongState) is raised with `message`. The object is
    refreshed from the row afterwards. With `expected=None` only `where` guards the update
    (e.g. ``where=(User.suspended_at.is_(None),)``)."""
    conditions = [model.id == obj.id, *where]
    if expected is not None:
        conditions.append(model.status.in_((expected,) if isinstance(expected, str) else tuple(expected)))
    result = db.session.execute(
        db.update(model).where(*conditions)
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.expire(obj)
        raise (error or WrongState)(message or _l("This has changed in the meantime; reload the page."))
    db.session.refresh(obj)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL + busy timeout make the embedded database usable by the web server and the
    # timer sweeper at once; foreign keys are off by default in SQLite.
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    try:
        cur.execute("PRAGMA journal_mode=WAL")
    except Exception:  # in-memory databases have no WAL
        pass
    # With WAL, NORMAL syncs at checkpoints instead of on every commit: no corruption, and only
    # an OS crash or power loss (not an application crash) can lose the last commits. Production
    # runs on PostgreSQL; the embedded database gets ~100x more commits per second.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@compiles(Table, "sqlite")
def _sqlite_table_hint(table, compiler, **kw):
    # SQLite's INDEXED BY / NOT INDEXED follow the table's name in FROM, where SQLAlchemy puts a
    # table hint: `select(Task).with_hint(Task, "INDEXED BY ix_tasks_open_newest", "sqlite")`.
    # SQLAlchemy's SQLite compiler drops table hints; this renders them (tasks.search plans by it).
    text = compiler.visit_table(table, **kw)
    hints = kw.get("fromhints")
    if hints and table in hints and kw.get("asfrom") and not kw.get("ashint"):
        text = f"{text} {hints[table]}"
    return text


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn):
    # BEGIN IMMEDIATE takes the write lock up front, so two writers never deadlock halfway
    # through a transaction; on SQLite this serialises every unit of work.
    # Reads of a GET request take no write lock.
    if conn.dialect.name == "sqlite":
        if has_request_context() and request.method in ("GET", "HEAD"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


# Schema objects that exist on one database only, which autogenerate must not report: SQLite's
# FTS5 table of task search terms (and its shadow tables), PostgreSQL's GIN index of them.
_ONE_DATABASE_TABLES = ("task_fts",)
_ONE_DATABASE_INDEXES = ("ix_tasks_search_terms",)


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic `include_object` hook (migrations/env.py and the migration test)."""
    if type_ == "table" and name and name.startswith(_ONE_DATABASE_TABLES):
        return False
    if type_ == "index" and name in _ONE_DATABASE_INDEXES and compare_to is None:
        return False
    return True


# --- views that only read ---------------------------------------------------------------------------

def read_only(view):
    """Mark a page or API view that only reads (the task list, a task page, the API list).

    On PostgreSQL its statements run in autocommit, without BEGIN and COMMIT: two round trips fewer
    per request. What it reads is the same: under READ COMMITTED every statement of a transaction
    sees what was committed when the statement began, as it does in autocommit. A statement that
    sets a transaction-local option (SET LOCAL, e.g. a keyword search's planner setting) opens a
    transaction first, kept until the request ends. Nothing may be written: a flush in such a request
    raises instead of committing outside the unit of work. Only a visitor's request (no API token,
    no signed-in session) is read-only: signing in by token records the token's use. When the
    request already began a transaction, it simply continues in it."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if _visitor():
            g.read_only = True
            session = db.session()
            if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return view(*args, **kwargs)

    return wrapped


def _visitor() -> bool:
    """No API token and no signed-in (or remembered) session."""
    return ("Authorization" not in request.headers and "_user_id" not in session_cookie
            and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") not in request.cookies)


@event.listens_for(Session, "before_flush")
def _refuse_writes_in_read_only_views(session, flush_context, instances):
    if has_request_context() and g.get("read_only") and (
            session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty)):
        raise RuntimeError(f"{request.endpoint} is a read-only view and must not write")


@event.listens_for(Engine, "before_cursor_execute")
def _transaction_for_local_settings(conn, cursor, statement, parameters, context, executemany):
    """SET LOCAL outside a transaction does nothing (PostgreSQL only warns): in a read-only view's
    autocommit connection, open the transaction it needs; the request's end commits it."""
    if conn.dialect.name != "postgresql" or not statement.lstrip()[:9].upper() == "SET LOCAL":
        return
    dbapi = conn.connection.dbapi_connection
    if getattr(dbapi, "autocommit", False) and dbapi.info.transaction_status.name == "IDLE":
        cursor.execute("BEGIN")
