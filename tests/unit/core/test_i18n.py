"""Locale normalisation and choice."""
from __future__ import annotations

import pytest
from flask import current_app

from marketplace.core.i18n import normalise_locale, select_locale


@pytest.mark.parametrize("code, expected", [
    ("zh", "zh_CN"), ("zh-CN", "zh_CN"), ("zh_CN", "zh_CN"), ("zh-Hans-CN", "zh_CN"), ("ZH-cn", "zh_CN"),
    ("en", "en"), ("en-US", "en"), ("en_GB", "en"), ("EN", "en"),
    ("fr", None), ("de-DE", None), ("", None), (None, None),
])
def test_normalise_locale(code, expected):
    assert normalise_locale(code) == expected


def _select(**kwargs):
    with current_app.test_request_context("/", **kwargs):
        return select_locale()


def test_default_is_zh_cn():
    assert _select() == "zh_CN"


def test_accept_language_first_supported_wins():
    assert _select(headers={"Accept-Language": "fr-FR,en;q=0.8,zh;q=0.5"}) == "en"
    assert _select(headers={"Accept-Language": "de,fr"}) == "zh_CN"


def test_cookie_beats_accept_language():
    assert _select(headers={"Accept-Language": "en", "Cookie": "lang=zh_CN"}) == "zh_CN"
    assert _select(headers={"Accept-Language": "zh-CN", "Cookie": "lang=en"}) == "en"


def test_bad_cookie_is_ignored():
    assert _select(headers={"Accept-Language": "en", "Cookie": "lang=klingon"}) == "en"
