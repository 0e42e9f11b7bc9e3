"""Dates and times for pages, as Flask-Babel's format_datetime prints them, with Babel's per-call
work done once per language and format.

Babel's format_datetime looks up the language's patterns and parses them on every call; a list
page formats a date on every card. `format_datetime(value, "short")` here keeps the parsed
patterns per (language, format) and only applies them, so the text is the same (the unit tests
compare both over many moments, in every language and format); and the texts of the moments
formatted last are kept (a list shows the same tasks to every visitor until it changes).
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel import Locale
from babel.dates import get_date_format, get_datetime_format, get_time_format, parse_pattern
from flask_babel import format_datetime as babel_format_datetime
from flask_babel import get_locale, get_timezone

NAMED_FORMATS = ("full", "long", "medium", "short")


@lru_cache(maxsize=64)
def _patterns(locale: str, fmt: str):
    """(Locale, the date-time frame or None, time pattern, date pattern or None)."""
    babel_locale = Locale.parse(locale)
    if fmt in NAMED_FORMATS:
        return (babel_locale, get_datetime_format(fmt, locale=babel_locale).replace("'", ""),
                parse_pattern(get_time_format(fmt, locale=babel_locale)),
                parse_pattern(get_date_format(fmt, locale=babel_locale)))
    return babel_locale, None, parse_pattern(fmt), None


def format_datetime(value: dt.datetime | None, fmt: str = "medium", *, locale=None, tzinfo=None) -> str:
    """A (naive UTC) moment in the request's language and time zone; "" for None."""
    if not value:
        return ""
    if not isinstance(value, dt.datetime):
        return babel_format_datetime(value, fmt)
    return _format(str(locale or get_locale() or "zh_CN"), tzinfo or get_timezone(), fmt, value)


@lru_cache(maxsize=8192)
def _format(locale: str, tzinfo, fmt: str, value: dt.datetime) -> str:
    babel_locale, frame, time_pattern, date_pattern = _patterns(locale, fmt)
    local = value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
    local = local.astimezone(tzinfo)
    if hasattr(tzinfo, "normalize"):  # pytz
        local = tzinfo.normalize(local)
    if frame is None:
        return time_pattern.apply(local, babel_locale)
    time_text = time_pattern.apply(local.timetz(), babel_locale, reference_date=local.date())
    return frame.replace("{0}", time_text).replace("{1}", date_pattern.apply(local.date(), babel_locale))
