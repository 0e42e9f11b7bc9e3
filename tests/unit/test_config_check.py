"""Configuration is checked at start-up and every refusal names the variable."""
from __future__ import annotations

import pytest

from config import TestingConfig
from marketplace import create_app


@pytest.mark.parametrize("overrides, name", [
    ({"PLATFORM_FEE_BPS_BY_CATEGORY": "tutoring=5OO"}, "PLATFORM_FEE_BPS_BY_CATEGORY"),
    ({"PLATFORM_FEE_BPS_BY_CATEGORY": "tutoring=20000"}, "PLATFORM_FEE_BPS_BY_CATEGORY"),
    ({"PLATFORM_FEE_BPS_BY_CATEGORY": "tutorng=500"}, "PLATFORM_FEE_BPS_BY_CATEGORY"),
    ({"PLATFORM_FEE_BPS": 10001}, "PLATFORM_FEE_BPS"),
    ({"PAYOUT_MIN_AMOUNT": 0}, "PAYOUT_MIN_AMOUNT"),
    ({"FOUR_EYES_AMOUNT": "lots"}, "FOUR_EYES_AMOUNT"),
    ({"LOGIN_RATE_LIMIT": "thirty a minute"}, "LOGIN_RATE_LIMIT"),
    ({"REVIEW_DAYS": -1}, "REVIEW_DAYS"),
    ({"BOUNTY_DISPUTE_DAYS": 0}, "BOUNTY_DISPUTE_DAYS"),
    ({"BOUNTY_DISPUTE_DAYS": "seven"}, "BOUNTY_DISPUTE_DAYS"),
    ({"BOUNTY_REVIEW_SLA_HOURS": -5}, "BOUNTY_REVIEW_SLA_HOURS"),
    ({"DEFAULT_CURRENCY": "XYZ"}, "DEFAULT_CURRENCY"),
])
def test_a_bad_setting_stops_the_start_naming_it(overrides, name):
    with pytest.raises(RuntimeError, match=name):
        create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", **overrides)


def test_good_fee_overrides_start(tmp_path):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", UPLOAD_DIR=str(tmp_path),
                     PLATFORM_FEE_BPS_BY_CATEGORY="tutoring=500, delivery=800")
    assert app.config["PLATFORM_FEE_BPS_BY_CATEGORY"]


def test_an_environment_number_typo_names_the_variable(monkeypatch):
    from config import _env_int
    monkeypatch.setenv("PAYOUT_MIN_AMOUNT", "1O00")
    with pytest.raises(RuntimeError, match="PAYOUT_MIN_AMOUNT"):
        _env_int("PAYOUT_MIN_AMOUNT", 1000)
    monkeypatch.setenv("PAYOUT_MIN_AMOUNT", "5_000")
    assert _env_int("PAYOUT_MIN_AMOUNT", 1000) == 5000
