"""Double-blind reviews: each side reviews once; nobody sees the other side's review until both
have reviewed or the window closes (a timer run with a frozen clock by `flask jobs run --now`)."""
from __future__ import annotations

import datetime as dt

from marketplace.core.db import iso, utcnow
from marketplace.extensions import db
from marketplace.reputation import credit
from marketplace.reputation.models import CreditRecord, Engagement
from tests.factories import api_headers, login, make_user
from tests.factories_contracts import make_solver
from tests.factories_reputation import complete_contract, confirm_claim

REVIEW = {"rating": 5, "quality": 4, "communication": 5, "timeliness": 3, "text": "Clear brief, fast pay."}


def _review(client, user, contract, **changes):
    return client.post(f"/api/v1/contracts/{contract.id}/reviews", headers=api_headers(user),
                       json={**REVIEW, **changes})


def _seen(client, user, contract):
    r = client.get(f"/api/v1/contracts/{contract.id}/reviews", headers=api_headers(user))
    assert r.status_code == 200, r.json
    return r.json


def test_completed_contract_opens_an_engagement_with_credit_for_both_sides(app):
    poster, solver = make_user(), make_solver()
    contract = complete_contract(poster, solver, amount=120_000)
    engagement = db.session.execute(db.select(Engagement)).scalar_one()
    assert (engagement.kind, engagement.contract_id, engagement.amount) == ("contract", contract.id, 120_000)
    assert engagement.review_closes_at == engagement.ended_at + dt.timedelta(days=app.config["REVIEW_WINDOW_DAYS"])
    kinds = {(r.subject_type, r.subject_id, r.kind) for r in db.session.scalars(db.select(CreditRecord))}
    assert kinds == {("user", poster.id, "engagement_completed"), ("user", solver.id, "engagement_completed")}
    standing = credit.standing_of("user", solver.id)
    assert standing.completed == 1 and standing.completed_value == 120_000 and standing.score is not None


def test_neither_side_sees_the_other_review_until_both_have_reviewed(client):
    poster, solver = make_user(), make_solver()
    contract = complete_contract(poster, solver)

    r = _review(client, poster, contract)
    assert r.status_code == 201, r.json
    assert r.json["engagement"]["published"] is False
    # The solver sees nothing of the poster's review; the poster sees only their own.
    assert _seen(client, solver, contract)["reviews"] == []
    assert [x["side"] for x in _seen(client, poster, contract)["reviews"]] == ["poster"]
    # Nor does the public: the solver's credit has no review yet.
    r = client.get(f"/api/v1/users/{solver.id}/credit")
    assert r.json["reviews"] == [] and r.json["aggregates"]["reviews"] == 0
    # Nor the pages.
    login(client, solver)
    page = client.get(f"/engagements/{db.session.execute(db.select(Engagement.id)).scalar_one()}")
    assert "Clear brief, fast pay." not in page.get_data(as_text=True)

    r = _review(client, solver, contract, rating=4, text="Good to work with.")
    assert r.status_code == 201 and r.json["engagement"]["published"] is True
    assert {x["side"] for x in _seen(client, solver, contract)["reviews"]} == {"poster", "solver"}
    r = client.get(f"/api/v1/users/{solver.id}/credit")
    assert [x["text"] for x in r.json["reviews"]] == ["Clear brief, fast pay."]
    assert r.json["aggregates"]["reviews"] == 1 and r.json["aggregates"]["rating"] == 5.0
    assert r.json["events"][0]["kind"] == "review_published"


def test_the_window_closing_publishes_a_lone_review_with_a_frozen_clock(client, app):
    poster, solver = make_user(), make_solver()
    contract = complete_contract(poster, solver)
    assert _review(client, solver, contract, rating=2, text="Paid late.").status_code == 201
    engagement = db.session.execute(db.select(Engagement)).scalar_one()
    runner = app.test_cli_runner()
    before = iso(engagement.review_closes_at - dt.timedelta(minutes=1))
    result = runner.invoke(args=["jobs", "run", "--now", before])
    assert result.exit_code == 0 and "0 timer(s)" in result.output
    assert _seen(client, poster, contract)["reviews"] == []

    after = iso(engagement.review_closes_at + dt.timedelta(minutes=1))
    result = runner.invoke(args=["jobs", "run", "--now", after])
    assert result.exit_code == 0 and "reviews.publish" in result.output, result.output
    db.session.expire_all()
    seen = _seen(client, poster, contract)
    assert seen["published"] is True and [x["text"] for x in seen["reviews"]] == ["Paid late."]
    # Too late for the poster now.
    r = _review(client, poster, contract)
    assert r.status_code == 409
    assert credit.standing_of("user", poster.id).reviews == 1


def test_one_review_per_side_and_one_reply_by_the_reviewee(client):
    poster, solver = make_user(), make_solver()
    contract = complete_contract(poster, solver)
    assert _review(client, poster, contract).status_code == 201
    assert _review(client, poster, contract).status_code == 409
    assert _review(client, solver, contract, rating=4).status_code == 201
    review_id = _seen(client, solver, contract)["reviews"][0]["id"]
    mine = next(x for x in _seen(client, solver, contract)["reviews"] if x["reviewee_id"] == solver.id)
    # Only the reviewee may reply, once.
    r = client.post(f"/api/v1/reviews/{mine['id']}/reply", headers=api_headers(poster), json={"text": "x"})
    assert r.status_code == 403
    r = client.post(f"/api/v1/reviews/{mine['id']}/reply", headers=api_headers(solver), json={"text": "Thank you!"})
    assert r.status_code == 200 and r.json["reply"] == "Thank you!"
    r = client.post(f"/api/v1/reviews/{mine['id']}/reply", headers=api_headers(solver), json={"text": "Again"})
    assert r.status_code == 409
    assert review_id


def test_bad_scores_are_named_and_strangers_get_404(client):
    poster, solver = make_user(), make_solver()
    contract = complete_contract(poster, solver)
    r = _review(client, poster, contract, quality="good", timeliness=None)
    assert r.status_code == 422
    assert set(r.json["errors"]) == {"quality", "timeliness"}
    r = _review(client, poster, contract, rating=6, communication=0)
    assert r.status_code == 422 and set(r.json["errors"]) == {"rating", "communication"}
    assert _review(client, make_user(), contract).status_code == 404
    assert client.get(f"/api/v1/contracts/{contract.id}/reviews", headers=api_headers(make_user())).status_code == 404


def test_review_through_the_page(client):
    poster, solver = make_user(), make_solver()
    contract = complete_contract(poster, solver)
    login(client, poster)
    r = client.get(f"/contracts/{contract.id}/reviews")
    assert r.status_code == 302
    page = client.get(r.headers["Location"])
    assert page.status_code == 200 and 'data-testid="review-form"' in page.get_data(as_text=True)
    engagement_id = db.session.execute(db.select(Engagement.id)).scalar_one()
    r = client.post(f"/engagements/{engagement_id}/review", data={"rating": "5", "quality": "5",
                                                                 "communication": "4", "timeliness": "5",
                                                                 "text": "Great"})
    assert r.status_code == 303
    r = client.post(f"/engagements/{engagement_id}/review", data={"rating": "9"})
    assert r.status_code == 422


def test_a_confirmed_claim_is_an_engagement_too():
    contract = confirm_claim(price=8_000)
    engagement = db.session.execute(db.select(Engagement)).scalar_one()
    assert engagement.kind == "claim" and engagement.contract_id == contract.id and engagement.amount == 8_000


def test_publication_is_recorded_and_the_chain_verifies(app, client):
    poster, solver = make_user(), make_solver()
    contract = complete_contract(poster, solver)
    _review(client, poster, contract)
    _review(client, solver, contract)
    assert credit.verify_chains() == []
    result = app.test_cli_runner().invoke(args=["credit", "verify"])
    assert result.exit_code == 0 and "OK" in result.output
    assert utcnow()


def test_the_openapi_document_describes_the_reputation_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path, method in (("/api/v1/contracts/{contract_id}/reviews", "post"),
                         ("/api/v1/engagements/{engagement_id}/reviews", "post"),
                         ("/api/v1/reviews/{review_id}/reply", "post"),
                         ("/api/v1/users/{user_id}/credit", "get"),
                         ("/api/v1/orgs/{org_id}/credit", "get"),
                         ("/api/v1/experts", "get"),
                         ("/api/v1/experts/{expert_id}/invite", "post"),
                         ("/api/v1/me/expert", "put"),
                         ("/api/v1/operator/users/{user_id}/blocklist", "post")):
        assert method in paths.get(path, {}), (path, sorted(p for p in paths if "review" in p or "credit" in p))
