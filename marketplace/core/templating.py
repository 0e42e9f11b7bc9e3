"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import get_locale
from markupsafe import Markup
from werkzeug.routing import BuildError

from .audit import action_label
from .catalogue import category_name, city_name
from .i18n import format_clock, format_day, format_when
from .money import format_money
from .references import describe, describe_many
from .statuses import status_name


def nav_url(endpoint: str, **values) -> str | None:
    """url_for that returns None for an endpoint this build does not have."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def icon(name: str, label: str | None = None, cls: str = "") -> Markup:
    """The inline SVG icon `name` from templates/_icons.html (a global, so no import is needed)."""
    module = current_app.jinja_env.get_template("_icons.html").module
    return Markup(module.icon(name, label=label, cls=cls))


def init_templating(app):
    app.jinja_env.filters["money"] = lambda amount, currency="CNY": format_money(amount, currency)
    # One format and the reader's time zone everywhere (core.i18n); a Babel style argument such
    # as |datetime('short') is accepted and has no effect.
    app.jinja_env.filters["datetime"] = lambda value, _style=None: format_when(value)
    app.jinja_env.filters["time"] = lambda value, _style=None: format_clock(value)
    app.jinja_env.filters["date"] = lambda value, _style=None: format_day(value)
    app.jinja_env.filters["city"] = city_name
    app.jinja_env.filters["category"] = category_name
    app.jinja_env.globals["nav_url"] = nav_url
    app.jinja_env.globals["icon"] = icon
    app.jinja_env.globals["status_name"] = status_name
    app.jinja_env.globals["describe"] = describe
    app.jinja_env.globals["action_label"] = action_label
    app.jinja_env.globals["describe_many"] = describe_many

    @app.context_processor
    def globals_():
        return {
            "current_locale": "zh_CN" if get_locale().language == "zh" else "en",
            "languages": current_app.config["LANGUAGES"],
            "request_path": request.full_path.rstrip("?") if request else "/",
            "nl2br": lambda s: Markup("<br>".join(Markup.escape(s or "").split("\n"))),
        }
