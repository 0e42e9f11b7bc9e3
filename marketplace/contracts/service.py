"""Contracts and milestones: award a bid, accept the contract, fund, deliver, accept (release) or
request a revision, mutual cancel; and the claim (抢单) flow: claim, mark done, confirm, abandon.

A claim is a contract of kind "claim" with one milestone whose money is the task's escrow (funded
before the task opened); marking it done is a delivery and confirming it is an acceptance.

Every transition that two requests can race is a conditional UPDATE on the status (the loser sees
rowcount 0 and gets a 409), backed by unique indexes (one live contract per task, one bid per
contract). Money moves only through `ledger.service`, each with an idempotency key built from local
ids, so even a replay posts once.
"""
from __future__ import annotations

import datetime as dt
import math

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.policies import ensure_not_blocklisted
from ..bids import policies as bid_policies
from ..bids.models import LIVE_STATUSES as LIVE_BID_STATUSES
from ..bids.models import Bid
from ..bids.service import discard_files, reject_other_bids, store_files, task_of
from ..core.catalogue import city_of
from ..core.db import lock_row, utcnow
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed, WrongState
from ..core.money import MAX_AMOUNT, format_money
from ..extensions import db
from ..notifications.service import notify, register_kind
from . import events
from .models import (
    DELIVERABLE_STATUSES,
    HELD_STATUSES,
    ClaimAbandonment,
    Contract,
    Delivery,
    DeliveryFile,
    Message,
    Milestone,
)

MAX_MILESTONES = 20
MAX_TITLE = 200
MAX_NOTE = 20000

AUTO_ACCEPT_TIMER = "milestone.auto_accept"
AUTO_CONFIRM_TIMER = "claim.auto_confirm"
CLAIM_EXPIRE_TIMER = "claim.expire"

register_kind("contract.proposed", _l("You were awarded “%(task)s” for %(amount)s. Review and accept the contract."))
register_kind("contract.accepted", _l("%(solver)s accepted the contract for “%(task)s”. Fund the first milestone."))
register_kind("contract.declined", _l("%(solver)s declined the contract for “%(task)s”."))
register_kind("contract.withdrawn", _l("The award of “%(task)s” was withdrawn."))
register_kind("contract.cancel_requested", _l("%(who)s asked to cancel the contract for “%(task)s”."))
register_kind("contract.cancelled", _l("The contract for “%(task)s” was cancelled; funded money was refunded."))
register_kind("contract.completed", _l("The contract for “%(task)s” is completed."))
register_kind("milestone.funded", _l("Milestone “%(milestone)s” of “%(task)s” is funded. You can start."))
register_kind("milestone.delivered", _l("%(solver)s delivered “%(milestone)s” of “%(task)s”. Review it by %(until)s."))
register_kind("milestone.accepted", _l("“%(milestone)s” of “%(task)s” was accepted; %(amount)s was released to you."))
register_kind("milestone.auto_accepted", _l("“%(milestone)s” of “%(task)s” was accepted automatically; %(amount)s was released."))
register_kind("milestone.revision_requested", _l("A revision of “%(milestone)s” of “%(task)s” was requested: %(reason)s"))
register_kind("claim.claimed", _l("%(solver)s claimed “%(task)s”."))
register_kind("claim.done", _l("%(solver)s marked “%(task)s” done. Confirm it by %(until)s."))
register_kind("claim.confirmed", _l("“%(task)s” was confirmed; %(amount)s was released to you."))
register_kind("claim.auto_confirmed", _l("“%(task)s” was confirmed automatically; %(amount)s was released."))
register_kind("claim.expired", _l("Nobody claimed “%(task)s” before its time window ended; it expired and the escrow was refunded."))
register_kind("claim.abandoned", _l("%(solver)s gave up “%(task)s”; it is open for claims again."))
register_kind("message.received", _l("%(sender)s sent you a message about “%(task)s”."))


def _money(amount, currency="CNY"):
    return format_money(amount, currency)


def _user(user_id):
    from ..accounts.models import User
    return db.session.get(User, user_id)


def contract_link(contract) -> str:
    return f"/contracts/{contract.id}"


def _fmt_time(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _review_days() -> int:
    return int(current_app.config.get("REVIEW_DAYS", 7))


def _confirm_hours() -> int:
    return int(current_app.config.get("CLAIM_CONFIRM_HOURS", 48))


def _max_revisions() -> int:
    return int(current_app.config.get("MAX_REVISIONS", 3))


# --- loading ----------------------------------------------------------------------------------

def load_contract(contract_id: int) -> Contract:
    contract = db.session.execute(
        db.select(Contract)
        .options(selectinload(Contract.milestones).selectinload(Milestone.deliveries)
                 .selectinload(Delivery.files),
                 selectinload(Contract.task), selectinload(Contract.poster),
                 selectinload(Contract.solver))
        .where(Contract.id == contract_id)
    ).scalar_one_or_none()
    if contract is None:
        raise NotFound()
    return contract


def load_milestone(milestone_id: int) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound()
    return milestone


def contract_of(milestone) -> Contract:
    return db.session.get(Contract, milestone.contract_id)


def milestones_of(contract) -> list[Milestone]:
    return list(db.session.scalars(
        db.select(Milestone).where(Milestone.contract_id == contract.id).order_by(Milestone.position)))


def is_party(user, contract) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.id in (contract.poster_id, contract.solver_id):
        return True
    return bid_policies.acts_for_poster(user, _task(contract))


def is_poster_side(user, contract) -> bool:
    return bid_policies.acts_for_poster(user, _task(contract))


def require_party(user, contract) -> None:
    if not (is_party(user, contract) or getattr(user, "is_operator", False)):
        raise NotFound()


def _task(contract):
    from ..tasks.models import Task
    return db.session.get(Task, contract.task_id)


def _set_status(model, obj, from_statuses, message=None, **values) -> None:
    """Conditional UPDATE: move obj to new values only if its status is still one of
    from_statuses. The loser of a race (or a stale page) gets a 409."""
    result = db.session.execute(
        db.update(model).where(model.id == obj.id, model.status.in_(tuple(from_statuses)))
        .values(**values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire(obj)
        raise WrongState(message or _l("This has changed in the meantime; reload the page."))
    db.session.refresh(obj)


def _set_task_status(task, from_statuses, to_status, message=None, **values) -> None:
    from ..tasks.models import Task
    _set_status(Task, task, from_statuses, message, status=to_status, **values)


# --- award ---------------------------------------------------------------------------------------

def validate_milestones(items, total: int) -> list[tuple[str, int]]:
    """[(title, amount)] that sum to the bid; field errors name each bad row ("milestones[1].amount")."""
    errors: dict = {}
    clean: list[tuple[str, int]] = []
    if not isinstance(items, (list, tuple)) or not items:
        raise ValidationFailed(errors={"milestones": [_l("Add at least one milestone.")]})
    if len(items) > MAX_MILESTONES:
        raise ValidationFailed(errors={"milestones": [_l("At most %(n)s milestones.", n=MAX_MILESTONES)]})
    for i, item in enumerate(items):
        if isinstance(item, dict):
            title, amount = item.get("title"), item.get("amount")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            title, amount = item
        else:
            errors[f"milestones[{i}]"] = [_l("Give a title and an amount.")]
            continue
        title = (title or "").strip() if isinstance(title, str) else ""
        if not title:
            errors[f"milestones[{i}].title"] = [_l("Give the milestone a title.")]
        elif len(title) > MAX_TITLE:
            errors[f"milestones[{i}].title"] = [_l("At most %(n)s characters.", n=MAX_TITLE)]
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            errors[f"milestones[{i}].amount"] = [_l("The amount must be greater than zero.")]
        elif amount > MAX_AMOUNT:
            errors[f"milestones[{i}].amount"] = [_l("The amount is too large.")]
        clean.append((title, amount if isinstance(amount, int) else 0))
    if not errors and sum(a for _t, a in clean) != total:
        errors["milestones"] = [_l("The milestones must add up to the bid (%(total)s); they add up to %(sum)s.",
                                   total=_money(total), sum=_money(sum(a for _t, a in clean)))]
    if errors:
        raise ValidationFailed(errors=errors)
    return clean


def award_bid(actor, bid, milestones=None, *, now=None) -> Contract:
    """The poster side awards a live bid: the task becomes awarded and a proposed contract with
    milestones (summing to the bid) waits for the solver's acceptance. Happens once per task."""
    now = now or utcnow()
    task = task_of(bid)
    bid_policies.require_poster_side(actor, task)
    if task.mode != "tender":
        raise WrongState(_l("Only tenders are awarded."))
    if milestones is None:
        milestones = [(task.title[:MAX_TITLE], bid.amount)]
    plan = validate_milestones(milestones, bid.amount)
    if bid.status not in LIVE_BID_STATUSES:
        raise WrongState(_l("This bid can no longer be awarded."))
    # The race guard: only one request moves the task from open to awarded.
    _set_task_status(task, ("open",), "awarded", _l("This task has already been awarded."))
    _set_status(Bid, bid, LIVE_BID_STATUSES, _l("This bid can no longer be awarded."),
                status="accepted", decided_at=now)
    contract = Contract(kind="tender", task_id=task.id, bid_id=bid.id, poster_id=task.poster_id,
                        solver_id=bid.solver_id, solver_org_id=bid.org_id, org_id=task.org_id,
                        status="proposed",
                        amount=bid.amount, currency=bid.currency, days=bid.days, created_at=now)
    for position, (title, amount) in enumerate(plan, 1):
        contract.milestones.append(Milestone(position=position, title=title, amount=amount,
                                             currency=bid.currency, status="pending_funding"))
    db.session.add(contract)
    db.session.flush()  # the unique live-contract index is the last line of defence
    from ..bids.service import EXPIRE_TIMER
    from ..jobs.service import cancel, subject_ref
    cancel(EXPIRE_TIMER, subject_ref("task", task.id))
    notify(_user(bid.solver_id), "contract.proposed", link=contract_link(contract),
           task=task.title, amount=_money(bid.amount, bid.currency))
    return contract


def _schedule_due_dates(contract, milestones, start) -> None:
    """Spread the bid's days over the milestones in proportion to their amounts."""
    if not contract.days:
        return
    running = 0
    for m in milestones:
        running += m.amount
        m.due_at = start + dt.timedelta(days=math.ceil(contract.days * running / contract.amount))


def accept_contract(actor, contract, *, now=None) -> Contract:
    """The solver accepts the proposed contract; other bids are declined."""
    now = now or utcnow()
    if actor.id != contract.solver_id:
        raise Forbidden(_l("Only the awarded solver can accept the contract."))
    _set_status(Contract, contract, ("proposed",), _l("This contract is no longer waiting for acceptance."),
                status="active", accepted_at=now)
    task = _task(contract)
    _set_task_status(task, ("awarded",), "in_progress")
    _schedule_due_dates(contract, milestones_of(contract), now)
    reject_other_bids(task, contract.bid_id, now=now)
    notify(_user(contract.poster_id), "contract.accepted", link=contract_link(contract),
           solver=actor.display_name, task=task.title)
    return contract


def _reopen_tender(task, contract, now) -> None:
    """An award that did not become a contract: the task takes bids again (or waits for the
    poster's choice until the award window ends)."""
    _set_task_status(task, ("awarded",), "open")
    if contract.bid_id:
        db.session.execute(db.update(Bid).where(Bid.id == contract.bid_id, Bid.status == "accepted")
                           .values(status="withdrawn", decided_at=now)
                           .execution_options(synchronize_session=False))
    if task.bid_deadline is not None and task.bid_deadline <= now:
        from ..bids.service import EXPIRE_TIMER, award_window
        from ..jobs.service import schedule, subject_ref
        schedule(EXPIRE_TIMER, subject_ref("task", task.id), now + award_window())


# --- funding -------------------------------------------------------------------------------------

def milestone_escrow_ref(milestone) -> str:
    return milestone.escrow_ref or f"milestone:{milestone.id}"


def fund_milestone(actor, milestone, method: str):
    """Start funding a milestone through the payments module; returns the Funding."""
    from ..payments.service import start_funding
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
            from ..organisations.models import Organisation
            self.payer = db.session.get(Organisation, task.org_id) or self.payer_user
        self.title = f"{task.title} · {milestone.title}"
        self.link = contract_link(contract)

    def accepts_funding(self) -> bool:
        return self.contract.status == "active" and self.milestone.status == "pending_funding"

    def can_fund(self, user) -> bool:
        return self.accepts_funding() and is_poster_side(user, self.contract)

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
    from ..jobs.service import schedule, subject_ref
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
    from ..ledger import service as ledger
    payee = ("org", contract.solver_org_id) if contract.solver_org_id else _user(contract.solver_id)
    ledger.release(milestone_escrow_ref(milestone), payee,
                   category=task.category, idempotency_key=f"release:milestone:{milestone.id}",
                   actor=actor)


def accept_milestone(actor, milestone, *, now=None, auto: bool = False) -> Milestone:
    """The poster side accepts a delivery (or the timer does): the money goes to the solver's
    wallet minus the platform fee. Happens once, whatever the number of concurrent requests."""
    from ..jobs.service import cancel, subject_ref
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
    amount = _money(milestone.amount, milestone.currency)
    if claim:
        notify(solver, "claim.auto_confirmed" if auto else "claim.confirmed", link=contract_link(contract),
               task=task.title, amount=amount)
        if auto:
            notify(_user(contract.poster_id), "claim.auto_confirmed", link=contract_link(contract),
                   task=task.title, amount=amount)
    else:
        notify(solver, "milestone.auto_accepted" if auto else "milestone.accepted",
               link=contract_link(contract), milestone=milestone.title, task=task.title, amount=amount)
        if auto:
            notify(_user(contract.poster_id), "milestone.auto_accepted", link=contract_link(contract),
                   milestone=milestone.title, task=task.title, amount=amount)
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
    from ..jobs.service import cancel, subject_ref
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
    result = db.session.execute(
        db.update(Milestone)
        .where(Milestone.id == milestone.id, Milestone.status == "delivered", Milestone.revisions < limit)
        .values(status="revision_requested", revisions=Milestone.revisions + 1, review_due_at=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.expire(milestone)
        raise WrongState(_l("This milestone is not waiting for review."))
    db.session.refresh(milestone)
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


# --- cancel ---------------------------------------------------------------------------------------

def _money_moved(milestones) -> bool:
    return any(m.status in HELD_STATUSES or m.status == "accepted" for m in milestones)


def cancel_contract(actor, contract, *, now=None) -> Contract:
    """Cancel a contract.

    proposed: the poster withdraws the award or the solver declines it (the tender reopens).
    active, no money funded yet: either side may cancel alone.
    active, money funded: mutual — each side asks; when both have, funded unreleased milestones are
    refunded to the payer, unfunded ones are cancelled, and the task is cancelled.
    """
    now = now or utcnow()
    poster_side = is_poster_side(actor, contract)
    solver_side = actor.id == contract.solver_id
    if not (poster_side or solver_side):
        raise Forbidden()
    task = _task(contract)
    if contract.status == "proposed":
        _set_status(Contract, contract, ("proposed",), status="cancelled", cancelled_at=now)
        db.session.execute(db.update(Milestone).where(Milestone.contract_id == contract.id)
                           .values(status="cancelled").execution_options(synchronize_session=False))
        _reopen_tender(task, contract, now)
        if solver_side:
            notify(_user(contract.poster_id), "contract.declined", link=contract_link(contract),
                   solver=actor.display_name, task=task.title)
        else:
            notify(_user(contract.solver_id), "contract.withdrawn", link=contract_link(contract), task=task.title)
        return contract
    if contract.status != "active":
        raise WrongState(_l("This contract cannot be cancelled now."))
    # Both sides may ask at the same moment: lock the row and read it afresh, so the second one
    # sees the first one's request and completes the cancel.
    contract = db.session.execute(
        db.select(Contract).where(Contract.id == contract.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    if contract.status != "active":
        raise WrongState(_l("This contract cannot be cancelled now."))
    milestones = milestones_of(contract)
    if _money_moved(milestones):
        asked = False
        if solver_side and contract.solver_cancel_at is None:
            contract.solver_cancel_at, asked = now, True
        if poster_side and contract.poster_cancel_at is None:
            contract.poster_cancel_at, asked = now, True
        if contract.solver_cancel_at is None or contract.poster_cancel_at is None:
            if asked:  # asking twice does not pester the other side twice
                other = contract.poster_id if solver_side else contract.solver_id
                notify(_user(other), "contract.cancel_requested", link=contract_link(contract),
                       who=actor.display_name, task=task.title)
            db.session.flush()
            return contract
    _finish_cancel(contract, task, milestones, now, actor)
    return contract


def _finish_cancel(contract, task, milestones, now, actor) -> None:
    from ..jobs.service import cancel, subject_ref
    from ..payments import service as payments
    _set_status(Contract, contract, ("active",), _l("This contract cannot be cancelled now."),
                status="cancelled", cancelled_at=now)
    for m in milestones:
        if m.status in HELD_STATUSES:
            _set_status(Milestone, m, (m.status,), status="refunded")
            payments.refund(milestone_escrow_ref(m), idempotency_key=f"refund:milestone:{m.id}",
                            actor=actor)
        elif m.status == "pending_funding":
            _set_status(Milestone, m, ("pending_funding",), status="cancelled")
        cancel(AUTO_ACCEPT_TIMER, subject_ref("milestone", m.id))
        cancel(AUTO_CONFIRM_TIMER, subject_ref("milestone", m.id))
    if contract.kind == "claim":
        # The claim's money is the task's escrow: refunding the milestone refunded the task.
        _set_task_status(task, ("in_progress",), "cancelled", cancelled_at=now)
    else:
        _set_task_status(task, ("in_progress", "awarded"), "cancelled", cancelled_at=now)
    for uid in (contract.poster_id, contract.solver_id):
        notify(_user(uid), "contract.cancelled", link=contract_link(contract), task=task.title)
    events.contract_cancelled.send(Contract, contract=contract, task=task,
                                   refunded=any(m.status == "refunded" for m in milestones))


# --- claims ---------------------------------------------------------------------------------------

def claim_task(actor, task, *, now=None) -> Contract:
    """A verified solver of the task's city claims a funded claim task. Exactly one of many
    concurrent claims wins; the others get a 409."""
    from ..tasks.policies import require_view
    from ..verification.service import is_verified
    now = now or utcnow()
    require_view(actor, task)
    if task.mode != "claim":
        raise WrongState(_l("Only life-service tasks can be claimed."))
    ensure_not_blocklisted(actor)
    if bid_policies.acts_for_poster(actor, task):
        raise Forbidden(_l("You cannot claim your own task."))
    if not is_verified(actor):
        raise Forbidden(_l("Only verified solvers can claim tasks. Verify your identity first."))
    if not actor.city or city_of(actor.city) != city_of(task.city):
        raise Forbidden(_l("Only solvers in the task's city can claim it. Set your city in your profile."))
    if task.status != "open" or task.claimant_id is not None:
        raise Conflict(_l("Another solver has already claimed this task."))
    if not task.escrow_funded or not task.price:
        raise WrongState(_l("This task is not funded."))
    if task.window_end is not None and now >= task.window_end:
        raise WrongState(_l("The time window of this task has passed."))
    from ..tasks.models import Task
    result = db.session.execute(
        db.update(Task).where(Task.id == task.id, Task.status == "open", Task.claimant_id.is_(None))
        .values(status="in_progress", claimant_id=actor.id)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_l("Another solver has already claimed this task."))
    db.session.refresh(task)
    contract = Contract(kind="claim", task_id=task.id, poster_id=task.poster_id, solver_id=actor.id,
                        org_id=task.org_id, status="active", amount=task.price, currency=task.currency,
                        created_at=now, accepted_at=now)
    contract.milestones.append(Milestone(position=1, title=task.title[:MAX_TITLE], amount=task.price,
                                         currency=task.currency, status="funded", funded_at=now,
                                         escrow_ref=task_escrow_ref(task), due_at=task.window_end))
    db.session.add(contract)
    db.session.flush()
    notify(_user(task.poster_id), "claim.claimed", link=contract_link(contract),
           solver=actor.display_name, task=task.title)
    return contract


def task_escrow_ref(task) -> str:
    """The escrow the task's own funding went to (claims are funded before they open)."""
    try:
        from ..tasks.funding import escrow_ref
    except ImportError:
        return f"task:{task.id}"
    return escrow_ref(task)


def abandon_claim(actor, contract, reason: str = "", *, now=None) -> ClaimAbandonment:
    """The claimant gives the task up before the time window starts: the task reopens with its
    escrow intact, and the abandonment is recorded for the solver's credit."""
    now = now or utcnow()
    if contract.kind != "claim":
        raise WrongState(_l("Only claims can be abandoned."))
    if actor.id != contract.solver_id:
        raise Forbidden()
    if len(reason or "") > 2000:
        raise ValidationFailed(errors={"reason": [_l("At most %(n)s characters.", n=2000)]})
    task = _task(contract)
    if task.window_start is not None and now >= task.window_start:
        raise WrongState(_l("The work has started; ask the poster to cancel instead."))
    milestone = milestones_of(contract)[0]
    _set_status(Milestone, milestone, ("funded",), _l("The work has been marked done; it can no longer be abandoned."),
                status="cancelled")
    _set_status(Contract, contract, ("active",), status="cancelled", cancelled_at=now)
    from ..tasks.models import Task
    result = db.session.execute(
        db.update(Task).where(Task.id == task.id, Task.status == "in_progress", Task.claimant_id == actor.id)
        .values(status="open", claimant_id=None).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise WrongState()
    db.session.refresh(task)
    row = ClaimAbandonment(task_id=task.id, contract_id=contract.id, solver_id=actor.id,
                           reason=(reason or "").strip(), at=now)
    db.session.add(row)
    db.session.flush()
    notify(_user(task.poster_id), "claim.abandoned", link=contract_link(contract),
           solver=actor.display_name, task=task.title)
    events.claim_abandoned.send(Contract, contract=contract, task=task, abandonment=row)
    return row


# --- timers ---------------------------------------------------------------------------------------

def on_task_published(task) -> None:
    """A published claim expires, refunded, if nobody has claimed it when its time window ends."""
    from ..jobs.service import schedule, subject_ref
    if task.mode == "claim" and task.window_end is not None:
        schedule(CLAIM_EXPIRE_TIMER, subject_ref("task", task.id), task.window_end)


def expire_claim(subject_ref: str, now) -> None:
    """Timer: the time window of an open claim ended and nobody holds it. The task expires and its
    escrow goes back to the payer. A claimed (or reopened and claimed again) task is left alone."""
    from ..jobs.service import parse_subject_ref
    from ..tasks.funding import refund_task_escrow
    from ..tasks.models import Task
    from ..tasks.service import task_link
    _name, task_id = parse_subject_ref(subject_ref)
    task = lock_row(Task, task_id)
    if task is None:
        raise NotFound()
    if task.mode != "claim" or task.status != "open" or task.claimant_id is not None:
        raise WrongState("claim no longer open")
    if task.window_end is not None and now < task.window_end:
        raise WrongState("time window not over")
    if task.escrow_funded:
        refund_task_escrow(task)
        task.escrow_funded = False
        task.escrow_amount = 0
    task.status = "expired"
    task.updated_at = now
    notify(_user(task.poster_id), "claim.expired", link=task_link(task), task=task.title)


def auto_accept(subject_ref: str, now) -> None:
    """Timer: a delivery that got no answer within the review period is accepted."""
    from ..jobs.service import parse_subject_ref
    _name, milestone_id = parse_subject_ref(subject_ref)
    milestone = lock_row(Milestone, milestone_id)
    if milestone is None:
        raise NotFound()
    if milestone.status != "delivered":
        raise WrongState("milestone not delivered")
    if milestone.review_due_at is not None and now < milestone.review_due_at:
        raise WrongState("review period not over")
    accept_milestone(None, milestone, now=now, auto=True)


# --- messages -------------------------------------------------------------------------------------

def can_message(user, task, solver_id: int) -> bool:
    """The poster side and the solver of a thread; the solver must have bid on or claimed the task."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.id != solver_id and not bid_policies.acts_for_poster(user, task):
        return False
    has_bid = db.session.scalar(db.select(Bid.id).where(Bid.task_id == task.id, Bid.solver_id == solver_id).limit(1))
    has_contract = db.session.scalar(db.select(Contract.id).where(
        Contract.task_id == task.id, Contract.solver_id == solver_id).limit(1))
    return bool(has_bid or has_contract)


def thread(user, task, solver_id: int) -> list[Message]:
    if not can_message(user, task, solver_id):
        raise NotFound()
    return list(db.session.scalars(
        db.select(Message).options(selectinload(Message.sender))
        .where(Message.task_id == task.id, Message.solver_id == solver_id).order_by(Message.id)))


def send_message(actor, task, solver_id: int, body: str, *, now=None) -> Message:
    now = now or utcnow()
    if not can_message(actor, task, solver_id):
        raise NotFound()
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(errors={"body": [_l("Write a message.")]})
    if len(body) > 5000:
        raise ValidationFailed(errors={"body": [_l("At most %(n)s characters.", n=5000)]})
    message = Message(task_id=task.id, solver_id=solver_id, sender_id=actor.id, body=body, created_at=now)
    db.session.add(message)
    recipient = task.poster_id if actor.id == solver_id else solver_id
    notify(_user(recipient), "message.received", sender=actor.display_name, task=task.title,
           link=f"/tasks/{task.id}/messages/{solver_id}")
    return message


def deliveries_of(milestone) -> list[Delivery]:
    return list(db.session.scalars(
        db.select(Delivery).options(selectinload(Delivery.files))
        .where(Delivery.milestone_id == milestone.id).order_by(Delivery.id)))
