"""Home page, language switch, health check."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request, url_for
from sqlalchemy import text

from ..extensions import db
from .events import collect, home_sections
from .i18n import LANG_COOKIE, normalise_locale
from .inputs import safe_next

bp = Blueprint("core", __name__)



@bp.get("/")
def home():
    # (template, context) pairs from the receivers of core.events.home_sections
    return render_template("core/home.html", sections=collect(home_sections))


@bp.get("/lang/<code>")
def set_language(code):
    locale = normalise_locale(code)
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    target = safe_next(request.args.get("next")) or url_for("core.home")  # no open redirects
    response = make_response(redirect(target))
    response.set_cookie(LANG_COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True, secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # the database does not answer
        return jsonify(status="error", database=str(exc.__class__.__name__)), 503
    return jsonify(status="ok", database="ok")
