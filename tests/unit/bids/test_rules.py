"""Bid field rules without HTTP."""
from __future__ import annotations

import pytest

from marketplace.bids.service import MAX_DAYS, validate_bid_fields
from marketplace.core.money import MAX_AMOUNT


def test_good_bid_has_no_errors():
    assert validate_bid_fields(150_000, 10, "A plan") == {}


@pytest.mark.parametrize("amount,days,proposal,fields", [
    (0, 1, "p", {"amount"}), (-1, 1, "p", {"amount"}), (MAX_AMOUNT + 1, 1, "p", {"amount"}),
    ("100", 1, "p", {"amount"}), (True, 1, "p", {"amount"}),
    (1, 0, "p", {"days"}), (1, MAX_DAYS + 1, "p", {"days"}), (1, 2.5, "p", {"days"}),
    (1, 1, "   ", {"proposal"}), (1, 1, "x" * 20001, {"proposal"}), (1, 1, None, {"proposal"}),
    (0, 0, "", {"amount", "days", "proposal"}),
])
def test_every_bad_field_is_named(amount, days, proposal, fields):
    assert set(validate_bid_fields(amount, days, proposal)) == fields
