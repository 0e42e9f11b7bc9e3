"""Claims and bounties open only when funded; cancelling a funded task refunds it."""
from marketplace.extensions import db
from marketplace.ledger import service as ledger
from marketplace.notifications.models import Notification
from marketplace.tasks.models import Task
from tests.factories import api_headers, make_user
from tests.factories_payments import top_up
from tests.factories_tasks import make_task


def _draft_claim(poster, price=5_000):
    return make_task(poster=poster, mode="claim", status="draft", price=price)


def test_wallet_funding_marks_the_escrow_and_the_claim_can_open(client):
    poster = make_user()
    top_up(poster, 20_000)
    task = _draft_claim(poster)
    headers = api_headers(poster)
    assert client.post(f"/api/v1/tasks/{task.id}/publish", headers=headers).status_code == 409
    r = client.post(f"/api/v1/tasks/{task.id}/funding", json={"method": "wallet"}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "succeeded" and r.get_json()["amount"] == 5_000
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.escrow_funded and task.escrow_amount == 5_000
    assert ledger.escrow_balance(f"task:{task.id}") == 5_000
    assert ledger.wallet_balance(poster) == 15_000
    kinds = db.session.scalars(db.select(Notification.kind).where(Notification.user_id == poster.id)).all()
    assert "task.funded" in kinds
    shown = client.get(f"/api/v1/tasks/{task.id}", headers=headers).get_json()
    assert shown["escrow"] == {"funded": True, "amount": 5_000}
    assert client.post(f"/api/v1/tasks/{task.id}/publish", headers=headers).get_json()["status"] == "open"


def test_bank_transfer_leaves_the_claim_unfunded_until_confirmed(client):
    poster = make_user()
    task = _draft_claim(poster)
    headers = api_headers(poster)
    r = client.post(f"/api/v1/tasks/{task.id}/funding", json={"method": "bank_transfer"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "pending" and r.get_json()["reference"]
    assert client.post(f"/api/v1/tasks/{task.id}/publish", headers=headers).status_code == 409
    # The price cannot change while the transfer is under way.
    r = client.patch(f"/api/v1/tasks/{task.id}", json={"price": 9_000}, headers=headers)
    assert r.status_code == 422 and "price" in r.get_json()["errors"]


def test_only_the_poster_funds_and_tenders_are_not_fundable(client):
    poster, other = make_user(), make_user()
    top_up(other, 20_000)
    task = _draft_claim(poster)
    assert client.post(f"/api/v1/tasks/{task.id}/funding", json={"method": "wallet"},
                       headers=api_headers(other)).status_code == 404
    tender = make_task(poster=poster, status="draft")
    r = client.post(f"/api/v1/tasks/{tender.id}/funding", json={"method": "wallet"}, headers=api_headers(poster))
    assert r.status_code == 404
    assert client.post(f"/api/v1/tasks/{task.id}/funding", json={"method": "gold"},
                       headers=api_headers(poster)).status_code == 422


def test_cancel_a_funded_claim_refunds_the_wallet(client):
    poster = make_user()
    top_up(poster, 20_000)
    task = _draft_claim(poster)
    headers = api_headers(poster)
    client.post(f"/api/v1/tasks/{task.id}/funding", json={"method": "wallet"}, headers=headers)
    client.post(f"/api/v1/tasks/{task.id}/publish", headers=headers)
    r = client.post(f"/api/v1/tasks/{task.id}/cancel", headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    assert r.get_json()["escrow"] == {"funded": False, "amount": 0}
    assert ledger.escrow_balance(f"task:{task.id}") == 0
    assert ledger.wallet_balance(poster) == 20_000


def test_claimed_task_cannot_be_cancelled(client):
    poster = make_user()
    task = make_task(poster=poster, mode="claim", escrow_funded=True, escrow_amount=5_000,
                     claimant_id=make_user().id)
    assert client.post(f"/api/v1/tasks/{task.id}/cancel", headers=api_headers(poster)).status_code == 409
    assert db.session.get(Task, task.id).status == "open"


def test_ranked_bounty_is_held_prize_by_prize(client):
    poster = make_user()
    top_up(poster, 500_000)
    task = make_task(poster=poster, mode="bounty", status="draft", prize_structure="ranked",
                     prizes=[200_000, 100_000, 50_000])
    r = client.post(f"/api/v1/tasks/{task.id}/funding", json={"method": "wallet"}, headers=api_headers(poster))
    assert r.status_code == 200 and r.get_json()["amount"] == 350_000
    holds = ledger.escrow_holds(f"task:{task.id}")
    assert [(h.ref, h.amount) for h in holds] == [(f"task:{task.id}:prize:1", 200_000),
                                                  (f"task:{task.id}:prize:2", 100_000),
                                                  (f"task:{task.id}:prize:3", 50_000)]


def test_piece_bounty_is_held_piece_by_piece(client):
    poster = make_user()
    top_up(poster, 100_000)
    task = make_task(poster=poster, mode="bounty", status="draft", prize_structure="piece", prizes=None,
                     unit_price=2_000, max_pieces=5)
    client.post(f"/api/v1/tasks/{task.id}/funding", json={"method": "wallet"}, headers=api_headers(poster))
    holds = ledger.escrow_holds(f"task:{task.id}")
    assert len(holds) == 5 and {h.amount for h in holds} == {2_000}
    assert db.session.get(Task, task.id).escrow_amount == 10_000


def test_money_fields_are_frozen_after_funding(client):
    poster = make_user()
    top_up(poster, 20_000)
    task = _draft_claim(poster)
    headers = api_headers(poster)
    client.post(f"/api/v1/tasks/{task.id}/funding", json={"method": "wallet"}, headers=headers)
    r = client.patch(f"/api/v1/tasks/{task.id}", json={"price": 1_000}, headers=headers)
    assert r.status_code == 422 and "price" in r.get_json()["errors"]
    r = client.patch(f"/api/v1/tasks/{task.id}", json={"title": "跑腿：取快递"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["price"] == 5_000


def test_funding_from_the_task_page(client):
    from tests.factories import login
    poster = make_user()
    top_up(poster, 20_000)
    task = _draft_claim(poster)
    login(client, poster)
    assert 'data-testid="funding-form"' in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    r = client.post(f"/tasks/{task.id}/funding", data={"method": "wallet"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Task, task.id).escrow_funded
