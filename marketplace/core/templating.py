"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import get_locale
from markupsafe import Markup
from werkzeug.routing import BuildError

from .audit import action_label
from .catalogue import category_name, city_name
from .i18n import format_clock, format_day, format_when, template_gettext, template_ngettext
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
    """The inline SVG icon `name` from templates/_icons.html (a global, so no import is needed).
    Each (name, label, class) is rendered once and kept, unless templates reload when changed."""
    env = current_app.jinja_env
    key = (name, None if label is None else str(label), cls)
    cache = _template_cache("icon_cache")
    if cache is not None and key in cache:
        return cache[key]
    svg = Markup(env.get_template("_icons.html").module.icon(name, label=key[1], cls=cls))
    if cache is not None and len(cache) < 1000:
        cache[key] = svg
    return svg


def _template_cache(name: str) -> dict | None:
    """A dict kept on the Jinja environment for rendered fragments; None while templates reload
    when changed (development), so an edit shows at once."""
    env = current_app.jinja_env
    return None if env.auto_reload else env.__dict__.setdefault(name, {})


def static_select(f) -> Markup:
    """`field(f)` of macros.html for a select whose label and options depend on the language
    only (a filter form's categories, cities, sorts): rendered once per language, field and
    chosen value, then kept. A field with errors, or a value outside its choices, is rendered
    each time."""
    env = current_app.jinja_env
    values = tuple(str(choice[0]) for choice in f.choices)
    data = "" if f.data is None else str(f.data)
    cache = _template_cache("select_cache")
    if cache is None or f.errors or (data and data not in values):
        return Markup(env.get_template("macros.html").module.field(f))
    key = (str(get_locale()), f.name, f.id, data, values)
    html = cache.get(key)
    if html is None:
        html = Markup(env.get_template("macros.html").module.field(f))
        if len(cache) < 4000:
            cache[key] = html
    return html


def static_field(f, **kwargs) -> Markup:
    """`field(f, **kwargs)` of macros.html for a filter input left empty (the search box, an
    amount): the same for every reader of a language, so rendered once per language, field and
    arguments, then kept. A field holding a value or errors is rendered each time."""
    env = current_app.jinja_env
    cache = _template_cache("field_cache")
    empty = not f.errors and f.data in (None, "") and not any(f.raw_data or ())
    if cache is None or not empty:
        return Markup(env.get_template("macros.html").module.field(f, **kwargs))
    key = (str(get_locale()), f.name, f.id, f.type, tuple(sorted((k, str(v)) for k, v in kwargs.items())))
    html = cache.get(key)
    if html is None:
        html = Markup(env.get_template("macros.html").module.field(f, **kwargs))
        if len(cache) < 1000:
            cache[key] = html
    return html


def init_templating(app):
    # After Flask-Babel's init_app: the same messages, one catalogue lookup per request (i18n.py).
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
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
    app.jinja_env.globals["static_select"] = static_select
    app.jinja_env.globals["static_field"] = static_field
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
