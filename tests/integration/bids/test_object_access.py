"""Object access: the funding page and every "does it exist / is it funded" answer follow the
subject's own visibility; bids are read by the poster side only; members of the posting
organisation do not bid on its tasks."""
from __future__ import annotations

from marketplace.extensions import db
from tests.factories import api_headers, login, make_user
from tests.factories_contracts import make_bid, make_contract, make_solver
from tests.factories_orgs import make_org
from tests.factories_tasks import make_task


def _milestone(contract):
    from marketplace.contracts.models import Milestone
    return db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract.id)).first()


def test_a_stranger_cannot_see_the_funding_page_of_a_draft(client):
    poster = make_user()
    draft = make_task(poster, mode="claim", status="draft", title="秘密草稿", escrow_funded=False)
    login(client, make_user())
    r = client.get(f"/fund/task/{draft.id}")
    assert r.status_code == 404 and "秘密草稿" not in r.text
    login(client, poster)
    r = client.get(f"/fund/task/{draft.id}")
    assert r.status_code == 200 and "秘密草稿" in r.text


def test_a_stranger_cannot_see_a_milestone_funding_page(client):
    task = make_task(title="私密合同任务")
    milestone = _milestone(make_contract(task))
    login(client, make_user())
    r = client.get(f"/fund/milestone/{milestone.id}")
    assert r.status_code == 404 and "私密合同任务" not in r.text


def test_funding_answers_a_stranger_the_same_whether_funded_or_not(client):
    task = make_task()
    funded = _milestone(make_contract(task))
    from tests.factories_contracts import fund_milestone
    fund_milestone(funded)
    unfunded = _milestone(make_contract(make_task()))
    headers = api_headers(make_user())
    answers = set()
    for milestone in (funded, unfunded):
        r = client.post("/api/v1/fundings", json={"kind": "milestone", "subject_id": milestone.id,
                                                  "method": "bank_transfer"}, headers=headers)
        answers.add((r.status_code, r.json["type"]))
    assert answers == {(404, "https://huizhong.example/problems/not-found")}


def test_a_plain_member_of_the_posting_organisation_neither_reads_nor_places_bids(client):
    owner, member, manager = make_user(), make_user(), make_user()
    org = make_org(owner, members={member: "member", manager: "manager"})
    task = make_task(owner, org_id=org.id, visibility="invite")
    bid = make_bid(task, make_solver(), proposal="保密的报价方案")
    r = client.get(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(member))
    assert r.status_code in (200, 404)
    if r.status_code == 200:
        assert r.json["items"] == []
    assert client.get(f"/api/v1/bids/{bid.id}", headers=api_headers(member)).status_code in (404, 405)
    r = client.post(f"/api/v1/tasks/{task.id}/bids", json={"amount": 150_000, "days": 5, "proposal": "cheaper"},
                    headers=api_headers(member))
    assert r.status_code in (403, 404)
    r = client.get(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(manager))
    assert [b["id"] for b in r.json["items"]] == [bid.id]


def test_a_member_of_a_public_tasks_organisation_cannot_bid(client):
    owner, member = make_user(), make_solver()
    org = make_org(owner, members={member: "member"})
    task = make_task(owner, org_id=org.id)
    make_bid(task, make_solver())
    r = client.post(f"/api/v1/tasks/{task.id}/bids", json={"amount": 150_000, "days": 5, "proposal": "cheaper"},
                    headers=api_headers(member))
    assert r.status_code == 403
    r = client.get(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(member))
    assert r.status_code == 200 and r.json["items"] == []
    from marketplace.bids.models import Bid
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 1


def test_a_bid_far_outside_the_budget_is_refused(client):
    task = make_task(budget_min=2_000_000, budget_max=4_000_000)  # ¥20,000–40,000
    solver = make_solver()
    r = client.post(f"/api/v1/tasks/{task.id}/bids", json={"amount": 100, "days": 5, "proposal": "cheap"},
                    headers=api_headers(solver))
    assert r.status_code == 422 and "amount" in r.json["errors"]
    r = client.post(f"/api/v1/tasks/{task.id}/bids", json={"amount": 1_000_000, "days": 5, "proposal": "ok"},
                    headers=api_headers(solver))
    assert r.status_code == 201  # half the bottom of the budget: allowed, flagged for the poster
    bid_id = r.json["id"]
    r = client.patch(f"/api/v1/bids/{bid_id}", json={"amount": 1_000_000_000_000, "days": 5, "proposal": "ok"},
                     headers=api_headers(solver))
    assert r.status_code == 422 and "amount" in r.json["errors"]
