"""Huizhong (汇众): a crowdsourcing task marketplace.

create_app() builds the Flask application: extensions, one blueprint per domain, the JSON API,
error handling for pages and API, and the commit boundary (one commit per request).
"""
from __future__ import annotations

import importlib
import logging
import os
import time
from urllib.parse import urlsplit

from flask import Flask, flash, g, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.pool import StaticPool
from werkzeug.exceptions import HTTPException

from config import INSTANCE_DIR, config_from_env, instance_secret_key

from . import api
from .config_check import check as check_config
from .core import db as unit
from .core.errors import Conflict, DomainError, ServiceUnavailable, ValidationFailed
from .core.i18n import select_locale, select_timezone
from .core.inputs import register_converters, safe_next
from .core.logging import configure_logging
from .extensions import babel, csrf, db, limiter, login_manager, migrate

# Domain packages, in the dependency order of docs/architecture.md (a domain imports only those
# before it; "disputes" goes between bounties and reputation). Each has init_app(app) (models, blueprints, API routes,
# CLI) and may have demo.py with load() for `flask demo load`.
DOMAINS = (
    "core",
    "ledger",
    "jobs",
    "notifications",
    "accounts",
    "organisations",
    "verification",
    "payments",
    "tasks",
    "bids",
    "contracts",
    "bounties",
    "disputes",
    "reputation",
    "moderation",
    "operator",
    "dashboard",
)

log = logging.getLogger(__name__)

# What a 503 during a database outage asks the client to wait before retrying.
RETRY_AFTER_SECONDS = "5"


def create_app(config_class=None, **overrides) -> Flask:

    config_class = config_class or config_from_env()
    if hasattr(config_class, "check"):
        config_class.check()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(__name__, instance_path=str(INSTANCE_DIR),
                template_folder=os.path.join(root, "templates"),
                static_folder=os.path.join(root, "static"))
    app.config.from_object(config_class)
    app.config.update(overrides)
    check_config(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    _configure_engine(app)

    configure_logging(app)

    db.init_app(app)
    _ping_idle_connections(app)
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"), render_as_batch=True)
    register_converters(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    for name in DOMAINS:
        module = importlib.import_module(f".{name}", __name__)
        module.init_app(app)

    api.init_app(app)
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)

    _register_error_handlers(app)
    _register_commit_boundary(app)
    from . import cli  # cycle: cli lists DOMAINS from this module
    cli.init_app(app)
    return app


def _configure_engine(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {}).setdefault("timeout", 15)
        if uri in ("sqlite://", "sqlite:///:memory:"):
            options.setdefault("poolclass", StaticPool)
            options["connect_args"]["check_same_thread"] = False
    else:
        # Connections idle longer than DATABASE_PING_AFTER_SECONDS are tested before use (see
        # _ping_idle_connections); SQLAlchemy's pre-ping would test every one, a round trip per request.
        options.setdefault("pool_pre_ping", int(app.config.get("DATABASE_PING_AFTER_SECONDS", 10)) <= 0)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _ping_idle_connections(app: Flask) -> None:
    """Test (SELECT 1) a pooled connection before use when it has been idle longer than
    DATABASE_PING_AFTER_SECONDS: after a database restart or failover, or a firewall dropping quiet
    connections, the dead ones are replaced instead of failing a request. A connection in steady
    use is not tested, so a request costs no extra round trip; should the database restart within
    those seconds, a request on a dead connection gets the 503 (Retry-After) and SQLAlchemy
    replaces the whole pool."""
    after = int(app.config.get("DATABASE_PING_AFTER_SECONDS", 10))
    if app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping") or after <= 0:
        return
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _mark_idle(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since < after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool discards this connection and takes (or opens) another
            raise DisconnectionError("the connection did not answer a ping") from exc


def _register_commit_boundary(app: Flask) -> None:

    def begin_unit_of_work():
        # g belongs to the app context, which a test shares across its requests: start each
        # request without the previous one's refusal to commit or its cached (API) user.
        for key in ("no_commit", "api_user", "_login_user", "read_only"):
            g.pop(key, None)

    app.before_request_funcs.setdefault(None, []).insert(0, begin_unit_of_work)

    @app.after_request
    def commit_unit_of_work(response):
        if response.status_code >= 400 or g.get("no_commit"):
            unit.rollback()
            return response
        try:
            unit.commit()
        except Exception as exc:  # a race lost at commit time
            if isinstance(exc, DomainError):
                response = app.make_response(_render_domain_error(exc))
                if response.status_code == 503:
                    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
                return response
            raise
        return response


def _render_domain_error(exc):

    unit.rollback()
    g.no_commit = True
    if api.is_api_request():
        return api.domain_problem(exc)
    if request.method == "POST" and not exc.errors:
        # An action on a page (award, accept, claim, ...) that is no longer possible: say why on
        # the page the user came from. (Field errors belong on a re-shown form instead.)
        target = _safe_referrer()
        if target:
            flash(str(exc.message), "error")
            return redirect(target, code=303)
    message = str(exc.message)
    if isinstance(exc, ValidationFailed) and exc.errors:
        message += " " + "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
    return render_template("errors/error.html", status=exc.status, message=message), exc.status


def _safe_referrer():
    ref = request.referrer
    if not ref:
        return None
    parts = urlsplit(ref)
    if parts.netloc and parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def _register_error_handlers(app: Flask) -> None:

    @app.errorhandler(DomainError)
    def handle_domain_error(exc):
        return _render_domain_error(exc)

    @app.errorhandler(HTTPException)
    def handle_http(exc):
        unit.rollback()
        g.no_commit = True
        if api.is_api_request():
            return api.http_problem(exc)
        if exc.code and exc.code < 400:
            return exc
        return render_template("errors/error.html", status=exc.code,
                               message=_http_message(exc.code)), exc.code

    @app.errorhandler(IntegrityError)
    def handle_integrity(exc):
        log.info("integrity error: %s", exc.orig)
        return _render_domain_error(Conflict())

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def handle_database_unavailable(exc):
        # The database went away (a restart, a failover) or is locked: nothing of this request is
        # kept (rolled back) and the client is told to retry; the pool's pre-ping replaces the
        # dead connections, so the app recovers without a restart.
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc.__class__.__name__)
        try:
            unit.rollback()
        except Exception:  # the connection is gone; the pool discards it
            log.info("rollback after a database error failed", exc_info=True)
        g.no_commit = True
        error = ServiceUnavailable(_l("The database is not available right now. Nothing was changed; "
                                      "please try again in a moment."))
        if api.is_api_request():
            response = api.domain_problem(error)
        else:
            response = app.make_response((render_template("errors/error.html", status=503,
                                                          message=error.message), 503))
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc):
        unit.rollback()
        g.no_commit = True
        log.exception("unhandled error on %s %s", request.method, request.path)
        if api.is_api_request():
            return api.problem(500, "Internal Server Error", "Something went wrong on our side.")
        return render_template("errors/error.html", status=500, message=_http_message(500)), 500


def _http_message(code):
    messages = {
        400: _l("The request was not understood."),
        401: _l("Please log in."),
        403: _l("You are not allowed to see this page."),
        404: _l("This page does not exist."),
        405: _l("This method is not allowed here."),
        413: _l("The upload is too large."),
        429: _l("Too many requests. Please wait a moment and try again."),
        500: _l("Something went wrong on our side. It has been logged."),
    }
    return messages.get(code, _l("The request could not be completed."))
