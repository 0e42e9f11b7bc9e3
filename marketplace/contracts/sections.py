"""The bids/claim/contract section of the task page (a receiver of tasks.events.task_page_sections)."""
from __future__ import annotations

from ..bids import policies as bid_policies
from ..bids.models import LIVE_STATUSES, Bid
from ..core.db import utcnow
from ..extensions import db
from ..verification.cards import person_card
from .models import LIVE_STATUSES as LIVE_CONTRACT_STATUSES
from .models import Contract


def task_section(_sender=None, *, task, user):
    if task.mode not in ("tender", "claim") or task.status == "draft":
        return None
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    poster_side = authenticated and bid_policies.acts_for_poster(user, task)
    # Only a party sees the contract: a visitor's page reads none.
    contract = db.session.scalars(db.select(Contract).where(
        Contract.task_id == task.id, Contract.status.in_(LIVE_CONTRACT_STATUSES)).limit(1)).first() \
        if authenticated else None
    party = contract is not None and authenticated and (poster_side or user.id == contract.solver_id)
    context = {"poster_side": poster_side, "contract": contract if party else None,
               "authenticated": authenticated, "now": utcnow()}
    if task.mode == "tender":
        context["live_bids"] = db.session.scalar(db.select(db.func.count(Bid.id)).where(
            Bid.task_id == task.id, Bid.status.in_(LIVE_STATUSES))) or 0
        context["own_bid"] = db.session.scalars(db.select(Bid).where(
            Bid.task_id == task.id, Bid.solver_id == user.id).order_by(Bid.id.desc()).limit(1)).first() \
            if authenticated else None
        context["bidding_open"] = task.status == "open" and (task.bid_deadline is None or task.bid_deadline > utcnow())
        return "bids/_task_section.html", context
    if context["contract"] is not None and poster_side:
        context["claimant"] = person_card(contract.solver_id)
    context["task"] = task
    return "contracts/_claim_section.html", context
