"""Money and dates on pages come from per-language patterns prepared once; they print exactly
what Babel's format_currency and Flask-Babel's format_datetime print."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from babel.numbers import format_currency
from flask import render_template_string
from flask_babel import force_locale
from flask_babel import format_datetime as babel_format_datetime

from marketplace.core.formatting import format_datetime
from marketplace.core.money import SUPPORTED_CURRENCIES, _money_formatter, format_money, to_decimal

AMOUNTS = [0, 1, 9, 10, 99, 100, 105, 999, 1000, 100000, 123456, 1234567, 99999999, 100000000000, 10**12]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("currency", SUPPORTED_CURRENCIES)
def test_money_is_printed_as_babel_prints_it(locale, currency):
    rng = random.Random(7)
    amounts = AMOUNTS + [rng.randrange(0, 10**12) for _ in range(300)]
    for amount in amounts:
        assert format_money(amount, currency, locale) == format_currency(to_decimal(amount, currency), currency,
                                                                         locale=locale), amount


def test_money_in_a_locale_of_another_shape_and_negative_amounts_go_through_babel():
    # Indian grouping (12,34,567.89) does not fit the fast pattern: Babel prints it.
    assert _money_formatter("hi_IN", "CNY") is None
    assert format_money(123456789, "CNY", "hi_IN") == format_currency(to_decimal(123456789), "CNY", locale="hi_IN")
    assert format_money(-123456, "CNY", "zh_CN") == "-¥1,234.56"
    assert format_money(None) == ""


def test_the_money_filter_uses_the_request_language(app):
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert render_template_string("{{ 123456|money }}") == "¥1,234.56"
        with force_locale("en"):
            assert render_template_string("{{ 123456|money('USD') }}") == "$1,234.56"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full", "yyyy-MM-dd HH:mm"])
def test_dates_are_printed_as_flask_babel_prints_them(app, locale, fmt):
    rng = random.Random(11)
    moments = [dt.datetime(2026, 1, 1) + dt.timedelta(seconds=rng.randrange(0, 400_000_000)) for _ in range(200)]
    moments += [dt.datetime(2026, 12, 31, 16, 0), dt.datetime(2026, 12, 31, 15, 59, 59)]  # the local year turns
    with app.test_request_context(), force_locale(locale):
        for moment in moments:
            assert format_datetime(moment, fmt) == babel_format_datetime(moment, fmt), moment
        aware = dt.datetime(2026, 5, 1, 3, 4, tzinfo=dt.timezone.utc)
        assert format_datetime(aware, fmt) == babel_format_datetime(aware, fmt)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_datetime_filter_is_local_time_in_one_format_and_empty_for_none(app, locale):
    with app.test_request_context(), force_locale(locale):
        assert render_template_string("{{ t|datetime('short') }}", t=dt.datetime(2026, 3, 1, 12)) == "2026-03-01 20:00"
        assert render_template_string("{{ t|datetime }}", t=None) == ""
