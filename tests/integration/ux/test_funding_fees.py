"""Before paying, the poster sees what the solver will receive: the funding page of a task or a
milestone, the task's funding step and the contract's unfunded milestones show gross, platform fee
and net (a bounty's fee counted prize by prize, as each prize is released), in both languages."""
from __future__ import annotations

import re

from marketplace.accounts.models import User
from marketplace.contracts import service as contracts
from marketplace.extensions import db
from tests.factories import login, make_user
from tests.factories_contracts import make_contract, make_solver
from tests.factories_tasks import make_task
from tests.integration.core.conftest import compile_catalogues


def _lines(html: str) -> tuple[str, str, str]:
    part = html.split('data-testid="fee-lines"', 1)[1]
    return tuple(re.search(rf'data-testid="fee-{k}">([^<]+)<', part).group(1) for k in ("gross", "fee", "net"))


def test_the_bounty_funding_page_and_step_tell_what_the_winners_receive(client):
    compile_catalogues()
    poster = make_user()
    # Two prizes: 10% of each, rounded down on its own (¥3.33 + ¥1.00 is 1 分 less than 10% of the sum).
    task = make_task(poster=poster, mode="bounty", status="draft", prize_structure="ranked",
                     prizes=[33_333, 10_007], escrow_funded=False)
    login(client, poster)
    client.set_cookie("lang", "en")
    page = client.get(f"/fund/task/{task.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    gross, fee, net = _lines(html)
    assert gross.endswith("433.40") and fee.endswith("43.33") and net.endswith("390.07")
    assert "You pay" in html and "Solvers receive in total" in html and "Platform fee (10%)" in html
    step = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    form = step.split('data-testid="funding-form"', 1)[1]
    assert _lines(form)[2].endswith("390.07") and "Solvers receive in total" in form
    client.set_cookie("lang", "zh_CN")
    zh = client.get(f"/fund/task/{task.id}").get_data(as_text=True)
    assert _lines(zh) == ("¥433.40", "−¥43.33", "¥390.07")
    assert "平台服务费" in zh and "You pay" not in zh and "Solvers receive in total" not in zh
    assert "The platform fee is not added" not in zh


def test_a_claim_funding_step_tells_what_the_solver_receives(client):
    poster = make_user()
    task = make_task(poster=poster, mode="claim", status="draft", price=5_000, escrow_funded=False)
    login(client, poster)
    client.set_cookie("lang", "en")
    step = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    form = step.split('data-testid="funding-form"', 1)[1]
    gross, fee, net = _lines(form)
    assert gross.endswith("50.00") and fee.endswith("5.00") and net.endswith("45.00")
    assert "The solver receives" in form


def test_an_unfunded_milestone_and_its_funding_page_tell_gross_fee_and_net(client):
    compile_catalogues()
    task = make_task(mode="tender")
    contract = make_contract(task, make_solver(), amount=800_000)
    milestone = contracts.milestones_of(contract)[0]
    poster = db.session.get(User, task.poster_id)
    login(client, poster)
    client.set_cookie("lang", "en")
    detail = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    card = detail.split(f'data-testid="milestone-{milestone.position}"', 1)[1]
    assert milestone.status == "pending_funding"
    gross, fee, net = _lines(card)
    assert gross.endswith("8,000.00") and fee.endswith("800.00") and net.endswith("7,200.00")
    assert "You pay" in card and "The solver receives" in card
    page = client.get(f"/fund/milestone/{milestone.id}").get_data(as_text=True)
    assert _lines(page)[2].endswith("7,200.00") and "The solver receives" in page
    client.set_cookie("lang", "zh_CN")
    zh = client.get(f"/fund/milestone/{milestone.id}").get_data(as_text=True)
    assert _lines(zh) == ("¥8,000.00", "−¥800.00", "¥7,200.00")
    assert "The solver receives" not in zh


def test_a_wallet_top_up_has_no_fee_lines(client):
    user = make_user()
    login(client, user)
    html = client.get(f"/fund/wallet/{user.id}").get_data(as_text=True)
    assert 'data-testid="fee-lines"' not in html
