"""A tender from post to paid, in the browser: the poster posts a tender in Chinese, a solver bids,
the poster awards it and funds the milestone by bank transfer, an operator confirms the transfer,
the solver delivers, the poster accepts, and the solver's wallet shows the release."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Correct-Horse-42"


@pytest.fixture
def live_database(live_server, tmp_path_factory) -> str:
    """The SQLite file the live server uses (made by the session fixture under the base temp dir)."""
    found = sorted(tmp_path_factory.getbasetemp().glob("e2e*/e2e.sqlite3"))
    assert found, "the live server's database was not found"
    return f"sqlite:///{found[0]}"


def _create_user(database_url: str, email: str, name: str, role: str = "member") -> None:
    """`flask users create`, the documented way to make accounts (operators included)."""
    env = {**os.environ, "DATABASE_URL": database_url, "HUIZHONG_ENV": "testing"}
    flask = str(Path(sys.executable).with_name("flask"))
    result = subprocess.run([flask, "--app", "wsgi", "users", "create", email, "--password", PASSWORD,
                             "--role", role, "--name", name], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def _login(browser, live_server, email, name):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # money-moving buttons ask first
    page.goto("/login")
    form = page.get_by_test_id("login-form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.locator(".usernav")).to_contain_text(name)
    return page


def test_tender_posted_bid_awarded_funded_by_bank_transfer_delivered_and_paid(browser, live_server, live_database,
                                                                              screenshot_dir):
    _create_user(live_database, "poster-e2e@example.com", "楚光光纤")
    _create_user(live_database, "solver-e2e@example.com", "李明")
    _create_user(live_database, "operator-e2e@example.com", "运营小王", role="operator")
    poster = _login(browser, live_server, "poster-e2e@example.com", "楚光光纤")
    solver = _login(browser, live_server, "solver-e2e@example.com", "李明")
    operator = _login(browser, live_server, "operator-e2e@example.com", "运营小王")

    # The poster posts a tender in Chinese and publishes it.
    poster.goto("/tasks/new")
    form = poster.get_by_test_id("task-form")
    form.locator("select[name=mode]").select_option("tender")
    form.locator("input[name=title]").fill("光纤光栅解调软件开发")
    form.locator("textarea[name=description]").fill("开发一套光纤光栅（FBG）解调上位机软件，支持 16 通道实时显示与数据导出。")
    form.locator("select[name=category]").select_option("software")
    form.locator("select[name=city]").select_option("wuhan-donghu")
    form.locator("input[name=budget_min]").fill("1000")
    form.locator("input[name=budget_max]").fill("3000")
    deadline = (dt.datetime.now() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    form.locator("input[name=bid_deadline]").fill(deadline)
    poster.screenshot(path=str(screenshot_dir / "task-new.png"), full_page=True)
    form.locator("button[type=submit]").click()
    expect(poster).to_have_url(re.compile(r"/tasks/\d+$"))
    task_id = int(re.search(r"/tasks/(\d+)$", poster.url).group(1))
    poster.get_by_test_id("publish").click()
    expect(poster.get_by_test_id("bids-section")).to_be_visible()

    # The solver bids from the task page.
    solver.goto(f"/tasks/{task_id}")
    expect(solver.get_by_test_id("task-title")).to_have_text("光纤光栅解调软件开发")
    solver.get_by_test_id("place-bid").click()
    bid_form = solver.get_by_test_id("bid-form")
    bid_form.locator("input[name=amount]").fill("2500")
    bid_form.locator("input[name=days]").fill("10")
    bid_form.locator("textarea[name=proposal]").fill("基于 Qt 开发，两周内交付源码、安装包与使用说明。")
    bid_form.locator("button[type=submit]").click()
    expect(solver.get_by_test_id("my-bid")).to_contain_text("2,500.00")

    # The poster awards the bid with one milestone (pre-filled with the whole amount).
    poster.goto(f"/tasks/{task_id}/bids")
    poster.locator("[data-testid^=award-]").first.click()
    expect(poster.get_by_test_id("bid-amount")).to_contain_text("2,500.00")
    poster.get_by_test_id("award-form").locator("button[type=submit]").click()
    expect(poster).to_have_url(re.compile(r"/contracts/\d+$"))
    contract_url = poster.url

    # The solver accepts the contract.
    solver.goto(contract_url)
    solver.get_by_test_id("accept-contract").click()
    expect(solver.get_by_test_id("contract-status").locator(".status")).to_have_class(re.compile(r"\bstatus-active\b"))

    # The poster funds the milestone by corporate bank transfer and gets a reference.
    poster.goto(contract_url)
    fund = poster.get_by_test_id("fund-form-1")
    fund.locator("select[name=method]").select_option("bank_transfer")
    fund.locator("button[type=submit]").click()
    reference = poster.get_by_test_id("reference").inner_text().strip()
    assert reference

    # The operator finds the transfer by its reference and confirms the exact amount.
    operator.goto("/operator/")
    expect(operator.locator("body")).to_contain_text(reference)
    operator.screenshot(path=str(screenshot_dir / "operator-queue.png"), full_page=True)
    operator.goto(f"/operator/bank-transfers?reference={reference}")
    operator.locator("input[name=amount]").fill("2500.00")
    operator.locator("form button[type=submit]").last.click()
    expect(operator.locator(".flash")).to_contain_text(reference)

    # The solver delivers.
    solver.goto(contract_url)
    expect(solver.get_by_test_id("milestone-status-1").locator(".status")).to_have_class(re.compile(r"\bstatus-funded\b"))
    deliver = solver.get_by_test_id("deliver-form-1")
    deliver.locator("textarea[name=note]").fill("已交付源码与安装包，请验收。")
    deliver.locator("button[type=submit]").click()
    expect(solver.get_by_test_id("milestone-status-1").locator(".status")).to_have_class(re.compile(r"\bstatus-delivered\b"))

    # The poster accepts; the money is released.
    poster.goto(contract_url)
    poster.get_by_test_id("accept-milestone-1").click()
    expect(poster.get_by_test_id("contract-status").locator(".status")).to_have_class(re.compile(r"\bstatus-completed\b"))
    poster.screenshot(path=str(screenshot_dir / "contract-completed.png"), full_page=True)

    # 2,500.00 minus the 10% platform fee.
    solver.goto("/wallet")
    expect(solver.get_by_test_id("available")).to_contain_text("2,250.00")
    solver.screenshot(path=str(screenshot_dir / "wallet.png"), full_page=True)
    solver.goto("/dashboard/")
    expect(solver.get_by_test_id("my-contracts")).to_contain_text("光纤光栅解调软件开发")
