"""The negative list: rules, normalisation, configuration."""
import pytest

from marketplace.core.negative_list import find_violation


@pytest.mark.parametrize("text,rule", [
    ("网络赌博推广", "gambling"),
    ("博彩网站开发", "gambling"),
    ("Build a gambling site", "gambling"),
    ("ＧＡＭＢＬＩＮＧ platform", "gambling"),
    ("online CASINOS wanted", "gambling"),
    ("淘宝刷单兼职", "fake_reviews"),
    ("刷 单", "fake_reviews"),
    ("need fake-reviews for my shop", "fake_reviews"),
    ("代写论文，价格面议", "ghost_writing"),
    ("代　写　论　文", "ghost_writing"),
    ("thesis ghostwriting service", "ghost_writing"),
    ("出售枪支配件", "weapons"),
    ("发票代开", "fake_invoices"),
    ("代开发票 增值税", "fake_invoices"),
    ("发票-代开", "fake_invoices"),
])
def test_banned_content_is_found_with_its_rule(app, text, rule):
    violation = find_violation(text)
    assert violation is not None and violation.rule == rule


@pytest.mark.parametrize("text", [
    "光纤传感器研发", "English to Chinese translation of an occasion speech", "begun the gunwale repair",
    "发票管理系统开发", "论文排版与格式检查", "", None,
])
def test_ordinary_content_passes(app, text):
    assert find_violation(text) is None


def test_rules_come_from_the_configuration(app):
    app.config["NEGATIVE_LIST_RULES"] = {"pyramid_selling": ["传销"]}
    try:
        assert find_violation("传销拉人头").rule == "pyramid_selling"
        assert find_violation("网络赌博") is None
    finally:
        app.config.pop("NEGATIVE_LIST_RULES")


def test_extra_words_extend_the_defaults(app):
    app.config["NEGATIVE_LIST_EXTRA"] = "gambling:斗地主代打;loans:套路贷"
    try:
        assert find_violation("斗地主 代打").rule == "gambling"
        assert find_violation("套路贷催收").rule == "loans"
        assert find_violation("赌博").rule == "gambling"
    finally:
        app.config["NEGATIVE_LIST_EXTRA"] = ""
