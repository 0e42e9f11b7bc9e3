"""Fee rules: PLATFORM_FEE_BPS with per-category overrides, fee rounded down, parts sum to the whole."""
from __future__ import annotations

import pytest

from marketplace.core.money import fee_for, split_largest_remainder
from marketplace.ledger.fees import _parse_fee_overrides, fee_bps_for
from marketplace.ledger.posting import _fingerprint


@pytest.fixture
def fee_config(app):
    saved = (app.config["PLATFORM_FEE_BPS"], app.config["PLATFORM_FEE_BPS_BY_CATEGORY"])
    yield app.config
    app.config["PLATFORM_FEE_BPS"], app.config["PLATFORM_FEE_BPS_BY_CATEGORY"] = saved


def test_default_fee_is_ten_percent(fee_config):
    assert fee_bps_for(None) == 1000
    assert fee_bps_for("design") == 1000


def test_category_override_and_fallback(fee_config):
    fee_config["PLATFORM_FEE_BPS"] = 800
    fee_config["PLATFORM_FEE_BPS_BY_CATEGORY"] = "tutoring=500, delivery=0 ,rd=1500"
    assert fee_bps_for("tutoring") == 500
    assert fee_bps_for("delivery") == 0
    assert fee_bps_for("rd") == 1500
    assert fee_bps_for("design") == 800
    assert fee_bps_for(None) == 800


@pytest.mark.parametrize("text", ["tutoring", "tutoring=abc", "=500", "tutoring=10001", "a=-1"])
def test_bad_override_config_is_refused(text):
    with pytest.raises(ValueError):
        _parse_fee_overrides(text)


def test_empty_override_config_means_none():
    assert _parse_fee_overrides("") == {}
    assert _parse_fee_overrides(" , ") == {}


def test_fee_rounds_down_to_one_fen():
    assert fee_for(123457, 1000) == 12345
    assert fee_for(9, 1000) == 0
    assert fee_for(1999, 500) == 99


def test_largest_remainder_parts_sum_to_the_whole():
    for total in (1, 99, 100, 123457, 10**12):
        for percent in range(101):
            parts = split_largest_remainder(total, [percent, 100 - percent])
            assert sum(parts) == total and min(parts) >= 0


def test_request_fingerprint_is_order_independent_and_parameter_sensitive():
    assert _fingerprint("release", {"a": 1, "b": [1, 2]}) == _fingerprint("release", {"b": [1, 2], "a": 1})
    assert _fingerprint("release", {"a": 1}) != _fingerprint("release", {"a": 2})
    assert _fingerprint("release", {"a": 1}) != _fingerprint("refund", {"a": 1})
