"""The reputation demo loads on top of the earlier domains' demos, twice without change: published
and hidden reviews, experts, a blocklisted user, and intact credit chains."""
from __future__ import annotations

import importlib

from marketplace import DOMAINS
from marketplace.accounts.models import User
from marketplace.core.db import commit
from marketplace.extensions import db
from marketplace.reputation import credit
from marketplace.reputation.models import CreditRecord, Engagement, Expert, Review


def _load_up_to_reputation():
    context: dict = {}
    for name in DOMAINS[:DOMAINS.index("reputation") + 1]:
        try:
            module = importlib.import_module(f"marketplace.{name}.demo")
        except ModuleNotFoundError:
            continue
        module.load(context)
        commit()


def _snapshot():
    return (db.session.scalar(db.select(db.func.count(Engagement.id))),
            db.session.scalar(db.select(db.func.count(Review.id))),
            db.session.scalar(db.select(db.func.count(Expert.id))),
            db.session.scalar(db.select(db.func.count(CreditRecord.id))))


def test_demo_reputation_loads_twice_without_change():
    _load_up_to_reputation()
    first = _snapshot()
    engagements, reviews, experts, records = first
    # Two finished contracts here, plus one engagement per bounty winner of the bounties demo.
    kinds = db.session.scalars(db.select(Engagement.kind)).all()
    assert kinds.count("contract") == 2 and reviews == 3 and experts >= 3 and records > 0
    published = db.session.scalars(db.select(Engagement).where(Engagement.published_at.is_not(None))).all()
    assert len(published) == 1 and engagements == len(kinds)
    assert db.session.scalar(db.select(db.func.count(Review.id)).where(Review.reply.is_not(None))) == 1
    blocked = db.session.execute(db.select(User).where(User.blocklisted_at.is_not(None))).scalar_one()
    assert blocked.email == "blocked@huizhong.example"
    assert credit.verify_chains() == []
    _load_up_to_reputation()
    assert _snapshot() == first
