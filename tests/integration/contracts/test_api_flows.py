"""The same stories through the JSON API (and `flask jobs run --now` for the timers)."""
from __future__ import annotations

import datetime as dt

from marketplace.contracts.models import ClaimAbandonment, Contract, Milestone
from marketplace.core.db import iso, utcnow
from marketplace.extensions import db
from tests.factories import api_headers, make_operator, make_user
from tests.factories_contracts import fund_claim_escrow, make_bid, make_contract, make_solver
from tests.factories_tasks import make_task

from .helpers import escrow, revenue, wallet


def _post(client, url, user, json=None, **kw):
    return client.post(url, json=json if json is not None else {}, headers=api_headers(user), **kw)


def test_tender_through_the_api_with_bank_transfer_funding(client):
    poster, solver, operator = make_user(), make_solver(), make_operator()
    task = make_task(poster=poster, category="software")
    r = _post(client, f"/api/v1/tasks/{task.id}/bids", solver, {"amount": 250_000, "days": 15, "proposal": "Plan"})
    assert r.status_code == 201, r.json
    bid = r.json
    assert {k: bid[k] for k in ("task_id", "solver_id", "amount", "days", "status")} == {
        "task_id": task.id, "solver_id": solver.id, "amount": 250_000, "days": 15, "status": "submitted"}

    r = _post(client, f"/api/v1/bids/{bid['id']}/award", poster,
              {"milestones": [{"title": "Spec", "amount": 50_000}, {"title": "Build", "amount": 200_000}]})
    assert r.status_code == 201, r.json
    contract = r.json
    assert contract["status"] == "proposed" and contract["poster_id"] == poster.id
    assert [m["status"] for m in contract["milestones"]] == ["pending_funding", "pending_funding"]

    # Funding waits for the solver's acceptance.
    m1, m2 = contract["milestones"]
    assert _post(client, f"/api/v1/milestones/{m1['id']}/fund", poster, {"method": "wallet"}).status_code == 409
    r = _post(client, f"/api/v1/contracts/{contract['id']}/accept", solver)
    assert r.status_code == 200 and r.json["status"] == "active"
    assert all(m["due_at"] for m in r.json["milestones"])

    for m in (m1, m2):
        r = _post(client, f"/api/v1/milestones/{m['id']}/fund", poster, {"method": "bank_transfer"})
        assert r.status_code == 200, r.json
        assert r.json["status"] == "pending" and r.json["reference"]
        r = _post(client, f"/api/v1/operator/bank-transfers/{r.json['id']}/confirm", operator, {"amount": m["amount"]})
        assert r.status_code == 200, r.json
        r = client.get(f"/api/v1/contracts/{contract['id']}", headers=api_headers(solver))
        assert [x["status"] for x in r.json["milestones"] if x["id"] == m["id"]] == ["funded"]
        r = client.post(f"/api/v1/milestones/{m['id']}/deliver", headers=api_headers(solver),
                        data={"note": "Delivered"}, content_type="multipart/form-data")
        assert r.status_code == 200, r.json
        r = _post(client, f"/api/v1/milestones/{m['id']}/accept", poster)
        assert r.status_code == 200, r.json

    assert r.json["status"] == "completed"
    assert wallet(solver) == 225_000
    assert revenue() == 25_000
    assert escrow(f"milestone:{m1['id']}") == 0 and escrow(f"milestone:{m2['id']}") == 0


def test_claim_through_the_api_to_auto_confirm_with_jobs_run(client, app):
    poster = make_user()
    task = make_task(poster=poster, mode="claim", price=8_000, category="delivery")
    fund_claim_escrow(task, poster)
    solver = make_solver()
    # Before claiming, the address is not shown.
    r = client.get(f"/api/v1/tasks/{task.id}", headers=api_headers(solver))
    assert r.status_code == 200 and not r.json.get("address")
    r = _post(client, f"/api/v1/tasks/{task.id}/claim", solver)
    assert r.status_code == 201, r.json
    contract = r.json
    assert contract["solver_id"] == solver.id and contract["address"] == task.address
    milestone_id = contract["milestones"][0]["id"]
    r = client.post(f"/api/v1/milestones/{milestone_id}/deliver", headers=api_headers(solver),
                    json={"note": "Parcel handed over at 10:05"})
    assert r.status_code == 200 and r.json["milestones"][0]["status"] == "delivered"

    runner = app.test_cli_runner()
    soon = iso(utcnow() + dt.timedelta(hours=47))
    result = runner.invoke(args=["jobs", "run", "--now", soon])
    assert result.exit_code == 0 and "0 timer(s)" in result.output
    later = iso(utcnow() + dt.timedelta(hours=app.config["CLAIM_CONFIRM_HOURS"], minutes=5))
    result = runner.invoke(args=["jobs", "run", "--now", later])
    assert result.exit_code == 0, result.output
    assert "claim.auto_confirm" in result.output
    r = client.get(f"/api/v1/contracts/{contract['id']}", headers=api_headers(poster))
    assert r.json["status"] == "completed"
    assert r.json["milestones"][0]["auto_accepted"] is True
    assert wallet(solver) == 7_200 and revenue() == 800
    assert escrow(f"task:{task.id}") == 0


def test_mutual_cancel_through_the_api(client):
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=100_000)
    from tests.factories_contracts import fund_milestone
    fund_milestone(contract.milestones[0] if False else db.session.scalars(
        db.select(Milestone).where(Milestone.contract_id == contract.id)).one())
    r = _post(client, f"/api/v1/contracts/{contract.id}/cancel", poster)
    assert r.status_code == 200 and r.json["status"] == "active" and r.json["cancel_requested"]["poster"]
    r = _post(client, f"/api/v1/contracts/{contract.id}/cancel", solver)
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert r.json["milestones"][0]["status"] == "refunded"
    assert wallet(poster) == 100_000 and wallet(solver) == 0


def test_revision_loop_through_the_api(client, app):
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=100_000)
    milestone = db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract.id)).one()
    from tests.factories_contracts import fund_milestone
    fund_milestone(milestone)
    url = f"/api/v1/milestones/{milestone.id}"
    r = _post(client, f"{url}/request-revision", poster, {"reason": "nothing delivered yet"})
    assert r.status_code == 409
    for _ in range(app.config["MAX_REVISIONS"]):
        assert _post(client, f"{url}/deliver", solver, {"note": "try"}).status_code == 200
        r = _post(client, f"{url}/request-revision", poster, {"reason": "Not yet"})
        assert r.status_code == 200 and r.json["milestones"][0]["status"] == "revision_requested"
    assert _post(client, f"{url}/deliver", solver, {"note": "last"}).status_code == 200
    r = _post(client, f"{url}/request-revision", poster, {"reason": "More"})
    assert r.status_code == 409 and "revision limit" in r.json["title"]
    r = _post(client, f"{url}/request-revision", poster, {"reason": ""})
    assert r.status_code == 422 and "reason" in r.json["errors"]


def test_bid_listing_poster_sees_all_bidder_only_own(client):
    poster = make_user()
    task = make_task(poster=poster)
    a, b = make_solver(), make_solver()
    make_bid(task, a)
    bid_b = make_bid(task, b)
    r = client.get(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(poster))
    assert {x["solver_id"] for x in r.json["items"]} == {a.id, b.id}
    r = client.get(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(a))
    assert [x["solver_id"] for x in r.json["items"]] == [a.id]
    assert client.get(f"/api/v1/bids/{bid_b.id}", headers=api_headers(a)).status_code == 404
    assert _post(client, f"/api/v1/bids/{bid_b.id}/withdraw", a).status_code == 404
    assert _post(client, f"/api/v1/bids/{bid_b.id}/award", a).status_code == 404


def test_poster_cannot_bid_on_own_task_through_the_api(client):
    poster = make_user()
    task = make_task(poster=poster)
    r = _post(client, f"/api/v1/tasks/{task.id}/bids", poster, {"amount": 1000, "days": 1, "proposal": "x"})
    assert r.status_code == 403


def test_org_member_cannot_award_through_the_api(client):
    from tests.factories_orgs import make_org
    owner, member = make_user(), make_user()
    org = make_org(owner, members={member: "member"})
    task = make_task(poster=owner, org_id=org.id)
    bid = make_bid(task)
    r = _post(client, f"/api/v1/bids/{bid.id}/award", member)
    assert r.status_code == 404  # a plain member does not even see the bids
    assert db.session.scalar(db.select(db.func.count(Contract.id))) == 0


def test_bad_bid_input_through_the_api_names_every_field(client):
    task = make_task()
    solver = make_solver()
    r = _post(client, f"/api/v1/tasks/{task.id}/bids", solver, {"amount": "12.5", "days": -1, "proposal": ""})
    assert r.status_code == 422
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert set(r.json["errors"]) == {"amount", "days", "proposal"}
    r = _post(client, f"/api/v1/tasks/{task.id}/bids", solver, {"amount": 0, "days": 3, "proposal": "ok"})
    assert r.status_code == 422 and set(r.json["errors"]) == {"amount"}
    from marketplace.bids.models import Bid
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 0


def test_award_with_bad_milestones_through_the_api(client):
    poster = make_user()
    task = make_task(poster=poster)
    bid = make_bid(task, amount=100_000)
    url = f"/api/v1/bids/{bid.id}/award"
    r = _post(client, url, poster, {"milestones": [{"title": "A", "amount": 60_000}, {"title": "B", "amount": 60_000}]})
    assert r.status_code == 422 and "milestones" in r.json["errors"]
    r = _post(client, url, poster, {"milestones": [{"title": "A", "amount": -1}, {"title": "", "amount": 100_001}]})
    assert r.status_code == 422
    assert {"milestones[0].amount", "milestones[1].title"} <= set(r.json["errors"])
    r = _post(client, url, poster, {"milestones": "all of it"})
    assert r.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Contract.id))) == 0
    assert client.get(f"/api/v1/tasks/{task.id}", headers=api_headers(poster)).json["status"] == "open"


def test_past_deadline_bid_is_refused_through_the_api(client):
    task = make_task(bid_deadline=utcnow() - dt.timedelta(hours=1))
    r = _post(client, f"/api/v1/tasks/{task.id}/bids", make_solver(), {"amount": 1000, "days": 1, "proposal": "x"})
    assert r.status_code == 409


def test_files_too_large_or_of_the_wrong_type_through_the_api(client, app):
    import io
    task = make_task()
    solver = make_solver()
    data = {"amount": "150000", "days": "3", "proposal": "ok", "files": (io.BytesIO(b"\x00\x01binary"), "x.bin")}
    r = client.post(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(solver), data=data,
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "files" in r.json["errors"]
    big = b"%PDF-1.4\n" + b"0" * app.config["ATTACHMENT_MAX_BYTES"]
    data = {"amount": "150000", "days": "3", "proposal": "ok", "files": (io.BytesIO(big), "big.pdf")}
    r = client.post(f"/api/v1/tasks/{task.id}/bids", headers=api_headers(solver), data=data,
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "files" in r.json["errors"]
    from marketplace.bids.models import Bid
    assert db.session.scalar(db.select(db.func.count(Bid.id))) == 0


def test_contract_is_hidden_from_others_and_claim_rules_through_the_api(client):
    poster = make_user()
    task = make_task(poster=poster, mode="claim")
    fund_claim_escrow(task, poster)
    unverified = make_solver(verified=False)
    r = _post(client, f"/api/v1/tasks/{task.id}/claim", unverified)
    assert r.status_code == 403 and "verified" in r.json["title"]
    r = _post(client, f"/api/v1/tasks/{task.id}/claim", make_solver(city="xiangyang"))
    assert r.status_code == 403
    winner = make_solver()
    contract = _post(client, f"/api/v1/tasks/{task.id}/claim", winner).json
    r = _post(client, f"/api/v1/tasks/{task.id}/claim", make_solver())
    assert r.status_code == 409 and "already claimed" in r.json["title"]
    assert client.get(f"/api/v1/contracts/{contract['id']}", headers=api_headers(make_solver())).status_code == 404


def test_abandon_through_the_api(client):
    poster = make_user()
    task = make_task(poster=poster, mode="claim")
    fund_claim_escrow(task, poster)
    solver = make_solver()
    contract = _post(client, f"/api/v1/tasks/{task.id}/claim", solver).json
    r = _post(client, f"/api/v1/contracts/{contract['id']}/abandon", solver, {"reason": "Car broke down"})
    assert r.status_code == 200 and r.json["status"] == "cancelled" and "address" not in r.json
    assert db.session.scalar(db.select(db.func.count(ClaimAbandonment.id))) == 1
    assert client.get(f"/api/v1/tasks/{task.id}", headers=api_headers(solver)).json["status"] == "open"


def test_messages_between_poster_and_bidder(client):
    poster = make_user()
    task = make_task(poster=poster)
    solver, stranger = make_solver(), make_solver()
    make_bid(task, solver)
    url = f"/api/v1/tasks/{task.id}/messages/{solver.id}"
    assert _post(client, url, solver, {"body": "Can I see the spec?"}).status_code == 201
    assert _post(client, url, poster, {"body": "Attached to the task."}).status_code == 201
    r = client.get(url, headers=api_headers(poster))
    assert [m["body"] for m in r.json["items"]] == ["Can I see the spec?", "Attached to the task."]
    assert client.get(url, headers=api_headers(stranger)).status_code == 404
    assert _post(client, url, solver, {"body": ""}).status_code == 422


def test_milestone_accept_with_idempotency_key_replays(client):
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=100_000)
    milestone = db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract.id)).one()
    from tests.factories_contracts import fund_milestone
    fund_milestone(milestone)
    _post(client, f"/api/v1/milestones/{milestone.id}/deliver", solver, {"note": "done"})
    headers = api_headers(poster, **{"Idempotency-Key": "accept-1"})
    first = client.post(f"/api/v1/milestones/{milestone.id}/accept", json={}, headers=headers)
    again = client.post(f"/api/v1/milestones/{milestone.id}/accept", json={}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert wallet(solver) == 90_000


def test_award_with_idempotency_key_replays_instead_of_a_409(client):
    poster = make_user()
    task = make_task(poster=poster)
    bid = make_bid(task)
    headers = api_headers(poster, **{"Idempotency-Key": "award-1"})
    first = client.post(f"/api/v1/bids/{bid.id}/award", json={}, headers=headers)
    again = client.post(f"/api/v1/bids/{bid.id}/award", json={}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json["id"] == first.json["id"]
    assert db.session.scalar(db.select(db.func.count(Contract.id)).where(Contract.task_id == task.id)) == 1
    without_key = client.post(f"/api/v1/bids/{bid.id}/award", json={}, headers=api_headers(poster))
    assert without_key.status_code == 409


def test_bid_list_is_paged(client):
    poster = make_user()
    task = make_task(poster=poster)
    ids = [make_bid(task).id for _ in range(5)]
    headers = api_headers(poster)
    first = client.get(f"/api/v1/tasks/{task.id}/bids?limit=3", headers=headers).json
    assert [b["id"] for b in first["items"]] == ids[::-1][:3] and first["next_cursor"]
    second = client.get(f"/api/v1/tasks/{task.id}/bids?limit=3&cursor={first['next_cursor']}", headers=headers).json
    assert [b["id"] for b in second["items"]] == ids[::-1][3:] and second["next_cursor"] is None
    assert client.get(f"/api/v1/tasks/{task.id}/bids?limit=500", headers=headers).status_code == 422


def test_my_contracts_list_in_constant_queries(client):
    from sqlalchemy import event
    solver = make_solver()
    for _ in range(3):
        make_contract(make_task(), solver, milestones=[("A", 100_000), ("B", 100_000)])
    headers = api_headers(solver)
    client.get("/api/v1/contracts", headers=headers)  # the token's first use is recorded once
    counts = []

    def count(*_args):
        counts[-1] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for limit in (1, 3):
            counts.append(0)
            r = client.get(f"/api/v1/contracts?limit={limit}", headers=headers)
            assert r.status_code == 200 and len(r.json["items"]) == limit
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert counts[0] == counts[1]
    assert [m["title"] for m in r.json["items"][0]["milestones"]] == ["A", "B"]
    assert client.get("/api/v1/contracts?status=nonsense", headers=headers).status_code == 422
    assert client.get("/api/v1/contracts", headers=api_headers(make_user())).json["items"] == []


def test_bad_delivery_files_write_nothing(client, app):
    import io

    from marketplace.contracts.models import Delivery
    poster = make_user()
    task = make_task(poster=poster, mode="claim")
    fund_claim_escrow(task, poster)
    solver = make_solver()
    contract = _post(client, f"/api/v1/tasks/{task.id}/claim", solver).json
    milestone_id = contract["milestones"][0]["id"]
    url = f"/api/v1/milestones/{milestone_id}/deliver"
    pdf = (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "receipt.pdf")
    r = client.post(url, headers=api_headers(solver), data={"note": "done", "files": pdf},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "files" in r.json["errors"]  # a claim's proof is a photo
    big = (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * app.config["ATTACHMENT_MAX_BYTES"]), "door.png")
    r = client.post(url, headers=api_headers(solver), data={"note": "done", "files": big},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "files" in r.json["errors"]
    assert db.session.scalar(db.select(db.func.count(Delivery.id))) == 0
    assert db.session.get(Milestone, milestone_id).status == "funded"
    photo = (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 100), "door.png")
    r = client.post(url, headers=api_headers(solver), data={"note": "done", "files": photo},
                    content_type="multipart/form-data")
    assert r.status_code == 200
    assert r.json["milestones"][0]["deliveries"][0]["files"][0]["name"] == "door.png"
