"""The HTML pages: bid form, award form with milestones, contract page actions, claim, messages."""
from __future__ import annotations

from marketplace.bids.models import Bid
from marketplace.contracts import service
from marketplace.contracts.models import Contract, Milestone
from marketplace.extensions import db
from tests.factories import login, make_user
from tests.factories_contracts import fund_claim_escrow, make_bid, make_contract, make_solver
from tests.factories_ledger import fund_wallet
from tests.factories_tasks import make_task

from .helpers import wallet


def _as(client, user):
    client.set_cookie("lang", "en")
    login(client, user)
    return client


def test_solver_places_a_bid_through_the_form(client):
    task = make_task(title="Write firmware")
    solver = make_solver()
    _as(client, solver)
    page = client.get(f"/tasks/{task.id}/bids")
    assert page.status_code == 200 and 'data-testid="bid-form"' in page.get_data(as_text=True)
    bad = client.post(f"/tasks/{task.id}/bids", data={"amount": "-3", "days": "5", "proposal": "Keep me"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "greater than zero" in html and "Keep me" in html
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 0
    ok = client.post(f"/tasks/{task.id}/bids", data={"amount": "1,234.50", "days": "5", "proposal": "Plan"})
    assert ok.status_code == 303
    bid = db.session.execute(db.select(Bid)).scalar_one()
    assert bid.amount == 123_450
    page = client.get(f"/tasks/{task.id}/bids").get_data(as_text=True)
    assert 'data-testid="my-bid"' in page and 'data-testid="bid-form"' not in page


def test_solver_does_not_see_other_bids_on_the_page(client):
    task = make_task()
    a, b = make_solver(display_name="Alice Solver"), make_solver(display_name="Bob Solver")
    make_bid(task, a, proposal="Alice's secret plan")
    make_bid(task, b, proposal="Bob's secret plan")
    html = _as(client, a).get(f"/tasks/{task.id}/bids").get_data(as_text=True)
    assert "Alice&#39;s secret plan" in html and "Bob" not in html


def test_poster_awards_with_milestones_through_the_form(client):
    poster = make_user()
    task = make_task(poster=poster)
    bid = make_bid(task, amount=100_000)
    _as(client, poster)
    html = client.get(f"/tasks/{task.id}/bids").get_data(as_text=True)
    assert f'data-testid="award-{bid.id}"' in html
    assert client.get(f"/bids/{bid.id}/award").status_code == 200
    bad = client.post(f"/bids/{bid.id}/award", data={
        "milestones-0-title": "Design", "milestones-0-amount": "300",
        "milestones-1-title": "Build", "milestones-1-amount": "600"})
    assert bad.status_code == 422 and "add up to the bid" in bad.get_data(as_text=True)
    bad = client.post(f"/bids/{bid.id}/award", data={
        "milestones-0-title": "Design", "milestones-0-amount": "abc"})
    assert bad.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Contract.id))) == 0
    ok = client.post(f"/bids/{bid.id}/award", data={
        "milestones-0-title": "Design", "milestones-0-amount": "400",
        "milestones-1-title": "Build", "milestones-1-amount": "600"})
    assert ok.status_code == 303
    contract = db.session.execute(db.select(Contract)).scalar_one()
    assert [(m.title, m.amount) for m in service.milestones_of(contract)] == [("Design", 40_000), ("Build", 60_000)]


def test_contract_page_from_acceptance_to_release(client, app):
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=50_000, accept=False)
    milestone = db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract.id)).one()
    solver_client = _as(app.test_client(), solver)
    poster_client = _as(client, poster)
    html = solver_client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert 'data-testid="accept-contract"' in html
    assert solver_client.post(f"/contracts/{contract.id}/accept").status_code == 303
    fund_wallet(poster, 50_000)
    r = poster_client.post(f"/milestones/{milestone.id}/fund", data={"method": "wallet"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id).status == "funded"
    r = solver_client.post(f"/milestones/{milestone.id}/deliver", data={"note": ""})
    assert r.status_code == 422
    r = solver_client.post(f"/milestones/{milestone.id}/deliver", data={"note": "All done"})
    assert r.status_code == 303
    html = poster_client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "All done" in html and 'data-testid="accept-milestone-1"' in html
    assert poster_client.post(f"/milestones/{milestone.id}/accept").status_code == 303
    assert wallet(solver) == 45_000
    html = poster_client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "status-completed" in html


def test_stale_accept_button_says_why(client):
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=50_000)
    milestone = db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract.id)).one()
    _as(client, poster)
    r = client.post(f"/milestones/{milestone.id}/accept", headers={"Referer": f"/contracts/{contract.id}"})
    assert r.status_code == 303
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "not waiting for acceptance" in html


def test_claim_through_the_page_shows_the_address_only_to_the_claimant(client, app):
    poster = make_user()
    task = make_task(poster=poster, mode="claim", address="武昌区中北路99号")
    fund_claim_escrow(task, poster)
    solver = make_solver()
    _as(client, solver)
    r = client.post(f"/tasks/{task.id}/claim")
    assert r.status_code == 303
    contract = db.session.execute(db.select(Contract)).scalar_one()
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "武昌区中北路99号" in html
    stranger = _as(app.test_client(), make_solver())
    assert stranger.get(f"/contracts/{contract.id}").status_code == 404


def test_messages_page(client):
    poster = make_user()
    task = make_task(poster=poster)
    solver = make_solver()
    make_bid(task, solver)
    _as(client, solver)
    r = client.post(f"/tasks/{task.id}/messages/{solver.id}", data={"body": "Hello poster"})
    assert r.status_code == 303
    assert "Hello poster" in client.get(f"/tasks/{task.id}/messages/{solver.id}").get_data(as_text=True)
    assert client.post(f"/tasks/{task.id}/messages/{solver.id}", data={"body": ""}).status_code == 422


def test_task_page_shows_bid_and_claim_sections(client, app):
    poster = make_user()
    tender = make_task(poster=poster)
    claim = make_task(poster=poster, mode="claim")
    solver = make_solver()
    _as(client, solver)
    html = client.get(f"/tasks/{tender.id}").get_data(as_text=True)
    assert 'data-testid="place-bid"' in html
    html = client.get(f"/tasks/{claim.id}").get_data(as_text=True)
    assert 'data-testid="claim-button"' in html
    poster_client = _as(app.test_client(), poster)
    make_bid(tender)
    html = poster_client.get(f"/tasks/{tender.id}").get_data(as_text=True)
    assert 'data-testid="review-bids"' in html and "1 live bid(s)." in html


def test_funding_from_an_empty_wallet_says_why_and_changes_nothing(client):
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=50_000)
    milestone = db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract.id)).one()
    _as(client, poster)
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert 'value="card"' not in html  # Stripe is not configured in tests
    r = client.post(f"/milestones/{milestone.id}/fund", data={"method": "wallet"})
    assert r.status_code == 422 and "not enough" in r.get_data(as_text=True)
    r = client.post(f"/milestones/{milestone.id}/fund", data={"method": "card"})
    assert r.status_code == 422
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id).status == "pending_funding"
    r = client.post(f"/milestones/{milestone.id}/fund", data={"method": "bank_transfer"})
    assert r.status_code == 303 and "/fundings/" in r.headers["Location"]


def test_task_page_sections_for_anonymous_visitors(client):
    tender = make_task()
    claim = make_task(mode="claim")
    html = client.get(f"/tasks/{tender.id}").get_data(as_text=True)
    assert 'data-testid="bids-section"' in html and 'data-testid="place-bid"' not in html
    html = client.get(f"/tasks/{claim.id}").get_data(as_text=True)
    assert 'data-testid="claim-section"' in html and 'data-testid="claim-button"' not in html
    assert claim.address not in html


def test_shortlist_reject_and_withdraw_through_the_pages(client, app):
    poster = make_user()
    task = make_task(poster=poster)
    solver = make_solver()
    first, second = make_bid(task), make_bid(task, solver)
    poster_client = _as(client, poster)
    assert poster_client.post(f"/bids/{first.id}/shortlist").status_code == 303
    assert poster_client.post(f"/bids/{first.id}/reject", data={"reason": "Over budget"}).status_code == 303
    solver_client = _as(app.test_client(), solver)
    assert solver_client.post(f"/bids/{first.id}/withdraw").status_code == 404  # not theirs
    assert solver_client.get(f"/bids/{second.id}/edit").status_code == 200
    r = solver_client.post(f"/bids/{second.id}/edit", data={"amount": "900", "days": "4", "proposal": "Cheaper"})
    assert r.status_code == 303
    assert solver_client.post(f"/bids/{second.id}/withdraw").status_code == 303
    db.session.expire_all()
    assert [b.status for b in db.session.scalars(db.select(Bid).order_by(Bid.id))] == ["rejected", "withdrawn"]
    assert db.session.get(Bid, first.id).reject_reason == "Over budget"
    assert db.session.get(Bid, second.id).amount == 90_000


def test_state_changes_are_emailed_to_the_person_concerned():
    from marketplace.notifications.models import OutboxMail
    poster, solver = make_user(), make_solver()
    make_contract(make_task(poster=poster, title="邮件测试"), solver, accept=False)
    to_solver = db.session.scalars(db.select(OutboxMail).where(OutboxMail.to == solver.email)).all()
    assert any("邮件测试" in m.subject for m in to_solver)


def test_the_task_page_shows_the_contract_to_its_parties_and_each_bidder_their_own_bid(client, app):
    poster, solver, bidder, other = make_user(), make_solver(), make_solver(), make_user()
    contracted = make_task(poster=poster)
    contract = make_contract(contracted, solver)
    contract_id, contracted_id = contract.id, contracted.id
    bidding = make_task(poster=poster)
    make_bid(bidding, bidder, amount=123_400)
    bidding_id = bidding.id
    for user, sees_contract in ((poster, True), (solver, True), (other, False)):
        html = _as(app.test_client(), user).get(f"/tasks/{contracted_id}").get_data(as_text=True)
        assert (f"/contracts/{contract_id}" in html) is sees_contract
    html = _as(app.test_client(), bidder).get(f"/tasks/{bidding_id}").get_data(as_text=True)
    assert "Your bid" in html and "1,234" in html
    html = _as(app.test_client(), other).get(f"/tasks/{bidding_id}").get_data(as_text=True)
    assert "Your bid" not in html and "1 bid(s) so far." in html
    html = _as(app.test_client(), poster).get(f"/tasks/{bidding_id}").get_data(as_text=True)
    assert "1 live bid(s)." in html
