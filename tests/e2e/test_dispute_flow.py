"""A dispute in the browser: a solver opens one on a delivered ¥1,000.00 milestone, both sides add
evidence, an operator decides 60/40 in the console, and both wallets show the split (solver
¥540.00 after the 10% fee, poster ¥400.00 back). The contract up to the delivery is set up through
the JSON API, as an integrator would."""
from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request

from playwright.sync_api import expect

from tests.e2e.test_tender_flow import PASSWORD, _create_user, _login, live_database  # noqa: F401
from tests.factories import png_bytes


def _api(base, path, token=None, body=None):
    request = urllib.request.Request(base + "/api/v1" + path, method="POST" if body is not None else "GET",
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _token(base, email):
    return _api(base, "/tokens", body={"email": email, "password": PASSWORD})["token"]


def _delivered_contract(base) -> tuple[str, str]:
    poster, solver, operator = (_token(base, e) for e in
                                ("poster-d@example.com", "solver-d@example.com", "operator-d@example.com"))
    deadline = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)).isoformat(timespec="seconds")
    task = _api(base, "/tasks", poster, {"mode": "tender", "title": "科普宣传册排版设计", "category": "popular_science",
                                         "description": "12 页宣传册排版，交付印刷版 PDF。", "city": "wuhan",
                                         "budget_min": 100_000, "budget_max": 100_000, "bid_deadline": deadline})
    _api(base, f"/tasks/{task['id']}/publish", poster, {})
    bid = _api(base, f"/tasks/{task['id']}/bids", solver, {"amount": 100_000, "days": 7, "proposal": "一周内交付。"})
    contract = _api(base, f"/bids/{bid['id']}/award", poster, {})
    _api(base, f"/contracts/{contract['id']}/accept", solver, {})
    milestone = contract["milestones"][0]
    funding = _api(base, f"/milestones/{milestone['id']}/fund", poster, {"method": "bank_transfer"})
    _api(base, f"/operator/bank-transfers/{funding['id']}/confirm", operator, {"amount": 100_000})
    _api(base, f"/milestones/{milestone['id']}/deliver", solver, {"note": "12 页排版已完成，请验收。"})
    return f"/contracts/{contract['id']}", task["title"]


def test_solver_disputes_both_add_evidence_operator_decides_60_40(browser, live_server, live_database,  # noqa: F811
                                                                  screenshot_dir, tmp_path):
    _create_user(live_database, "poster-d@example.com", "华科大科技园")
    _create_user(live_database, "solver-d@example.com", "李明")
    _create_user(live_database, "operator-d@example.com", "运营陈静", role="operator")
    contract_url, title = _delivered_contract(live_server)
    solver = _login(browser, live_server, "solver-d@example.com", "李明")
    poster = _login(browser, live_server, "poster-d@example.com", "华科大科技园")
    operator = _login(browser, live_server, "operator-d@example.com", "运营陈静")

    # The solver opens a dispute from the contract page.
    solver.goto(contract_url)
    solver.get_by_test_id("open-dispute-1").click()
    form = solver.get_by_test_id("open-dispute-form")
    expect(form.locator("input[name=amount]")).to_have_value("1000.00")
    form.locator("textarea[name=reason]").fill("交付已一周，发包方未验收也未提出修改意见。")
    solver.screenshot(path=str(screenshot_dir / "dispute-open.png"), full_page=True)
    form.locator("button[type=submit]").click()
    expect(solver).to_have_url(re.compile(r"/disputes/\d+$"))
    case_url = solver.url
    expect(solver.get_by_test_id("dispute-status").locator(".status")).to_have_class(re.compile(r"\bstatus-open\b"))

    # Both sides add evidence; the solver attaches a file.
    shot = tmp_path / "chat.png"
    shot.write_bytes(png_bytes(16))
    evidence = solver.get_by_test_id("evidence-form")
    evidence.locator("textarea[name=text]").fill("聊天记录截图：发包方确认 12 页范围。")
    evidence.locator("input[name=files]").set_input_files(str(shot))
    evidence.locator("button[type=submit]").click()
    expect(solver.get_by_test_id("timeline")).to_contain_text("聊天记录截图")
    poster.goto(case_url)
    poster.get_by_test_id("evidence-form").locator("textarea[name=text]").fill("第 5–8 页配色与企业 VI 不符。")
    poster.get_by_test_id("evidence-form").locator("button[type=submit]").click()
    expect(poster.get_by_test_id("timeline")).to_contain_text("配色与企业 VI 不符")

    # The operator finds it in the queue and decides 60/40 with a reason.
    operator.goto("/operator/")
    queue = operator.get_by_test_id("queue-disputes")
    expect(queue).to_contain_text("1,000.00")
    operator.screenshot(path=str(screenshot_dir / "operator-queue-disputes.png"), full_page=True)
    queue.locator("a[data-testid^=open-dispute-]").first.click()
    expect(operator.get_by_test_id("timeline")).to_contain_text("chat.png")
    decision = operator.get_by_test_id("decision-form")
    decision.locator("input[name=percent]").fill("60")
    decision.locator("textarea[name=reason]").fill("排版按约定交付，配色确有瑕疵，酌情扣减 40%。")
    operator.screenshot(path=str(screenshot_dir / "dispute-decision.png"), full_page=True)
    decision.locator("button[type=submit]").click()
    expect(operator.get_by_test_id("dispute-outcome")).to_contain_text("60%")

    # Both wallets show the split: 600.00 minus the 10% fee, and 400.00 back.
    solver.goto("/wallet")
    expect(solver.get_by_test_id("available")).to_contain_text("540.00")
    poster.goto("/wallet")
    expect(poster.get_by_test_id("available")).to_contain_text("400.00")
    poster.goto(case_url)
    expect(poster.get_by_test_id("dispute-outcome")).to_contain_text("排版按约定交付")
    poster.screenshot(path=str(screenshot_dir / "dispute-decided.png"), full_page=True)
