"""A shared-invalidated cache of the public pages visitors see.

`@visitor_cached` on a view (the task list, a task page, GET /api/v1/tasks) keeps its 200 answer
to a visitor (no API token, no signed-in or remembered session, no pending flash message) and
answers the next visitor asking for the same page from memory. Anyone else gets the page
rendered as before and nothing of theirs is kept.

Invalidation is exact, by a content version: before rendering, the view reads the version; the
page is kept with it; an entry is served only while the version is unchanged and it is younger
than PAGE_CACHE_SECONDS. Every commit that wrote a table a visitor can see bumps the version after
the commit (session events below), so the next visitor sees the write. Tables no visitor page
shows (money, notifications, timers, tokens, logs, ...) are in DENIED_TABLES; a wrong entry there
costs at most PAGE_CACHE_SECONDS of staleness.

The version lives in Redis (PAGE_CACHE_REDIS_URL, else a redis:// RATELIMIT_STORAGE_URI), shared
by every worker and server: INCR on a bump, one GET per cached request. Without Redis it is a
number in a file of the instance folder, shared by the processes of one machine (`make run` and
its timer sweeper, several gunicorn workers); in tests a counter in the process. When Redis does not answer, pages
are rendered as if there were no cache. The pages themselves are kept per process, in an LRU
bounded by PAGE_CACHE_MAX_BYTES of bodies.

What is kept is the view's response before the request's hooks run: the logging, the security
headers (with this request's CSP nonce, substituted into the kept body) and the commit boundary
still run on every answer from the cache.
"""
from __future__ import annotations

import fcntl
import functools
import logging
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from typing import NamedTuple

from flask import current_app, g, has_app_context, request, session
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from ..extensions import db
from .db import _visitor
from .headers import csp_nonce
from .i18n import current_timezone, select_locale

log = logging.getLogger(__name__)

# Tables no visitor page shows: a write to them alone does not bump the version.
DENIED_TABLES = frozenset({
    # money
    "ledger_accounts", "ledger_entries", "ledger_hold_resolutions", "ledger_holds", "ledger_reversals",
    "ledger_transactions", "fundings", "payouts", "payout_accounts", "card_refunds", "external_events",
    "stripe_connected_accounts",
    # messages, mail, notifications
    "notifications", "outbox_mails", "task_messages",
    # jobs and timers, idempotency, audit and logs, second approvals
    "timers", "timer_freezes", "idempotency_records", "audit_entries", "second_approvals",
    # tokens and private records of moderation, disputes and organisations
    "api_tokens", "reports", "negative_list_hits", "negative_rules", "dispute_evidence",
    "dispute_evidence_files", "org_invites",
})
# Columns of visible tables that no visitor page shows: an UPDATE (through the ORM) changing only
# these does not bump (a sign-in, a failed password, a language setting).
PRIVATE_COLUMNS = {
    "users": frozenset({"password_hash", "last_login_at", "failed_logins", "login_lock_count",
                        "login_locked_until", "session_version", "locale", "timezone"}),
}
# Headers made for each request anew by the hooks; never kept.
PER_REQUEST_HEADERS = frozenset({"x-request-id", "set-cookie", "content-length", "content-security-policy"})
NONCE_PLACEHOLDER = b"\x00csp-nonce\x00"
VERSION_KEY = "huizhong:page-cache:version"
VERSION_FILE = "page-cache.version"  # in the instance folder, without Redis
REDIS_TIMEOUT_SECONDS = 0.5
REDIS_RETRY_SECONDS = 5.0
RENDER_WAIT_SECONDS = 3.0  # the longest a request waits for another thread rendering the same page
REFRESH_AFTER = 0.8  # of PAGE_CACHE_SECONDS: a page this old is rendered anew by one request
_WROTE = "page_cache_wrote"  # session.info flag: this transaction wrote a visible table
_WRITE_SQL = re.compile(r"\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b", re.IGNORECASE)

clock = time.monotonic  # the clock of entry ages (tests replace it)


class Entry(NamedTuple):
    version: int
    stored_at: float
    body: bytes
    headers: tuple
    nonce: bool  # the body holds NONCE_PLACEHOLDER where the page's nonce was
    size: int


class PageStore:
    """Least-recently-used entries bounded by their total size, shared by a process's threads."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        if entry.size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= old.size
            self._entries[key] = entry
            self.size += entry.size
            while self.size > self.max_bytes:
                _key, dropped = self._entries.popitem(last=False)
                self.size -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._entries)


class LocalVersion:
    """The version as a counter in this process (the tests: one process, one app per run)."""

    def __init__(self):
        self._value = 0
        self._lock = threading.Lock()

    def current(self) -> int:
        return self._value

    def bump(self) -> bool:
        with self._lock:
            self._value += 1
        return True


class FileVersion:
    """The version as a number in a file of the instance folder, shared by the processes of one
    machine without Redis: `make run`'s server and its timer sweeper, several gunicorn workers.
    A bump writes the next number to a new file and renames it over the old one, under a lock
    file, so a reader (one small read, no lock) sees the old number or the new one."""

    def __init__(self, path: str):
        self.path = path
        self._warned = False

    def current(self) -> int | None:
        try:
            with open(self.path, "rb") as file:
                return int(file.read(32))
        except FileNotFoundError:
            return 0
        except (OSError, ValueError) as exc:  # unreadable or not a number: render without the cache
            self._failed(exc)
            return None

    def bump(self) -> bool:
        try:
            lock = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX)
                current = self.current() or 0
                temporary = f"{self.path}.{os.getpid()}"
                with open(temporary, "wb") as file:
                    file.write(str(current + 1).encode())
                os.replace(temporary, self.path)
            finally:
                os.close(lock)  # releases the lock
        except OSError as exc:
            self._failed(exc)
            return False
        return True

    def _failed(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            log.warning("page cache off: its version file %s cannot be used (%s)", self.path, exc)


_clients: dict = {}
_clients_lock = threading.Lock()


def redis_client(url: str):
    """One client (with its connection pool) per URL for the whole process."""
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                          socket_timeout=REDIS_TIMEOUT_SECONDS)
            _clients[url] = client
        return client


class RedisVersion:
    """The version in Redis, shared by every worker and server. After a failure Redis is not asked
    again for REDIS_RETRY_SECONDS: meanwhile `current()` is None and pages are not cached."""

    def __init__(self, url: str):
        self.url = url
        self._down_until = 0.0
        self._warned = False

    def _failed(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
        if not self._warned:
            self._warned = True
            log.warning("page cache off: Redis at %s does not answer (%s)", _safe_url(self.url), exc)

    def _usable(self) -> bool:
        return not self._down_until or time.monotonic() >= self._down_until

    def current(self) -> int | None:
        if not self._usable():
            return None
        try:
            client = redis_client(self.url)
            value = client.get(VERSION_KEY)
            if value is None:
                # A random start: after Redis loses the key, old entries never match again.
                client.set(VERSION_KEY, secrets.randbelow(2 ** 48), nx=True)
                value = client.get(VERSION_KEY)
            version = int(value)
        except Exception as exc:  # unreachable, timed out, or not a number: render without the cache
            self._failed(exc)
            return None
        if self._warned:
            self._warned = False
            log.warning("page cache on again: Redis at %s answers", _safe_url(self.url))
        return version

    def bump(self) -> bool:
        try:
            redis_client(self.url).incr(VERSION_KEY)
        except Exception as exc:
            self._failed(exc)
            return False
        return True


def _safe_url(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


def shared_store_url(config) -> str:
    """The Redis URL of the version: PAGE_CACHE_REDIS_URL, else a redis:// rate-limit store."""
    url = config.get("PAGE_CACHE_REDIS_URL") or ""
    if not url:
        storage = config.get("RATELIMIT_STORAGE_URI") or ""
        if storage.startswith(("redis://", "rediss://", "unix://")):
            url = storage
    return url


def version_store(config, instance_path: str | None = None):
    """Redis when configured; else a file of the instance folder (the processes of one machine);
    in tests, where every app is its own world, a counter in the process."""
    url = shared_store_url(config)
    if url:
        return RedisVersion(url)
    if config.get("TESTING") or not instance_path:
        return LocalVersion()
    return FileVersion(os.path.join(instance_path, VERSION_FILE))


class PageCache:
    def __init__(self, config, instance_path: str | None = None):
        self.seconds = int(config.get("PAGE_CACHE_SECONDS") or 0)
        self.store = PageStore(int(config.get("PAGE_CACHE_MAX_BYTES") or 16 * 1024 * 1024))
        self.versions = version_store(config, instance_path)
        self._rendering: dict[tuple, threading.Event] = {}
        self._rendering_lock = threading.Lock()

    def valid(self, entry: Entry | None, version: int) -> bool:
        return entry is not None and entry.version == version and clock() - entry.stored_at < self.seconds

    def due_for_refresh(self, entry: Entry) -> bool:
        return clock() - entry.stored_at >= self.seconds * REFRESH_AFTER

    def render_once(self, key: tuple, version: int, render, fresh: Entry | None = None):
        """Render a page once per process while requests for it keep coming.

        Missing or stale (`fresh` None): requests arriving while one renders wait for its page
        (after a write, threads would all render it at once). Still valid but old (`fresh`): one
        request renders it anew ahead of expiry while the others are answered with `fresh`, so a
        busy page never expires under load and no request waits."""
        with self._rendering_lock:
            rendering = self._rendering.get(key)
            leader = rendering is None
            if leader:
                rendering = self._rendering[key] = threading.Event()
        if not leader:
            if fresh is not None:
                return _replay(fresh)
            rendering.wait(RENDER_WAIT_SECONDS)
            entry = self.store.get(key)
            if self.valid(entry, version):
                return _replay(entry)
            # Not kept (not a 200, ...) or kept for an older version: render it here.
            response = render()
            _offer(self, key, version, response)
            return response
        try:
            response = render()
            _offer(self, key, version, response)
            return response
        finally:
            with self._rendering_lock:
                self._rendering.pop(key, None)
            rendering.set()

    def bump(self) -> None:
        if not self.versions.bump():
            self.store.clear()  # Redis is down: this process at least serves nothing old

    def clear(self) -> None:
        self.store.clear()
        self.bump()


def init_app(app) -> None:
    seconds = int(app.config.get("PAGE_CACHE_SECONDS") or 0)
    app.extensions["page_cache"] = PageCache(app.config, app.instance_path) if seconds > 0 else None


def _cache() -> PageCache | None:
    return current_app.extensions.get("page_cache") if has_app_context() else None


def bump() -> None:
    """Make every cached page stale (e.g. after `flask demo load`, which writes past the ORM)."""
    cache = _cache()
    if cache is not None:
        cache.bump()


def clear() -> None:
    """Drop this process's pages and bump the version (tests, after emptying the database)."""
    cache = _cache()
    if cache is not None:
        cache.clear()


# --- the view decorator -----------------------------------------------------------------------------

def visitor_cached(view):
    """Serve a visitor's GET of this view from the cache (see the module's description)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        cache = current_app.extensions.get("page_cache")
        if cache is None or not _cacheable_request():
            return view(*args, **kwargs)
        version = cache.versions.current()  # first, before anything is read for the page
        if version is None:
            return view(*args, **kwargs)
        key = _key()
        entry = cache.store.get(key)
        fresh = None
        if cache.valid(entry, version):
            if not cache.due_for_refresh(entry):
                return _replay(entry)
            fresh = entry
        return cache.render_once(key, version, lambda: current_app.make_response(view(*args, **kwargs)), fresh)

    return wrapped


def _cacheable_request() -> bool:
    return (request.method == "GET" and _visitor() and "_flashes" not in session
            # This session's own uncommitted writes are not what other visitors see.
            and not db.session.info.get(_WROTE))


def _key() -> tuple:
    return (request.endpoint, request.full_path, request.host_url, str(select_locale()), current_timezone())


def _offer(cache: PageCache, key: tuple, version: int, response) -> None:
    if (response.status_code != 200 or response.is_streamed or response.direct_passthrough
            or "Set-Cookie" in response.headers or session.modified):
        return
    control = response.headers.get("Cache-Control", "")
    if "no-store" in control or "private" in control:
        return
    body = response.get_data()
    nonce = g.get("csp_nonce")
    has_nonce = bool(nonce) and nonce.encode() in body
    if has_nonce:
        body = body.replace(nonce.encode(), NONCE_PLACEHOLDER)
    headers = tuple((name, value) for name, value in response.headers.items()
                    if name.lower() not in PER_REQUEST_HEADERS)
    size = len(body) + sum(len(n) + len(v) for n, v in headers) + len(key[1]) + 200
    cache.store.put(key, Entry(version, clock(), body, headers, has_nonce, size))


def _replay(entry: Entry):
    body = entry.body.replace(NONCE_PLACEHOLDER, csp_nonce().encode()) if entry.nonce else entry.body
    return current_app.response_class(body, status=200, headers=list(entry.headers))


# --- the version bump: after a commit that wrote a visible table ------------------------------------

def _visible_tables(obj) -> bool:
    return any(table.name not in DENIED_TABLES for table in inspect(obj).mapper.tables)


def _visible_change(obj) -> bool:
    state = inspect(obj)
    names = [table.name for table in state.mapper.tables if table.name not in DENIED_TABLES]
    if not names:
        return False
    private = frozenset().union(*(PRIVATE_COLUMNS.get(name, frozenset()) for name in names))
    return any(state.attrs[attr.key].history.has_changes()
               for attr in state.mapper.column_attrs if attr.key not in private)


@event.listens_for(Session, "after_flush")
def _note_flushed_writes(session, flush_context):
    if session.info.get(_WROTE):
        return
    if any(_visible_tables(obj) for obj in session.new) or any(_visible_tables(obj) for obj in session.deleted) \
            or any(_visible_change(obj) for obj in session.dirty):
        session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement_writes(state):
    if state.session.info.get(_WROTE):
        return
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(statement, "table", None)
        if getattr(table, "name", None) not in DENIED_TABLES:
            state.session.info[_WROTE] = True
    elif isinstance(statement, TextClause) and _WRITE_SQL.match(statement.text):
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session):
    if session.in_nested_transaction():  # a savepoint: the outer transaction commits later
        return
    if session.info.pop(_WROTE, False):
        try:
            bump()
        except Exception:  # never turn a committed write into an error
            log.exception("page cache version bump failed")


@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session, *_previous):
    if not session.in_transaction():
        session.info.pop(_WROTE, None)
