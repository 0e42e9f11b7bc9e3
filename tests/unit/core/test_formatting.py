"""Money on pages comes from per-language patterns prepared once and prints exactly what Babel's
format_currency prints; dates print in one format, in the reader's time zone."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from babel.numbers import format_currency
from flask import render_template_string
from flask_babel import force_locale

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
def test_the_datetime_filter_is_local_time_in_one_format_and_empty_for_none(app, locale):
    with app.test_request_context(), force_locale(locale):
        assert render_template_string("{{ t|datetime('short') }}", t=dt.datetime(2026, 3, 1, 12)) == "2026-03-01 20:00"
        assert render_template_string("{{ t|datetime }}", t=None) == ""
