"""The demo disputes load on top of the earlier domains' demos, twice without change: one open in the
operator queue (with evidence from both sides), one settled, one decided, and one about the held prize of an awarded bounty; the ledger stays clean."""
from __future__ import annotations

import importlib

from marketplace import DOMAINS
from marketplace.bounties.models import BountyPrize
from marketplace.core.db import commit
from marketplace.disputes import service
from marketplace.disputes.models import Dispute
from marketplace.extensions import db
from marketplace.ledger.verify import verify


def _load_up_to_disputes():
    context: dict = {}
    for name in DOMAINS[:DOMAINS.index("disputes") + 1]:
        try:
            module = importlib.import_module(f"marketplace.{name}.demo")
        except ModuleNotFoundError:
            continue
        module.load(context)
        commit()


def _snapshot():
    return [(d.status, d.solver_share_bps, d.solver_amount, d.payer_amount, len(service.evidence_of(d)))
            for d in db.session.scalars(db.select(Dispute).order_by(Dispute.id))]


def test_demo_disputes():
    _load_up_to_disputes()
    first = _snapshot()
    assert first == [("decided", 6000, 60_000, 40_000, 2), ("settled", 7000, 56_000, 24_000, 1),
                     ("open", None, None, None, 2), ("open", None, None, None, 2)]
    assert [d.status for d in service.open_disputes()] == ["open", "open"]
    # The disputed bounty award: the losing entrant against the winner, the prize frozen.
    prize_dispute = db.session.scalar(db.select(Dispute).where(Dispute.prize_id.is_not(None)))
    assert prize_dispute.subject == "bounty" and prize_dispute.respondent_id is not None
    assert db.session.get(BountyPrize, prize_dispute.prize_id).status == "disputed"
    assert verify().ok
    _load_up_to_disputes()
    assert _snapshot() == first
