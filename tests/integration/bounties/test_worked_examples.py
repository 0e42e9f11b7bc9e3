"""Worked examples with exact balances (fee 10%): single, ranked with fewer entries than prizes,
piece bounties (cap reached; remainder refunded), selection expiry to operator review, no entries,
co-author shares of an odd amount. Prizes of single and ranked bounties stay held for the
dispute window (BOUNTY_DISPUTE_DAYS) and are paid by the release timer after it. `flask ledger
verify` is clean after each."""
from __future__ import annotations

from marketplace.bounties.models import BountyReview, Submission
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.factories import api_headers, make_operator, make_user
from tests.factories_bounties import (
    enter,
    pass_deadline,
    pass_selection,
    post_bounty,
    release_prizes,
    reload,
    verify_ledger,
)
from tests.integration.contracts.helpers import escrow, revenue, wallet


def _kinds(user):
    return set(db.session.scalars(db.select(Notification.kind).where(Notification.user_id == user.id)))


def test_single_bounty_awarded(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(10_000,))
    assert wallet(poster) == 0 and escrow(f"task:{task.id}") == 10_000
    alice, a = enter(client, task)
    bob, b = enter(client, task)
    pass_deadline(task)
    assert reload(task).status == "selecting"
    r = client.post(f"/api/v1/tasks/{task.id}/winners", json={"awards": [{"submission_id": b["id"], "rank": 1}]},
                    headers=api_headers(poster))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["task"]["status"] == "awarded"
    assert [w["prize"]["amount"] for w in r.get_json()["winners"]] == [10_000]
    # The prize is held for the dispute window, still in the bounty's escrow.
    assert wallet(bob) == 0 and revenue() == 0 and escrow(f"task:{task.id}") == 10_000
    assert "bounty.won_held" in _kinds(bob) and "bounty.not_won_held" in _kinds(alice)
    verify_ledger(app)
    assert release_prizes(days=6) == 0 and wallet(bob) == 0  # the window (7 days) still runs
    assert release_prizes() == 1
    assert wallet(bob) == 9_000 and wallet(alice) == 0 and wallet(poster) == 0
    assert revenue() == 1_000 and escrow(f"task:{task.id}") == 0
    assert "bounty.prize_paid" in _kinds(bob)
    # A second award is 409 and pays nothing more.
    again = client.post(f"/api/v1/tasks/{task.id}/winners",
                        json={"awards": [{"submission_id": a["id"], "rank": 1}]}, headers=api_headers(poster))
    assert again.status_code == 409
    assert wallet(alice) == 0 and wallet(bob) == 9_000
    verify_ledger(app)


def test_ranked_with_two_eligible_entries_returns_the_third_prize(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="ranked", prizes=(5_000, 3_000, 2_000))
    first, one = enter(client, task)
    second, two = enter(client, task)
    pass_deadline(task)
    # Fewer entries than prizes: both prizes that can be given must be given.
    r = client.post(f"/api/v1/tasks/{task.id}/winners", json={"awards": [{"submission_id": one["id"], "rank": 1}]},
                    headers=api_headers(poster))
    assert r.status_code == 422 and "awards" in r.get_json()["errors"]
    r = client.post(f"/api/v1/tasks/{task.id}/winners",
                    json={"awards": [{"submission_id": one["id"], "rank": 1},
                                     {"submission_id": two["id"], "rank": 2}]}, headers=api_headers(poster))
    assert r.status_code == 200, r.get_json()
    assert wallet(poster) == 2_000  # the empty third prize, back to the poster's wallet at once
    assert wallet(first) == 0 and escrow(f"task:{task.id}") == 8_000  # the prizes are held
    release_prizes()
    assert wallet(first) == 4_500 and wallet(second) == 2_700
    assert revenue() == 800 and escrow(f"task:{task.id}") == 0
    winners = {s.solver_id: (s.status, s.rank, s.paid_amount) for s in db.session.scalars(db.select(Submission))}
    assert winners == {first.id: ("winner", 1, 5_000), second.id: ("winner", 2, 3_000)}
    assert reload(task).escrow_amount == 0
    verify_ledger(app)


def test_piece_bounty_reaches_its_cap(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="piece", unit_price=1_000, max_pieces=2)
    entries = [enter(client, task) for _ in range(3)]
    headers = api_headers(poster)
    for _solver, body in entries[:2]:
        r = client.post(f"/api/v1/submissions/{body['id']}/accept", headers=headers)
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["status"] == "accepted"
    # The cap is reached: the bounty is awarded, and entries that were not accepted no longer
    # pass to the poster's side (404, nothing paid).
    r = client.post(f"/api/v1/submissions/{entries[2][1]['id']}/accept", headers=headers)
    assert r.status_code == 404
    assert [wallet(s) for s, _b in entries] == [900, 900, 0]
    assert reload(task).status == "awarded" and escrow(f"task:{task.id}") == 0
    assert revenue() == 200 and wallet(poster) == 0
    verify_ledger(app)


def test_piece_bounty_remainder_refunded_after_the_selection_window(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="piece", unit_price=1_000, max_pieces=5)
    solver, body = enter(client, task)
    enter(client, task)
    assert client.post(f"/api/v1/submissions/{body['id']}/accept", headers=api_headers(poster)).status_code == 200
    assert wallet(solver) == 900
    pass_deadline(task)
    assert reload(task).status == "selecting"
    assert wallet(poster) == 0  # nothing returns before the selection window ends
    pass_selection(task)
    assert reload(task).status == "awarded"
    assert wallet(poster) == 4_000 and escrow(f"task:{task.id}") == 0
    assert "bounty.refunded" in _kinds(poster)
    verify_ledger(app)


def test_selection_expiry_goes_to_review_and_refunds_nothing(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(10_000,))
    solver, body = enter(client, task)
    pass_deadline(task)
    pass_selection(task)
    task = reload(task)
    assert task.status == "review"
    assert escrow(f"task:{task.id}") == 10_000 and wallet(poster) == 0
    review = db.session.scalar(db.select(BountyReview))
    assert review.task_id == task.id and review.status == "open"
    operator = make_operator()
    queue = client.get("/api/v1/operator/queue", headers=api_headers(operator)).get_json()
    assert [i["task_id"] for i in queue["bounty_reviews"]] == [task.id]
    # The operator awards by the criteria; the poster's side cannot decide its own review.
    r = client.post(f"/api/v1/operator/bounty-reviews/{review.id}/award",
                    json={"awards": [{"submission_id": body["id"], "rank": 1}], "reason": "符合评审标准"},
                    headers=api_headers(operator))
    assert r.status_code == 200, r.get_json()
    assert wallet(solver) == 0 and reload(task).status == "awarded"
    release_prizes()
    assert wallet(solver) == 9_000
    assert client.get("/api/v1/operator/queue", headers=api_headers(operator)).get_json()["bounty_reviews"] == []
    verify_ledger(app)


def test_operator_refunds_a_review_with_a_written_reason(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="ranked", prizes=(6_000, 4_000))
    solver, _body = enter(client, task)
    pass_deadline(task)
    pass_selection(task)
    review = db.session.scalar(db.select(BountyReview))
    operator = make_operator()
    r = client.post(f"/api/v1/operator/bounty-reviews/{review.id}/refund", json={"reason": ""},
                    headers=api_headers(operator))
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = client.post(f"/api/v1/operator/bounty-reviews/{review.id}/refund", json={"reason": "方案均不满足评审标准"},
                    headers=api_headers(operator))
    assert r.status_code == 200, r.get_json()
    assert reload(task).status == "refunded" and wallet(poster) == 10_000 and wallet(solver) == 0
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == solver.id,
                                                           Notification.kind == "bounty.closed"))
    assert note.params["reason"] == "方案均不满足评审标准"
    verify_ledger(app)


def test_no_entries_refunds_in_full_at_the_deadline(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="ranked", prizes=(5_000, 3_000, 2_000))
    pass_deadline(task)
    assert reload(task).status == "refunded"
    assert wallet(poster) == 10_000 and escrow(f"task:{task.id}") == 0
    pass_deadline(task)  # idempotent: nothing more happens
    assert wallet(poster) == 10_000
    verify_ledger(app)


def test_only_ineligible_entries_refund_in_full_when_the_window_ends(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(8_000,))
    _solver, body = enter(client, task)
    pass_deadline(task)
    r = client.post(f"/api/v1/submissions/{body['id']}/reject", json={"reason": "与题目无关"},
                    headers=api_headers(poster))
    assert r.status_code == 200 and r.get_json()["status"] == "ineligible"
    pass_selection(task)
    assert reload(task).status == "refunded" and wallet(poster) == 8_000
    verify_ledger(app)


def test_coauthor_shares_of_an_odd_amount_sum_exactly(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(10_001,))
    lead, co1, co2 = make_user(), make_user(), make_user()
    _s, body = enter(client, task, lead, coauthors=[{"user_id": co1.id, "share_bps": 3333},
                                                    {"user_id": co2.id, "share_bps": 3333}])
    assert sorted(a["share_bps"] for a in body["coauthors"]) == [3333, 3333, 3334]
    pass_deadline(task)
    r = client.post(f"/api/v1/tasks/{task.id}/winners", json={"awards": [{"submission_id": body["id"], "rank": 1}]},
                    headers=api_headers(poster))
    assert r.status_code == 200, r.get_json()
    release_prizes()
    fee = 1_000  # 10% of 10 001, rounded down
    parts = [wallet(lead), wallet(co1), wallet(co2)]
    assert sum(parts) == 10_001 - fee == 9_001
    assert parts == [3_001, 3_000, 3_000]
    assert revenue() == fee
    verify_ledger(app)


def test_piece_bounty_in_review_the_operator_accepts_by_the_criteria(app, client):
    poster = make_user()
    task = post_bounty(client, poster, structure="piece", unit_price=1_000, max_pieces=3)
    solver, body = enter(client, task)
    other, _ = enter(client, task)
    pass_deadline(task)
    pass_selection(task)
    assert reload(task).status == "review" and escrow(f"task:{task.id}") == 3_000
    review = db.session.scalar(db.select(BountyReview))
    operator = make_operator()
    from tests.factories import login
    page = app.test_client()
    login(page, operator)
    html = page.get(f"/operator/bounty-reviews/{review.id}").get_data(as_text=True)
    assert f'name="accept-{body["id"]}"' in html
    r = client.post(f"/api/v1/operator/bounty-reviews/{review.id}/award",
                    json={"awards": [{"submission_id": body["id"]}], "reason": "唯一符合字数要求的稿件"},
                    headers=api_headers(operator))
    assert r.status_code == 200, r.get_json()
    assert wallet(solver) == 900 and wallet(other) == 0 and wallet(poster) == 2_000
    assert reload(task).status == "awarded" and escrow(f"task:{task.id}") == 0
    assert db.session.get(BountyReview, review.id).status == "awarded"
    again = client.post(f"/api/v1/operator/bounty-reviews/{review.id}/award",
                        json={"awards": [{"submission_id": body["id"]}]}, headers=api_headers(operator))
    assert again.status_code == 409
    verify_ledger(app)
