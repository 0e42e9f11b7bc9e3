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
    tender = task.mode == "tender"
    live_bids = db.select(db.func.count(Bid.id)).where(Bid.task_id == task.id, Bid.status.in_(LIVE_STATUSES))
    contract = own_bid = None
    if authenticated:
        # One query for the live contract's id (when the viewer is a party to it), the live bids
        # and the viewer's own bid's id; the contract and the bid are read only when there are (a
        # non-party's page has neither).
        live = db.select(Contract.id).where(Contract.task_id == task.id, Contract.status.in_(LIVE_CONTRACT_STATUSES))
        if not poster_side:
            live = live.where(Contract.solver_id == user.id)
        contract_id, count, own_bid_id = db.session.execute(db.select(
            live.limit(1).scalar_subquery(),
            live_bids.scalar_subquery() if tender else db.null(),
            db.select(Bid.id).where(Bid.task_id == task.id, Bid.solver_id == user.id).order_by(Bid.id.desc())
            .limit(1).scalar_subquery() if tender else db.null())).one()
        contract = db.session.get(Contract, contract_id) if contract_id is not None else None
        own_bid = db.session.get(Bid, own_bid_id) if own_bid_id is not None else None
    elif tender:
        # Only a party sees the contract: a visitor's page reads none.
        count = db.session.scalar(live_bids)
    party = contract is not None and authenticated and (poster_side or user.id == contract.solver_id)
    context = {"poster_side": poster_side, "contract": contract if party else None,
               "authenticated": authenticated, "now": utcnow()}
    if tender:
        context["live_bids"] = count or 0
        context["own_bid"] = own_bid
        context["bidding_open"] = task.status == "open" and (task.bid_deadline is None or task.bid_deadline > utcnow())
        return "bids/_task_section.html", context
    if context["contract"] is not None and poster_side:
        context["claimant"] = person_card(contract.solver_id)
    context["task"] = task
    return "contracts/_claim_section.html", context
