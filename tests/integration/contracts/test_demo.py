"""The demo data of this domain loads on top of the earlier domains' demos, twice without change."""
from __future__ import annotations

import importlib

from marketplace import DOMAINS
from marketplace.bids.models import Bid
from marketplace.contracts.models import Contract
from marketplace.core.db import commit
from marketplace.extensions import db


def _load_up_to_contracts():
    context: dict = {}
    for name in DOMAINS[:DOMAINS.index("contracts") + 1]:
        try:
            module = importlib.import_module(f"marketplace.{name}.demo")
        except ModuleNotFoundError:
            continue
        module.load(context)
        commit()


def _snapshot():
    contracts = db.session.scalars(db.select(Contract).order_by(Contract.id)).all()
    from marketplace.contracts.service import milestones_of
    return (db.session.scalar(db.select(db.func.count(Bid.id))),
            [(c.kind, c.status, [m.status for m in milestones_of(c)]) for c in contracts])


def test_demo_contracts_are_mid_way_and_idempotent():
    _load_up_to_contracts()
    first = _snapshot()
    bids, contracts = first
    assert bids >= 5
    assert ("tender", "active", ["accepted", "delivered", "pending_funding"]) in contracts
    assert ("claim", "active", ["funded"]) in contracts
    _load_up_to_contracts()
    assert _snapshot() == first
