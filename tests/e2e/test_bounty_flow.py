"""A ranked bounty in the browser: an organisation posts it and funds it by bank transfer (an
operator confirms), publishes; two solvers submit entries with files and get fingerprint receipts;
the submission deadline passes (`flask jobs run --now`); the organisation awards 1st and 2nd; the
public results page lists them, the prizes held for the dispute window; when it ends (`flask jobs
run --now` again) the winners see the prizes minus the fee in their wallets."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from .test_tender_flow import PASSWORD, _create_user, _login, live_database  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _run_timers_at(database_url: str, when: dt.datetime) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "HUIZHONG_ENV": "testing"}
    flask = str(Path(sys.executable).with_name("flask"))
    result = subprocess.run([flask, "--app", "wsgi", "jobs", "run", "--now", when.isoformat()], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def _enter(page, task_id, text, filename):
    page.goto(f"/tasks/{task_id}")
    page.get_by_test_id("enter-bounty").click()
    form = page.get_by_test_id("submission-form")
    form.locator("textarea[name=text]").fill(text)
    form.locator("input[name=files]").set_input_files(
        files=[{"name": filename, "mimeType": "application/pdf", "buffer": PDF}])
    form.get_by_test_id("submit-entry").click()
    expect(page.get_by_test_id("receipt-sha")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))


def test_organisation_posts_funded_ranked_bounty_two_solvers_enter_and_winners_are_paid(
        browser, live_server, live_database, screenshot_dir):  # noqa: F811
    _create_user(live_database, "bounty-org@example.com", "张总")
    _create_user(live_database, "bounty-li@example.com", "李明明")
    _create_user(live_database, "bounty-wang@example.com", "王芳芳")
    _create_user(live_database, "bounty-ops@example.com", "运营小陈", role="operator")
    poster = _login(browser, live_server, "bounty-org@example.com", "张总")
    li = _login(browser, live_server, "bounty-li@example.com", "李明明")
    wang = _login(browser, live_server, "bounty-wang@example.com", "王芳芳")
    operator = _login(browser, live_server, "bounty-ops@example.com", "运营小陈")

    # The poster sets up the organisation and posts a ranked bounty on its behalf.
    poster.goto("/orgs/new")
    poster.locator("input[name=name]").fill("楚光视觉科技有限公司")
    poster.locator("form button[type=submit]").last.click()
    poster.goto("/tasks/new")
    form = poster.get_by_test_id("task-form")
    form.locator("select[name=mode]").select_option("bounty")
    form.locator("input[name=title]").fill("钢板表面缺陷检测算法挑战")
    form.locator("textarea[name=description]").fill("征集钢板表面划痕、麻点的视觉检测算法，按测试集 mAP 排名评奖。")
    form.locator("select[name=category]").select_option("rd_challenge")
    form.locator("select[name=city]").select_option("wuhan-donghu")
    form.locator("select[name=org_id]").select_option(label="楚光视觉科技有限公司")
    form.locator("select[name=prize_structure]").select_option("ranked")
    form.locator("input[name=prizes]").fill("500, 300, 200")
    deadline = (dt.datetime.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form.locator("input[name=submission_deadline]").fill(deadline)
    form.locator("textarea[name=criteria]").fill("测试集 mAP 70%，推理速度 20%，文档 10%。")
    form.locator("input[name=reward]").fill("1000")
    poster.screenshot(path=str(screenshot_dir / "bounty-new.png"), full_page=True)
    form.locator("button[type=submit]").click()
    expect(poster).to_have_url(re.compile(r"/tasks/\d+$"))
    task_id = int(re.search(r"/tasks/(\d+)$", poster.url).group(1))

    # Unfunded, it cannot open; the organisation pays by bank transfer and an operator confirms.
    funding = poster.get_by_test_id("funding-form")
    funding.locator("select[name=method]").select_option("bank_transfer")
    funding.locator("button[type=submit]").click()
    reference = poster.get_by_test_id("reference").inner_text().strip()
    assert reference
    operator.goto(f"/operator/bank-transfers?reference={reference}")
    operator.locator("input[name=amount]").fill("1000.00")
    operator.locator("form button[type=submit]").last.click()
    expect(operator.locator(".flash").first).to_contain_text(reference)
    poster.goto(f"/tasks/{task_id}")
    poster.get_by_test_id("publish").click()
    expect(poster.get_by_test_id("bounty-section")).to_be_visible()
    expect(poster.get_by_test_id("prize-table")).to_contain_text("500.00")
    poster.screenshot(path=str(screenshot_dir / "bounty-page.png"), full_page=True)

    # Two solvers enter, each with a file, and get their receipts.
    _enter(li, task_id, "改进 YOLOv8 + 注意力模块，验证集 mAP 0.81。", "李明明-方案.pdf")
    li.screenshot(path=str(screenshot_dir / "bounty-receipt.png"), full_page=True)
    _enter(wang, task_id, "两阶段检测 + 轻量分类器，推理 32 ms/张。", "王芳芳-方案.pdf")
    expect(wang.get_by_test_id("entry-text")).to_contain_text("两阶段检测")
    wang.goto("/me/submissions")
    expect(wang.get_by_test_id("my-entries")).to_contain_text("钢板表面缺陷检测算法挑战")
    # Another solver's entry is not visible to Wang.
    li.goto("/me/submissions")
    li_entry = li.get_by_test_id("open-entry").first.get_attribute("href")
    assert wang.goto(li_entry).status == 404
    expect(poster.get_by_test_id("entry-count")).to_be_visible()

    # The submission deadline passes.
    _run_timers_at(live_database, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3))

    # The organisation ranks the two entries and awards the prizes.
    poster.goto(f"/tasks/{task_id}/judging")
    entries = poster.locator("[data-testid^=judge-entry-]")
    expect(entries).to_have_count(2)
    for i in range(2):
        card = entries.nth(i)
        rank = "1" if "李明明" in card.inner_text() else "2"
        card.get_by_test_id("rank-select").select_option(rank)
    poster.screenshot(path=str(screenshot_dir / "bounty-judging.png"), full_page=True)
    poster.get_by_test_id("award").click()
    expect(poster.get_by_test_id("results")).to_contain_text("李明明")

    # The public results page lists both winners and their prizes.
    visitor = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    visitor.goto(f"/tasks/{task_id}/results")
    results = visitor.get_by_test_id("results")
    expect(results).to_contain_text("李明明")
    expect(results).to_contain_text("王芳芳")
    expect(results).to_contain_text("500.00")
    expect(results.get_by_test_id("prize-held")).to_have_count(2)
    visitor.screenshot(path=str(screenshot_dir / "bounty-results.png"), full_page=True)

    # The prizes are held for the dispute window (7 days); nothing is in the wallets yet.
    li.goto("/wallet")
    expect(li.get_by_test_id("available")).to_have_text(re.compile(r"(^|[^0-9,.])0\.00"))
    # The window ends: the release timers pay the prizes minus the 10% fee.
    _run_timers_at(live_database, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8))
    li.goto("/wallet")
    expect(li.get_by_test_id("available")).to_contain_text("450.00")
    wang.goto("/wallet")
    expect(wang.get_by_test_id("available")).to_contain_text("270.00")
    wang.screenshot(path=str(screenshot_dir / "bounty-wallet.png"), full_page=True)
