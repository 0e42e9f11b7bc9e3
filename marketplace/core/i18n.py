"""Language and time zone, and the one way every page, mail and notification shows a time.

Language: the cookie, then the user's setting, then Accept-Language. Time zone: the user's choice
(one of TIMEZONES), else Asia/Shanghai (BABEL_DEFAULT_TIMEZONE). Stored times are naive UTC;
`format_when` (date and time), `format_day` (date) and `format_clock` (time of day) show them in the
reader's zone in one format for every language: 2026-12-31 18:00. A mail or a text made for
someone else is formatted inside `with for_reader(user):` (their language and zone).
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import force_locale, get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

LANG_COOKIE = "lang"
DEFAULT_TIMEZONE = "Asia/Shanghai"

# The zones a user may choose (settings page and PATCH /api/v1/me "timezone"), with their names.
TIMEZONES = {
    "Asia/Shanghai": _l("China (Beijing time)"),
    "Asia/Hong_Kong": _l("Hong Kong"),
    "Asia/Taipei": _l("Taipei"),
    "Asia/Tokyo": _l("Tokyo"),
    "Asia/Seoul": _l("Seoul"),
    "Asia/Singapore": _l("Singapore"),
    "Asia/Kolkata": _l("India"),
    "Asia/Dubai": _l("Dubai"),
    "Europe/Moscow": _l("Moscow"),
    "Europe/Berlin": _l("Central Europe (Berlin, Paris)"),
    "Europe/London": _l("London"),
    "UTC": _l("UTC"),
    "America/New_York": _l("US Eastern (New York)"),
    "America/Chicago": _l("US Central (Chicago)"),
    "America/Los_Angeles": _l("US Pacific (Los Angeles)"),
    "Australia/Sydney": _l("Sydney"),
}

DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"
CLOCK_FORMAT = "%H:%M"


def normalise_locale(code: str | None) -> str | None:
    if not code:
        return None
    code = code.replace("-", "_")
    if code.lower().startswith("zh"):
        return "zh_CN"
    if code.lower().startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    chosen = normalise_locale(request.cookies.get(LANG_COOKIE)) if request else None
    if chosen in supported:
        return chosen
    try:
        if current_user and current_user.is_authenticated and current_user.locale in supported:
            return current_user.locale
    except Exception:  # no user loader during early errors
        pass
    if request and request.accept_languages:
        for value, _quality in request.accept_languages:
            loc = normalise_locale(value)
            if loc in supported:
                return loc
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def translations():
    """The message catalogue of the current language (Flask-Babel's), looked up once per request
    and language: Flask-Babel looks the context, domain and locale up again for every message,
    which costs more than translating it, and a page translates a hundred messages."""
    locale = get_locale()
    if locale is None:  # outside an app context: no translation
        return get_translations()
    kept = g.get("_translations")
    if kept is None or kept[0] is not locale:  # a new request, or inside force_locale / for_reader
        kept = g._translations = (locale, get_translations())
    return kept[1]


class PerLanguage:
    """A value made of translated texts (a dict of labels), made once per language and kept:
    `names = PerLanguage(lambda: {code: str(label) for code, label in LABELS.items()})`, then
    `names()` in a request gives them in its language without translating each again."""

    def __init__(self, make):
        self._make = make
        self._made: dict[str, object] = {}

    @staticmethod
    def current() -> str:
        """The current language's code ("zh_CN" outside a request, as money formatting assumes)."""
        return str(get_locale() or "zh_CN")

    def __call__(self):
        language = self.current()
        made = self._made.get(language)
        if made is None:
            made = self._made[language] = self._make()
        return made


@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables) -> str:
    """`_()` and `gettext()` in templates: what Jinja's i18n extension does with Flask-Babel's
    callables (newstyle: the message is always a format string; Markup where autoescaping), in
    one call instead of three."""
    text = translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def default_timezone() -> str:
    if has_app_context():
        return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_TIMEZONE
    return DEFAULT_TIMEZONE


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, f"{label} ({name})") for name, label in TIMEZONES.items()]


def zone_of(user) -> str:
    """The user's chosen zone, or the default."""
    chosen = getattr(user, "timezone", None)
    return chosen if chosen in TIMEZONES else default_timezone()


def _request_user():
    if not has_request_context():
        return None
    api_user = g.get("api_user")  # a bearer-token request (set by the API layer)
    if api_user is not None:
        return api_user
    try:
        if current_user and current_user.is_authenticated:
            return current_user
    except Exception:  # no user loader during early errors
        return None
    return None


def current_timezone() -> str:
    """The zone times are shown in now: the reader's set by `for_reader`, else the signed-in
    user's, else the default."""
    if has_app_context():
        forced = g.get("_reader_timezone")
        if forced:
            return forced
    user = _request_user()
    return zone_of(user) if user is not None else default_timezone()


def select_timezone() -> str:
    return current_timezone()


@contextmanager
def for_reader(user):
    """Format texts for `user` (a mail, a notification rendered for someone else): their
    language and time zone."""
    locale = getattr(user, "locale", None) or (current_app.config["BABEL_DEFAULT_LOCALE"]
                                               if has_app_context() else "zh_CN")
    previous = g.get("_reader_timezone") if has_app_context() else None
    if has_app_context():
        g._reader_timezone = zone_of(user)
    try:
        with force_locale(locale):
            yield
    finally:
        if has_app_context():
            g._reader_timezone = previous


def local_time(value: dt.datetime, zone: str | None = None) -> dt.datetime:
    """A stored naive-UTC time (or an aware one) in `zone` (default: the current reader's)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(ZoneInfo(zone or current_timezone()))


def format_when(value, zone: str | None = None) -> str:
    """Date and time of a stored moment, e.g. 2026-12-31 18:00, in the reader's zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        return value.strftime(DATE_FORMAT)
    return local_time(value, zone).strftime(DATETIME_FORMAT)


def format_day(value, zone: str | None = None) -> str:
    """The date of a stored moment (or a date), e.g. 2026-12-31, in the reader's zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = local_time(value, zone)
    return value.strftime(DATE_FORMAT)


def format_clock(value, zone: str | None = None) -> str:
    """The time of day of a stored moment, e.g. 18:00, in the reader's zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = local_time(value, zone)
    return value.strftime(CLOCK_FORMAT)
