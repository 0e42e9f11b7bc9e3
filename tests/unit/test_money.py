import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.core.money import fee_for, format_money, parse_amount, split_largest_remainder


@pytest.mark.parametrize("raw,expected", [("1234.56", 123456), ("1,234.5", 123450), ("0.01", 1), (" 7 ", 700)])
def test_parse_amount_major_units(raw, expected):
    assert parse_amount(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "-1", "0", "1.234", "NaN", "Infinity", "1e20"])
def test_parse_amount_rejects_bad_input_naming_the_field(raw):
    with pytest.raises(ValidationFailed) as info:
        parse_amount(raw, "budget_min")
    assert list(info.value.errors) == ["budget_min"]


@pytest.mark.parametrize("raw", [1.5, "1.5", True, None, -5, 0, 10**13])
def test_parse_amount_minor_units_must_be_positive_integers(raw):
    with pytest.raises(ValidationFailed):
        parse_amount(raw, minor=True)


def test_fee_rounds_down_to_one_fen():
    assert fee_for(12345, 1000) == 1234
    assert fee_for(9, 1000) == 0
    assert fee_for(100000, 250) == 2500


def test_largest_remainder_parts_sum_to_whole():
    assert split_largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert split_largest_remainder(10001, [3700, 6300]) == [3700, 6301]
    assert sum(split_largest_remainder(99999, [1, 2, 3, 4])) == 99999


def test_format_money_per_locale(app):
    with app.test_request_context():
        assert format_money(123456, "CNY", locale="zh_CN") == "¥1,234.56"
        assert format_money(123456, "CNY", locale="en").endswith("1,234.56")
