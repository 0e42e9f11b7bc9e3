"""PostgreSQL races on reviews and credit chains: one side reviewing many times at once gets one
review; both sides reviewing at once publish once, each chain stays intact."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.reputation import credit
from marketplace.reputation.models import CreditRecord, Engagement, Review
from tests.factories import api_headers, make_user
from tests.factories_contracts import make_solver
from tests.factories_reputation import complete_contract
from tests.races import race_clients

REVIEW = {"rating": 4, "quality": 4, "communication": 4, "timeliness": 4, "text": "ok"}


def test_one_side_reviewing_at_once_gets_one_review(app, client, postgres_only):
    poster, solver = make_user(), make_solver()
    contract = complete_contract(poster, solver)
    headers, contract_id = api_headers(poster), contract.id
    results = race_clients(app, lambda c, i: c.post(f"/api/v1/contracts/{contract_id}/reviews", headers=headers,
                                                     json=REVIEW), 12)
    codes = sorted(getattr(r, "status_code", repr(r)) for r in results)
    assert codes.count(201) == 1 and all(c == 409 for c in codes if c != 201), codes
    assert db.session.scalar(db.select(db.func.count(Review.id))) == 1


def test_both_sides_at_once_publish_once_and_chains_stay_intact(app, client, postgres_only):
    poster, solver = make_user(), make_solver()
    contract = complete_contract(poster, solver)
    headers, contract_id = [api_headers(poster), api_headers(solver)], contract.id
    results = race_clients(app, lambda c, i: c.post(f"/api/v1/contracts/{contract_id}/reviews",
                                                     headers=headers[i % 2], json=REVIEW), 2)
    assert sorted(r.status_code for r in results) == [201, 201]
    db.session.expire_all()
    assert db.session.execute(db.select(Engagement)).scalar_one().published_at is not None
    published = db.session.scalar(db.select(db.func.count(CreditRecord.id))
                                  .where(CreditRecord.kind == credit.REVIEW_PUBLISHED))
    assert published == 2
    assert credit.verify_chains() == []
