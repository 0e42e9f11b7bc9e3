"""The rows of the dashboard: each with its state, the next action (whose turn it is) and the
deadline that applies. Each list is loaded with a fixed number of queries whatever its length."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..bids.models import LIVE_STATUSES, Bid
from ..bounties.service import my_submissions
from ..contracts.models import Contract
from ..core import links
from ..core.money import format_money
from ..extensions import db
from ..organisations.models import Membership
from ..organisations.policies import MANAGING_ROLES
from ..payments import states
from ..tasks.models import Task

LIMIT = 50


@dataclass
class Row:
    title: str
    link: str
    status: str
    action: str
    deadline: object = None
    amount: int | None = None
    currency: str = "CNY"
    mine_to_act: bool = False
    table: str = "tasks"  # whose status names apply (core/statuses.py)


def my_tasks(user, limit: int = LIMIT) -> list[Row]:
    """Tasks I posted or that an organisation I manage posted."""
    managed = db.select(Membership.org_id).where(Membership.user_id == user.id,
                                                 Membership.role.in_(MANAGING_ROLES))
    tasks = list(db.session.scalars(
        db.select(Task).where(db.or_(Task.poster_id == user.id, Task.org_id.in_(managed)))
        .order_by(Task.id.desc()).limit(limit)))
    ids = [t.id for t in tasks]
    bid_counts = dict(db.session.execute(
        db.select(Bid.task_id, db.func.count(Bid.id))
        .where(Bid.task_id.in_(ids), Bid.status.in_(LIVE_STATUSES)).group_by(Bid.task_id)).all()) if ids else {}
    contracts = {c.task_id: c for c in db.session.scalars(
        db.select(Contract).where(Contract.task_id.in_(ids), Contract.status != "cancelled"))} if ids else {}
    fundings = states.latest_for(f"task:{t.id}" for t in tasks if t.status == "draft" and t.needs_escrow)
    rows = []
    for t in tasks:
        link = links.task(t)
        action, deadline, mine = "", None, False
        contract = contracts.get(t.id)
        funding = fundings.get(f"task:{t.id}")
        if t.status == "draft" and states.waiting(funding):
            action = (_("Waiting for your bank transfer of %(amount)s (reference %(reference)s)",
                        amount=format_money(funding.amount, funding.currency), reference=funding.reference)
                      if funding.status == "pending" else
                      _("The amount received did not match; an operator will contact you"))
        elif t.status == "draft" and t.escrow_funded:
            action, mine = _("Paid; publish it"), True
        elif t.status == "draft":
            action, mine = _("Fund and publish it") if t.needs_escrow else _("Publish it"), True
        elif t.status == "open" and t.mode == "tender":
            count = bid_counts.get(t.id, 0)
            action = _("Choose among %(n)s bid(s)", n=count) if count else _("Waiting for bids")
            deadline, mine = t.bid_deadline, bool(count)
            link = links.url("bids.task_bids", task_id=t.id)
        elif t.status == "open" and t.mode == "claim":
            action, deadline = _("Waiting for a solver to claim it"), t.window_start
        elif t.status in ("awarded", "in_progress") and contract is not None:
            link = links.url("contracts.detail", contract_id=contract.id)
            action = _("See the contract")
            if t.status == "awarded":
                action = _("Waiting for the solver to accept the contract")
        elif t.status == "open" and t.mode == "bounty":
            action, deadline = _("Taking entries; judge them as they come"), t.submission_deadline
            link = links.url("bounties.judging", task_id=t.id)
        elif t.status == "selecting":
            action, mine = _("Choose the winners"), True
            link = links.url("bounties.judging", task_id=t.id)
        elif t.status == "review":
            action = _("An operator reviews it by your criteria")
        rows.append(Row(t.title, link, t.status, action, deadline, t.listed_amount, t.currency, mine))
    return rows


def my_entries(user, limit: int = LIMIT) -> list[Row]:
    """My bounty entries (as submitter or co-author), newest first, with their receipts' pages."""
    rows = []
    for sub, task in my_submissions(user)[:limit]:
        action, deadline = "", None
        if sub.status in ("submitted", "eligible") and task.status == "open":
            action, deadline = _("You can replace or withdraw it until the deadline"), task.submission_deadline
        elif sub.status in ("submitted", "eligible"):
            action = _("Waiting for the poster's choice")
        elif sub.status in ("ineligible", "rejected"):
            action = sub.reason or ""
        rows.append(Row(task.title, links.url("bounties.detail", public_id=sub.public_id), sub.status, action,
                        deadline, sub.paid_amount or None, task.currency, False, "bounty_submissions"))
    return rows


def my_bids(user, limit: int = LIMIT) -> list[Row]:
    bids = list(db.session.scalars(
        db.select(Bid).options(selectinload(Bid.task)).where(Bid.solver_id == user.id)
        .order_by(Bid.id.desc()).limit(limit)))
    awarded = [b.id for b in bids if b.status == "accepted"]
    contracts = {c.bid_id: c for c in db.session.scalars(
        db.select(Contract).where(Contract.bid_id.in_(awarded)))} if awarded else {}
    rows = []
    for b in bids:
        link = links.url("bids.task_bids", task_id=b.task_id)
        action, deadline, mine = "", None, False
        if b.status in LIVE_STATUSES:
            action, deadline = _("Waiting for the poster's decision; you can edit until the deadline"), b.task.bid_deadline
        elif b.status == "accepted" and b.id in contracts:
            contract = contracts[b.id]
            link = links.url("contracts.detail", contract_id=contract.id)
            if contract.status == "proposed":
                action, mine = _("Accept the contract"), True
            else:
                action = _("See the contract")
        rows.append(Row(b.task.title, link, b.status, action, deadline, b.amount, b.currency, mine, "bids"))
    return rows


def _contract_next(contract, milestones, as_poster: bool):
    """(action, deadline, mine) for one contract from one side."""
    if contract.status == "proposed":
        return (_("Waiting for the solver to accept"), None, False) if as_poster else \
               (_("Accept the contract"), None, True)
    if contract.status != "active":
        return "", None, False
    if as_poster and contract.solver_cancel_at and not contract.poster_cancel_at:
        return _("The solver asks to cancel"), None, True
    if not as_poster and contract.poster_cancel_at and not contract.solver_cancel_at:
        return _("The poster asks to cancel"), None, True
    for m in milestones:
        if m.status == "delivered":
            if contract.kind == "claim":
                return (_("Confirm the work") if as_poster else _("Waiting for confirmation"),
                        m.review_due_at, as_poster)
            return ((_("Review “%(m)s”", m=m.title) if as_poster else _("Waiting for review of “%(m)s”", m=m.title)),
                    m.review_due_at, as_poster)
        if m.status in ("funded", "revision_requested"):
            label = _("Do the work and mark it done") if contract.kind == "claim" else _("Deliver “%(m)s”", m=m.title)
            return ((_("Waiting for delivery of “%(m)s”", m=m.title) if as_poster else label), m.due_at, not as_poster)
        if m.status == "pending_funding":
            return ((_("Fund “%(m)s”", m=m.title) if as_poster else _("Waiting for funding of “%(m)s”", m=m.title)),
                    m.due_at, as_poster)
    return "", None, False


def my_contracts(user, limit: int = LIMIT) -> list[Row]:
    contracts = list(db.session.scalars(
        db.select(Contract).options(selectinload(Contract.task), selectinload(Contract.milestones))
        .where(db.or_(Contract.poster_id == user.id, Contract.solver_id == user.id))
        .order_by(Contract.id.desc()).limit(limit)))
    rows = []
    for c in contracts:
        action, deadline, mine = _contract_next(c, c.milestones, c.poster_id == user.id)
        rows.append(Row(c.task.title, links.url("contracts.detail", contract_id=c.id), c.status, action,
                        deadline, c.amount, c.currency, mine, "contracts"))
    return rows
