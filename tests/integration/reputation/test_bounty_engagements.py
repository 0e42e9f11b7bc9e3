"""A bounty award is an engagement for each winner: credit for both sides and a double-blind
review through the engagement endpoints; losers get nothing."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.reputation import credit
from marketplace.reputation.models import Engagement
from tests.factories import api_headers, make_user
from tests.factories_bounties import enter, pass_deadline, post_bounty


def test_a_bounty_winner_and_the_poster_review_each_other(client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(10_000,))
    alice, a = enter(client, task)
    bob, b = enter(client, task)
    pass_deadline(task)
    r = client.post(f"/api/v1/tasks/{task.id}/winners", json={"awards": [{"submission_id": b["id"], "rank": 1}]},
                    headers=api_headers(poster))
    assert r.status_code == 200, r.get_json()
    engagement = db.session.execute(db.select(Engagement)).scalar_one()
    assert (engagement.kind, engagement.solver_id, engagement.amount) == ("bounty", bob.id, 10_000)
    assert credit.standing_of("user", bob.id).completed == 1
    assert credit.standing_of("user", alice.id) is None
    r = client.post(f"/api/v1/engagements/{engagement.id}/reviews", headers=api_headers(poster),
                    json={"rating": 5, "quality": 5, "communication": 4, "timeliness": 5, "text": "Best entry"})
    assert r.status_code == 201 and r.json["engagement"]["published"] is False
    r = client.get(f"/api/v1/engagements/{engagement.id}", headers=api_headers(bob))
    assert r.json["reviews"] == []
    r = client.post(f"/api/v1/engagements/{engagement.id}/reviews", headers=api_headers(bob),
                    json={"rating": 4, "quality": 4, "communication": 4, "timeliness": 4})
    assert r.status_code == 201 and r.json["engagement"]["published"] is True
    assert client.get(f"/api/v1/engagements/{engagement.id}", headers=api_headers(alice)).status_code == 404
    assert credit.standing_of("user", bob.id).reviews == 1
