"""Milestones: funding, delivery, acceptance (release) and revision requests."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..bids.service import discard_files, store_files
from ..core.db import conditional_update, utcnow
from ..core.errors import Forbidden, ValidationFailed, WrongState
from ..core.money import MoneyParam
from ..extensions import db
from ..jobs.service import cancel, schedule, subject_ref
from ..ledger import service as ledger
from ..ledger.fees import fee_breakdown
from ..notifications.service import notify
from ..organisations.models import Organisation
from ..payments.service import start_funding
from . import events
from .loading import (
    AUTO_ACCEPT_TIMER,
    AUTO_CONFIRM_TIMER,
    MAX_NOTE,
    _confirm_hours,
    _fmt_time,
    _max_revisions,
    _review_days,
    _set_status,
    _set_task_status,
    _task,
    _user,
    contract_link,
    contract_of,
)
from .models import (
    DELIVERABLE_STATUSES,
    Contract,
    Delivery,
    DeliveryFile,
    Milestone,
)
from .policies import is_party, is_poster_side


def milestone_escrow_ref(milestone) -> str:
    return milestone.escrow_ref or f"milestone:{milestone.id}"


def fund_milestone(actor, milestone, method: str):
    """Start funding a milestone through the payments module; returns the Funding."""
    contract = contract_of(milestone)
    if not is_poster_side(actor, contract):
        raise Forbidden(_l("Only the poster can fund milestones."))
    if contract.status != "active":
        raise WrongState(_l("The contract is not active."))
    if milestone.status != "pending_funding":
        raise WrongState(_l("This milestone is already funded."))
    return start_funding(actor, "milestone", milestone.id, method)


class MilestoneFundable:
    """What payments needs to fund a milestone (see payments.fundables)."""

    def __init__(self, milestone, contract, task):
        self.milestone, self.contract, self.task = milestone, contract, task
        self.escrow_ref = milestone_escrow_ref(milestone)
        self.amount = milestone.amount
        self.currency = milestone.currency
        self.payer_user = _user(contract.poster_id)
        self.payer = self.payer_user
        if task.org_id:
            self.payer = db.session.get(Organisation, task.org_id) or self.payer_user
        self.title = f"{task.title} · {milestone.title}"
        self.link = contract_link(contract)

    @property
    def fees(self) -> dict:
        """What the poster pays and what the solver receives of it after the platform fee."""
        return fee_breakdown(self.amount, self.task.category)

    def accepts_funding(self) -> bool:
        return self.contract.status == "active" and self.milestone.status == "pending_funding"

    def can_fund(self, user) -> bool:
        return self.accepts_funding() and is_poster_side(user, self.contract)

    def can_view(self, user) -> bool:
        return is_party(user, self.contract)  # the contract page's visibility

    def on_funded(self, funding) -> None:
        mark_funded(self.milestone)


def load_fundable(subject_id):
    try:
        milestone = db.session.get(Milestone, int(subject_id))
    except (TypeError, ValueError):
        return None
    if milestone is None:
        return None
    contract = contract_of(milestone)
    return MilestoneFundable(milestone, contract, _task(contract))


def mark_funded(milestone, *, now=None) -> Milestone:
    """Called by payments in the unit of work that posts the money to the milestone's escrow."""
    now = now or utcnow()
    _set_status(Milestone, milestone, ("pending_funding",), _l("This milestone is already funded."),
                status="funded", funded_at=now, escrow_ref=milestone_escrow_ref(milestone))
    contract = contract_of(milestone)
    task = _task(contract)
    notify(_user(contract.solver_id), "milestone.funded", link=contract_link(contract),
           milestone=milestone.title, task=task.title)
    return milestone


# --- delivery and review -------------------------------------------------------------------------

def deliver_milestone(actor, milestone, note: str, files=(), *, now=None) -> Delivery:
    """The solver hands in a funded milestone (or marks a claim done); the review clock starts."""
    now = now or utcnow()
    contract = contract_of(milestone)
    if actor.id != contract.solver_id:
        raise Forbidden(_l("Only the solver can deliver."))
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(errors={"note": [_l("Describe what you delivered.")]})
    if len(note) > MAX_NOTE:
        raise ValidationFailed(errors={"note": [_l("At most %(n)s characters.", n=MAX_NOTE)]})
    if contract.status != "active":
        raise WrongState(_l("The contract is not active."))
    if milestone.status not in DELIVERABLE_STATUSES:
        if milestone.status == "pending_funding":
            raise WrongState(_l("This milestone is not funded yet."))
        raise WrongState(_l("This milestone has already been delivered."))
    claim = contract.kind == "claim"
    kinds = ("jpeg", "png", "gif", "webp") if claim else None
    stored = store_files(files, kinds=kinds) if kinds else store_files(files)
    review_due = now + (dt.timedelta(hours=_confirm_hours()) if claim else dt.timedelta(days=_review_days()))
    try:
        _set_status(Milestone, milestone, DELIVERABLE_STATUSES, _l("This milestone has already been delivered."),
                    status="delivered", delivered_at=now, review_due_at=review_due)
    except WrongState:
        discard_files(stored)
        raise
    delivery = Delivery(milestone_id=milestone.id, solver_id=actor.id, note=note, created_at=now)
    for s in stored:
        delivery.files.append(DeliveryFile(path=s.path, name=s.name, size=s.size, sha256=s.sha256, mime=s.mime))
    db.session.add(delivery)
    kind = AUTO_CONFIRM_TIMER if claim else AUTO_ACCEPT_TIMER
    schedule(kind, subject_ref("milestone", milestone.id), review_due)
    task = _task(contract)
    if claim:
        notify(_user(contract.poster_id), "claim.done", link=contract_link(contract),
               solver=actor.display_name, task=task.title, until=_fmt_time(review_due))
    else:
        notify(_user(contract.poster_id), "milestone.delivered", link=contract_link(contract),
               solver=actor.display_name, milestone=milestone.title, task=task.title,
               until=_fmt_time(review_due))
    return delivery


def _release(milestone, contract, task, actor) -> None:
    payee = ("org", contract.solver_org_id) if contract.solver_org_id else _user(contract.solver_id)
    ledger.release(milestone_escrow_ref(milestone), payee,
                   category=task.category, idempotency_key=f"release:milestone:{milestone.id}",
                   actor=actor)


def accept_milestone(actor, milestone, *, now=None, auto: bool = False) -> Milestone:
    """The poster side accepts a delivery (or the timer does): the money goes to the solver's
    wallet minus the platform fee. Happens once, whatever the number of concurrent requests."""
    now = now or utcnow()
    contract = contract_of(milestone)
    if not auto and not is_poster_side(actor, contract):
        raise Forbidden(_l("Only the poster can accept a delivery."))
    if contract.status != "active":
        raise WrongState(_l("The contract is not active."))
    _set_status(Milestone, milestone, ("delivered",), _l("This milestone is not waiting for acceptance."),
                status="accepted", accepted_at=now, auto_accepted=auto)
    task = _task(contract)
    _release(milestone, contract, task, None if auto else actor)
    claim = contract.kind == "claim"
    cancel(AUTO_CONFIRM_TIMER if claim else AUTO_ACCEPT_TIMER, subject_ref("milestone", milestone.id))
    solver = _user(contract.solver_id)
    # Gross, fee and net as the ledger computed them, so the message says what the wallet got;
    # formatted when read, in the reader's language.
    parts = fee_breakdown(milestone.amount, task.category)
    amount = MoneyParam(milestone.amount, milestone.currency)
    fee, net = MoneyParam(parts["fee"], milestone.currency), MoneyParam(parts["net"], milestone.currency)
    if claim:
        notify(solver, "claim.auto_confirmed" if auto else "claim.confirmed", link=contract_link(contract),
               task=task.title, amount=amount, fee=fee, net=net)
        if auto:
            notify(_user(contract.poster_id), "claim.auto_confirmed", link=contract_link(contract),
                   task=task.title, amount=amount, fee=fee, net=net)
    else:
        notify(solver, "milestone.auto_accepted" if auto else "milestone.accepted",
               link=contract_link(contract), milestone=milestone.title, task=task.title, amount=amount,
               fee=fee, net=net)
        if auto:
            notify(_user(contract.poster_id), "milestone.auto_accepted", link=contract_link(contract),
                   milestone=milestone.title, task=task.title, amount=amount, fee=fee, net=net)
    _complete_if_done(contract, task, now)
    return milestone


def _complete_if_done(contract, task, now) -> None:
    remaining = db.session.scalar(db.select(db.func.count(Milestone.id)).where(
        Milestone.contract_id == contract.id, Milestone.status != "accepted")) or 0
    if remaining:
        return
    _set_status(Contract, contract, ("active",), status="completed", completed_at=now)
    _set_task_status(task, ("in_progress",), "completed")
    for uid in (contract.poster_id, contract.solver_id):
        notify(_user(uid), "contract.completed", link=contract_link(contract), task=task.title)
    signal = events.claim_confirmed if contract.kind == "claim" else events.contract_completed
    signal.send(Contract, contract=contract, task=task, amount=contract.amount)


def request_revision(actor, milestone, reason: str, *, now=None) -> Milestone:
    """The poster side sends a delivery back with a reason (at most MAX_REVISIONS times)."""
    now = now or utcnow()
    contract = contract_of(milestone)
    if not is_poster_side(actor, contract):
        raise Forbidden(_l("Only the poster can request a revision."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(errors={"reason": [_l("Say what needs to change.")]})
    if len(reason) > MAX_NOTE:
        raise ValidationFailed(errors={"reason": [_l("At most %(n)s characters.", n=MAX_NOTE)]})
    if contract.status != "active":
        raise WrongState(_l("The contract is not active."))
    if contract.kind == "claim":
        raise WrongState(_l("A claim is confirmed or disputed, not revised."))
    limit = _max_revisions()
    if milestone.revisions >= limit:
        raise WrongState(_l("The revision limit (%(n)s) is reached: accept the delivery or open a dispute.", n=limit))
    conditional_update(Milestone, milestone, "delivered", where=(Milestone.revisions < limit,),
                       message=_l("This milestone is not waiting for review."),
                       status="revision_requested", revisions=Milestone.revisions + 1, review_due_at=None)
    latest = db.session.scalars(db.select(Delivery).where(Delivery.milestone_id == milestone.id)
                                .order_by(Delivery.id.desc()).limit(1)).first()
    if latest is not None:
        latest.revision_reason = reason
        latest.revision_requested_at = now
    cancel(AUTO_ACCEPT_TIMER, subject_ref("milestone", milestone.id))
    task = _task(contract)
    notify(_user(contract.solver_id), "milestone.revision_requested", link=contract_link(contract),
           milestone=milestone.title, task=task.title, reason=reason[:200])
    return milestone


def deliveries_of(milestone) -> list[Delivery]:
    return list(db.session.scalars(
        db.select(Delivery).options(selectinload(Delivery.files))
        .where(Delivery.milestone_id == milestone.id).order_by(Delivery.id)))
