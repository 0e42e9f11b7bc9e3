"""Reputation in the browser, on the demo data: a double-blind review completed by the second side,
the credit profile that explains the score, the credit record chain, the expert pool, and a
blocklisted user told why they cannot post. Saves the screenshots the guides use."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from marketplace.accounts.demo import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_database(live_server, tmp_path_factory) -> str:
    found = sorted(tmp_path_factory.getbasetemp().glob("e2e*/e2e.sqlite3"))
    assert found, "the live server's database was not found"
    url = f"sqlite:///{found[0]}"
    env = {**os.environ, "DATABASE_URL": url, "HUIZHONG_ENV": "testing"}
    flask = str(Path(sys.executable).with_name("flask"))
    result = subprocess.run([flask, "--app", "wsgi", "demo", "load"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return url


def _login(browser, live_server, email):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    form = page.get_by_test_id("login-form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.locator(".usernav")).to_be_visible()
    return page


def test_double_blind_review_credit_profile_experts_and_blocklist(browser, live_server, demo_database,
                                                                  screenshot_dir):
    # Zhao finished the science-museum visit; the household reviewed it, and Zhao cannot see that yet.
    zhao = _login(browser, live_server, "solver.zhao@huizhong.example")
    zhao.goto("/reviews")
    zhao.get_by_test_id("reviews-due").get_by_role("link", name="湖北省科技馆参观讲解（半天）").click()
    expect(zhao).to_have_url(re.compile(r"/engagements/\d+$"))
    engagement_url = zhao.url
    expect(zhao.get_by_test_id("engagement-reviews")).not_to_contain_text("迟到了十分钟")
    form = zhao.get_by_test_id("review-form")
    for name, value in (("rating", "5"), ("quality", "5"), ("communication", "4"), ("timeliness", "5")):
        form.locator(f"input[name={name}][value='{value}']").check()
    form.locator("textarea[name=text]").fill("刘阿姨很和气，路线提前沟通好了。")
    zhao.screenshot(path=str(screenshot_dir / "review-form.png"), full_page=True)
    form.get_by_test_id("review-submit").click()
    # Both reviewed: both are published at once.
    expect(zhao.get_by_test_id("engagement-reviews")).to_contain_text("迟到了十分钟")
    expect(zhao.get_by_test_id("engagement-reviews")).to_contain_text("路线提前沟通好了")
    assert zhao.url == engagement_url

    # Wang's public profile explains the score in plain words, with a level badge and reviews.
    zhao.goto("/experts")
    expect(zhao.get_by_test_id("expert-list")).to_contain_text("王芳")
    zhao.screenshot(path=str(screenshot_dir / "experts.png"), full_page=True)
    zhao.get_by_test_id("expert-list").get_by_role("link", name="王芳").click()
    expect(zhao.get_by_test_id("expert-credit")).to_be_visible()
    zhao.get_by_role("link", name="个人主页").click()
    expect(zhao.get_by_test_id("profile-credit")).to_contain_text("为什么信用分是")
    expect(zhao.get_by_test_id("credit-level")).to_be_visible()
    expect(zhao.get_by_test_id("profile-reviews")).to_contain_text("阅读速度明显提高")
    zhao.screenshot(path=str(screenshot_dir / "profile-credit.png"), full_page=True)
    zhao.get_by_test_id("credit-record-link").click()
    expect(zhao.get_by_test_id("chain-head")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    zhao.screenshot(path=str(screenshot_dir / "credit-record.png"), full_page=True)

    # The blocklisted demo user is told why posting is refused.
    blocked = _login(browser, live_server, "blocked@huizhong.example")
    blocked.goto("/tasks/new")
    form = blocked.get_by_test_id("task-form")
    form.locator("input[name=title]").fill("刷单任务")
    form.locator("textarea[name=description]").fill("测试")
    form.locator("button[type=submit]").click()
    expect(blocked.locator("body")).to_contain_text("组织刷单、发布虚假评价")
    blocked.screenshot(path=str(screenshot_dir / "blocklisted.png"), full_page=True)
