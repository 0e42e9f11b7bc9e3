"""Journeys on a 390 px phone, in Chinese: a household posts a job and pays by bank transfer, sees
it wait, an operator confirms, a solver claims and the household sees who; a mistyped transfer
amount corrected by the operator; a solver reading net amounts from the bid to the wallet.
Screenshots of each step go to SCREENSHOT_DIR (docs/screenshots with `make screenshots`)."""
from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from playwright.sync_api import expect

from config import TestingConfig
from marketplace import create_app
from marketplace.extensions import db
from tests.factories import PASSWORD

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def seed(live_server, tmp_path_factory):
    """Write accounts straight into the live server's database (same SQLite file)."""
    found = sorted(tmp_path_factory.getbasetemp().glob("e2e*/e2e.sqlite3"))
    assert found, "the live server's database was not found"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{found[0]}", SERVER_NAME=None)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _user(seed, name, *, role="member", city="wuhan-hongshan", verified=False):
    from tests.factories import make_user
    from tests.factories_orgs import make_verification, resident_id
    with seed.app_context():
        user = make_user(f"phone{next(_ids)}-{role}@example.com", display_name=name, role=role, city=city)
        if verified:
            make_verification(user, status="approved", number=resident_id(f"42010219850{next(_ids):06d}"))
        return user.email, user.id


def _phone(browser, live_server, email, name):
    context = browser.new_context(base_url=live_server, **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # money-moving buttons ask first
    page.goto("/login")
    form = page.get_by_test_id("login-form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.locator(".usernav")).to_contain_text(name)  # in the menu, present in the page
    return page


def _shot(page, screenshot_dir, name):
    page.screenshot(path=str(screenshot_dir / name), full_page=True)


def _post_household_job(page, title, price):
    page.goto("/")
    page.locator("label.nav-toggle-label").click()  # the menu holds the navigation on a phone
    expect(page.locator(".usernav")).to_contain_text("退出登录")
    page.locator(".mainnav").get_by_text("家政服务").click()
    form = page.get_by_test_id("household-form")
    form.locator("input[name=title]").fill(title)
    form.locator("select[name=category]").select_option("appliance_repair")
    form.locator("textarea[name=description]").fill("格力挂机，开机后只吹风不制冷，需上门检修加氟。")
    form.locator("select[name=place]").select_option("wuhan-hongshan")
    form.locator("input[name=address]").fill("珞喻路 1037 号 3 栋 502")
    start = dt.datetime.now() + dt.timedelta(days=2)
    form.locator("input[name=window_start]").fill(start.strftime("%Y-%m-%dT09:00"))
    form.locator("input[name=window_end]").fill(start.strftime("%Y-%m-%dT12:00"))
    form.locator("input[name=price]").fill(price)
    form.locator("input[value=bank_transfer]").check()
    return form


def test_household_posts_and_pays_by_transfer_waits_is_confirmed_claimed_and_sees_who(
        browser, live_server, seed, screenshot_dir):
    household_email, _ = _user(seed, "刘阿姨", city="wuhan-wuchang")
    solver_email, solver_id = _user(seed, "王师傅", verified=True)
    operator_email, _ = _user(seed, "运营小陈", role="operator")
    household = _phone(browser, live_server, household_email, "刘阿姨")

    form = _post_household_job(household, "空调不制冷，上门维修", "200")
    _shot(household, screenshot_dir, "household-post.png")
    form.get_by_test_id("post-and-pay").click()
    expect(household).to_have_url(re.compile(r"/tasks/\d+$"))
    task_url = household.url
    state = household.get_by_test_id("funding-state")
    expect(state).to_contain_text("等待您的银行转账")
    expect(state).to_contain_text("¥200.00")
    reference = household.get_by_test_id("funding-reference").inner_text().strip()
    assert re.fullmatch(r"HZ-\w{4}-\w{4}", reference)
    expect(household.get_by_test_id("escrow-waiting")).to_be_visible()
    _shot(household, screenshot_dir, "household-waiting.png")
    household.goto("/dashboard/")
    expect(household.get_by_test_id("my-tasks")).to_contain_text(reference)
    _shot(household, screenshot_dir, "household-dashboard.png")

    operator = _phone(browser, live_server, operator_email, "运营小陈")
    operator.goto("/operator/")
    operator.get_by_test_id(f"open-transfer-{reference}").click()
    operator.locator("input[name=amount]").fill("200")
    operator.get_by_test_id("confirm-form").locator("button[type=submit]").click()
    expect(operator.locator(".flash")).to_contain_text(reference)

    household.goto(task_url)
    expect(household.get_by_test_id("waiting-for-claim")).to_contain_text("等待附近的服务者抢单")
    expect(household.get_by_test_id("countdown")).to_contain_text("天")
    _shot(household, screenshot_dir, "household-open.png")

    solver = _phone(browser, live_server, solver_email, "王师傅")
    solver.goto(task_url)
    solver.get_by_test_id("claim-button").click()
    expect(solver).to_have_url(re.compile(r"/contracts/\d+$"))
    expect(solver.get_by_test_id("claim-address")).to_contain_text("珞喻路")

    household.goto(task_url)
    claimant = household.get_by_test_id("claimant")
    expect(claimant).to_contain_text("王师傅")
    expect(claimant).to_contain_text("已认证")
    expect(claimant.locator(f'a[href="/users/{solver_id}"]')).to_be_visible()
    expect(household.get_by_test_id("message-claimant")).to_be_visible()
    _shot(household, screenshot_dir, "household-claimed.png")


def test_a_mistyped_transfer_amount_is_corrected_by_the_operator(browser, live_server, seed, screenshot_dir):
    household_email, _ = _user(seed, "周先生", city="wuhan-hongshan")
    operator_email, _ = _user(seed, "运营小李", role="operator")
    household = _phone(browser, live_server, household_email, "周先生")
    form = _post_household_job(household, "新房开荒保洁", "150")
    form.locator("select[name=category]").select_option("cleaning")
    form.get_by_test_id("post-and-pay").click()
    expect(household).to_have_url(re.compile(r"/tasks/\d+$"))
    task_url = household.url
    reference = household.get_by_test_id("funding-reference").inner_text().strip()

    operator = _phone(browser, live_server, operator_email, "运营小李")
    operator.goto("/operator/")
    operator.get_by_test_id(f"open-transfer-{reference}").click()
    operator.locator("input[name=amount]").fill("15")  # 15 typed for 150
    operator.get_by_test_id("confirm-form").locator("button[type=submit]").click()
    check = operator.get_by_test_id("confirm-difference")
    expect(check).to_contain_text("¥15.00")
    expect(check).to_contain_text("¥150.00")
    _shot(operator, screenshot_dir, "operator-confirm-difference.png")
    operator.get_by_test_id("record-mismatch").click()
    expect(operator.get_by_test_id("transfer-status")).to_contain_text("金额不符")
    expect(operator.get_by_test_id("mismatch-actions")).to_be_visible()
    operator.goto("/operator/")
    expect(operator.get_by_test_id(f"open-transfer-{reference}")).to_contain_text("处理")  # still queued
    operator.get_by_test_id(f"open-transfer-{reference}").click()
    _shot(operator, screenshot_dir, "operator-mismatch.png")

    household.goto(task_url)
    expect(household.get_by_test_id("funding-state")).to_contain_text("我们收到 ¥15.00，但应付 ¥150.00")
    _shot(household, screenshot_dir, "household-mismatch.png")

    correct = operator.get_by_test_id("correct-form")
    correct.locator("input[name=amount]").fill("150")
    correct.locator("textarea[name=reason]").fill("录入时少输了一个 0，银行流水为 150 元")
    correct.locator("button[type=submit]").click()
    expect(operator.locator(".flash")).to_contain_text(reference)

    household.goto(task_url)
    expect(household.get_by_test_id("waiting-for-claim")).to_be_visible()
    expect(household.get_by_test_id("funding-state")).to_contain_text("已付款 ¥150.00")


def test_a_solver_reads_net_amounts_from_the_bid_to_the_wallet(browser, live_server, seed, screenshot_dir):
    solver_email, solver_id = _user(seed, "李工", verified=True)
    poster_email, poster_id = _user(seed, "楚光光纤")
    from marketplace.accounts.models import User
    from marketplace.contracts import service as contracts
    from tests.factories_contracts import fund_milestone
    from tests.factories_tasks import make_task
    with seed.app_context():
        poster = db.session.get(User, poster_id)
        task = make_task(poster=poster, mode="tender", title="光纤光栅解调软件开发", category="software",
                         description="开发一套 FBG 解调上位机软件。", budget_min=500_000, budget_max=1_000_000)
        task_id = task.id

    solver = _phone(browser, live_server, solver_email, "李工")
    solver.goto(f"/tasks/{task_id}/bids")
    bid_form = solver.get_by_test_id("bid-form")
    bid_form.locator("input[name=amount]").fill("8000")
    expect(solver.get_by_test_id("live-net")).to_contain_text("¥7,200.00")
    bid_form.locator("input[name=days]").fill("20")
    bid_form.locator("textarea[name=proposal]").fill("基于 Qt 开发，三周内交付源码、安装包与使用说明。")
    _shot(solver, screenshot_dir, "solver-bid-net.png")
    bid_form.locator("button[type=submit]").click()
    expect(solver.get_by_test_id("my-bid").get_by_test_id("fee-net")).to_contain_text("¥7,200.00")

    # The poster awards, the solver accepts, the poster funds; the solver delivers; the poster accepts.
    with seed.app_context():
        from marketplace.bids.models import Bid
        bid = db.session.scalars(db.select(Bid).where(Bid.task_id == task_id)).one()
        poster, me = db.session.get(User, poster_id), db.session.get(User, solver_id)
        contract = contracts.award_bid(poster, bid, None)
        db.session.commit()
        contracts.accept_contract(me, contract)
        db.session.commit()
        milestone = contracts.milestones_of(contract)[0]
        fund_milestone(milestone, poster)
        contracts.deliver_milestone(me, milestone, note="已交付源码与安装包。", files=[])
        db.session.commit()
        contract_id = contract.id

    solver.goto(f"/contracts/{contract_id}")
    expect(solver.get_by_test_id("milestone-1").get_by_test_id("fee-net")).to_contain_text("¥7,200.00")
    _shot(solver, screenshot_dir, "solver-milestone-net.png")

    with seed.app_context():
        from marketplace.contracts.models import Milestone
        milestone = db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract_id)).one()
        contracts.accept_milestone(db.session.get(User, poster_id), milestone)
        db.session.commit()

    solver.goto("/notifications/")
    expect(solver.locator("body")).to_contain_text("您实收 ¥7,200.00")
    _shot(solver, screenshot_dir, "solver-notification-net.png")
    solver.goto("/wallet")
    expect(solver.get_by_test_id("available")).to_contain_text("¥7,200.00")
    expect(solver.get_by_test_id("wallet-lines")).to_contain_text("光纤光栅解调软件开发")
    _shot(solver, screenshot_dir, "solver-wallet-net.png")
