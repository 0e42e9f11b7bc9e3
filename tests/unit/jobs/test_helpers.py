"""Small pieces of the timer framework."""
from __future__ import annotations

import datetime as dt

import click
import pytest

from marketplace.jobs.cli import parse_now
from marketplace.jobs.service import parse_subject_ref, subject_ref


def test_subject_ref_round_trip():
    assert subject_ref("milestone", 12) == "milestone:12"
    assert parse_subject_ref("milestone:12") == ("milestone", 12)


@pytest.mark.parametrize("text, expected", [
    ("2026-05-01T09:00:00", dt.datetime(2026, 5, 1, 9)),
    ("2026-05-01T09:00:00Z", dt.datetime(2026, 5, 1, 9)),
    ("2026-05-01T17:00:00+08:00", dt.datetime(2026, 5, 1, 9)),
    ("2026-05-01", dt.datetime(2026, 5, 1)),
])
def test_parse_now_gives_naive_utc(text, expected):
    assert parse_now(text) == expected


def test_parse_now_empty_is_none_and_garbage_is_refused():
    assert parse_now(None) is None
    with pytest.raises(click.BadParameter):
        parse_now("next tuesday")
