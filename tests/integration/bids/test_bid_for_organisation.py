"""A solver who manages an organisation bids for it; the contract then pays the organisation."""
from __future__ import annotations

from marketplace.bids import service as bids
from marketplace.bids.models import Bid
from marketplace.contracts import service as contracts
from marketplace.core.db import commit
from marketplace.core.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.ledger import service as ledger
from tests.factories import api_headers, login, make_user
from tests.factories_contracts import fund_milestone, make_solver
from tests.factories_orgs import make_org
from tests.factories_tasks import make_task


def test_tender_won_for_an_organisation_is_paid_to_its_wallet(client):
    poster = make_user()
    task = make_task(poster=poster, mode="tender")
    manager = make_solver()
    studio = make_org(manager, name="光谷影像工作室")

    bid = bids.place_bid(manager, task, 100_000, 10, "Our studio will film it.", org_id=studio.id)
    commit()
    assert bid.org_id == studio.id
    contract = contracts.award_bid(poster, bid)
    commit()
    assert contract.solver_org_id == studio.id
    contracts.accept_contract(manager, contract)
    commit()
    milestone = contracts.milestones_of(contract)[0]
    fund_milestone(milestone, poster)
    contracts.deliver_milestone(manager, milestone, "Film delivered.")
    commit()
    contracts.accept_milestone(poster, milestone)
    commit()

    assert ledger.wallet_balance(studio) == 90_000  # 10% platform fee
    assert ledger.wallet_balance(manager) == 0
    login(client, manager)
    page = client.get(f"/orgs/{studio.id}").get_data(as_text=True)
    assert 'data-testid="org-wallet"' in page and "900.00" in page


def test_only_owners_and_managers_bid_for_an_organisation(client):
    task = make_task(poster=make_user(), mode="tender")
    owner, member = make_solver(), make_solver()
    org = make_org(owner, members={member: "member"})
    try:
        bids.place_bid(member, task, 100_000, 10, "For the org.", org_id=org.id)
    except ValidationFailed as exc:
        assert list(exc.errors) == ["org_id"]
    else:
        raise AssertionError("a plain member bid for the organisation")
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 0
    # Plain members see no organisation wallet either.
    login(client, member)
    assert 'data-testid="org-wallet"' not in client.get(f"/orgs/{org.id}").get_data(as_text=True)


def test_bid_for_an_organisation_through_the_api_and_the_page(client):
    task = make_task(poster=make_user(), mode="tender")
    manager = make_solver()
    org = make_org(manager, name="楚光设计组")
    r = client.post(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(manager),
                    json={"amount": 50_000, "days": 5, "proposal": "Team bid.", "org_id": org.id})
    assert r.status_code == 201 and r.get_json()["org_id"] == org.id
    other = make_solver()
    r = client.post(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(other),
                    json={"amount": 50_000, "days": 5, "proposal": "Not mine.", "org_id": org.id})
    assert r.status_code == 422 and "org_id" in r.get_json()["errors"]
    login(client, other)
    page = client.get(f"/tasks/{task.id}/bids").get_data(as_text=True)
    assert 'name="org_id"' not in page  # nothing to bid for: no select shown
    poster_view = client.get(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(manager)).get_json()
    assert poster_view["items"][0]["org_id"] == org.id
