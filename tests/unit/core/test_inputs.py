"""core.inputs: ids, ASCII whole numbers, cursors and the safe `next` check."""
from __future__ import annotations

import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.core.inputs import MAX_ID, check_cursor, parse_id, parse_int, safe_next


@pytest.mark.parametrize("value", ["²", "١٢٣", "1e3", "", " ", "1.0", "0x1", True, None, 1.0, [1], "9" * 30])
def test_parse_int_refuses_anything_but_ascii_digits(value):
    with pytest.raises(ValidationFailed) as exc:
        parse_int(value, "days")
    assert list(exc.value.errors) == ["days"]


def test_parse_int_reads_ascii_digits_and_ints_within_bounds():
    assert parse_int(" 42 ", "n") == 42
    assert parse_int(-3, "n") == -3
    assert parse_int("7", "n", minimum=1, maximum=7) == 7
    with pytest.raises(ValidationFailed):
        parse_int("8", "n", minimum=1, maximum=7)


@pytest.mark.parametrize("value", [0, -1, MAX_ID + 1, 2**64, "0", "18446744073709551616"])
def test_parse_id_is_one_to_two_to_the_63_minus_one(value):
    with pytest.raises(ValidationFailed):
        parse_id(value, "task_id")
    assert parse_id(str(MAX_ID), "task_id") == MAX_ID


def test_check_cursor_accepts_what_the_encoders_write():
    assert check_cursor({"before": 5}) == {"before": 5}
    assert check_cursor({"s": "newest", "t": "2026-01-01T00:00:00+00:00", "id": 9})
    assert check_cursor({"s": "amount", "v": -1, "id": 1})


@pytest.mark.parametrize("target", [
    "/\t/evil.example", "/%09/evil.example".replace("%09", "\t"), "//evil.example", "/\\evil.example",
    "https://evil.example/", "javascript:alert(1)", "/\n/evil.example", "/ /evil.example", "", None, "evil",
])
def test_safe_next_refuses_every_way_off_site(target):
    assert safe_next(target) is None


def test_safe_next_keeps_a_local_path_with_its_query():
    assert safe_next("/tasks/7?tab=bids#top") == "/tasks/7?tab=bids#top"
