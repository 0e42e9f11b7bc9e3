"""Poster reliability, computed from the poster's contracts and bounties: median days from
delivery to release, the share of releases that were automatic (the poster did not answer), the
dispute rate and the share of finished bounties that awarded a prize. A few aggregate queries per
profile, whatever the poster's history (the median reads at most the latest SAMPLE releases)."""
from __future__ import annotations

import statistics

from ..contracts.models import Contract, Milestone
from ..disputes.models import Dispute
from ..extensions import db
from ..tasks.models import Task

SAMPLE = 200
BOUNTY_FINISHED = ("completed", "expired", "refunded", "cancelled")


def poster_reliability(user_id: int) -> dict | None:
    releases = db.session.execute(
        db.select(Milestone.delivered_at, Milestone.accepted_at, Milestone.auto_accepted)
        .join(Contract, Contract.id == Milestone.contract_id)
        .where(Contract.poster_id == user_id, Milestone.status == "accepted",
               Milestone.delivered_at.is_not(None), Milestone.accepted_at.is_not(None))
        .order_by(Milestone.accepted_at.desc()).limit(SAMPLE)).all()
    contracts, disputed = db.session.execute(
        db.select(db.func.count(Contract.id),
                  db.func.count(db.case((Contract.status == "disputed", 1))))
        .where(Contract.poster_id == user_id, Contract.status != "proposed")).one()
    disputed = max(disputed, _disputes_opened(user_id))
    bounties, awarded = db.session.execute(
        db.select(db.func.count(Task.id), db.func.count(db.case((Task.status == "completed", 1))))
        .where(Task.poster_id == user_id, Task.mode == "bounty", Task.status.in_(BOUNTY_FINISHED))).one()
    if not releases and not contracts and not bounties:
        return None
    days = [max((accepted - delivered).total_seconds(), 0) / 86400 for delivered, accepted, _auto in releases]
    return {
        "releases": len(releases),
        "median_days_to_release": round(statistics.median(days), 1) if days else None,
        "auto_released_share": round(sum(1 for *_x, auto in releases if auto) / len(releases), 3) if releases else None,
        "contracts": contracts,
        "dispute_rate": round(min(disputed, contracts) / contracts, 3) if contracts else None,
        "bounties": bounties,
        "bounties_awarded_share": round(awarded / bounties, 3) if bounties else None,
    }


def _disputes_opened(user_id: int) -> int:
    """Disputes on the poster's engagements in which the poster is a party: a dispute between two
    entrants of the poster's bounty over a prize (it has a respondent) says nothing of the poster."""
    return db.session.scalar(db.select(db.func.count(Dispute.id)).where(
        Dispute.poster_id == user_id, Dispute.respondent_id.is_(None))) or 0
