"""What a dispute does to a milestone or a claim (called by the disputes domain; contracts owns
these rows): freeze it, resume it after a withdrawal, or resolve it after a settlement or an
operator's decision moved its money.

While frozen the milestone and its contract are `disputed`: nothing can accept, revise, deliver,
cancel or auto-accept them, and the escrow hold stays put.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from ..core.errors import WrongState
from ..extensions import db
from ..jobs.models import Timer
from ..jobs.service import cancel, schedule, subject_ref
from .loading import (
    AUTO_ACCEPT_TIMER,
    AUTO_CONFIRM_TIMER,
    _set_status,
    _set_task_status,
    _task,
    milestones_of,
)
from .milestones import _complete_if_done
from .models import Contract, Milestone

# The milestone states a party may dispute, per contract kind.
DISPUTABLE = {"tender": ("funded", "delivered", "revision_requested"), "claim": ("delivered",)}
FINAL = ("accepted", "refunded", "cancelled")


def _timer_kind(contract) -> str:
    return AUTO_CONFIRM_TIMER if contract.kind == "claim" else AUTO_ACCEPT_TIMER


def check_disputable(milestone, contract) -> None:
    """WrongState, with the reason, when this milestone cannot be disputed now."""
    if milestone.status == "accepted":
        if milestone.auto_accepted:
            raise WrongState(_l("This was accepted automatically when the review period ended; "
                                "it can no longer be disputed."))
        raise WrongState(_l("This was accepted and paid; it can no longer be disputed."))
    if milestone.status == "disputed":
        raise WrongState(_l("A dispute about this is already open."))
    if contract.status not in ("active", "disputed"):
        raise WrongState(_l("The contract is not active."))
    allowed = DISPUTABLE.get(contract.kind, ())
    if milestone.status not in allowed:
        if contract.kind == "claim":
            raise WrongState(_l("A claim can be disputed once it is marked done and awaits confirmation."))
        raise WrongState(_l("Only a funded or delivered milestone can be disputed."))


def freeze(milestone, contract, now) -> tuple[str, str | None, int | None]:
    """Move the milestone (and its contract) to `disputed` and stop its timer. Returns what a
    withdrawal needs to resume: (prior status, timer kind, seconds that were left)."""
    check_disputable(milestone, contract)
    prior = milestone.status
    result = db.session.execute(
        db.update(Milestone).where(Milestone.id == milestone.id, Milestone.status == prior)
        .values(status="disputed").execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.expire(milestone)
        raise WrongState(_l("This has changed in the meantime; reload the page."))
    db.session.execute(
        db.update(Contract).where(Contract.id == contract.id, Contract.status == "active")
        .values(status="disputed").execution_options(synchronize_session=False))
    db.session.refresh(milestone)
    db.session.refresh(contract)
    kind, left = _timer_kind(contract), None
    ref = subject_ref("milestone", milestone.id)
    due = db.session.scalar(db.select(Timer.due_at).where(
        Timer.kind == kind, Timer.subject_ref == ref, Timer.status == "pending"))
    if due is not None:
        left = max(int((due - now).total_seconds()), 0)
        cancel(kind, ref)
    return prior, (kind if due is not None else None), left


def _unfreeze_contract(contract) -> None:
    """The contract is active again unless another of its milestones is still disputed."""
    still = db.session.scalar(db.select(db.func.count(Milestone.id)).where(
        Milestone.contract_id == contract.id, Milestone.status == "disputed")) or 0
    if not still:
        db.session.execute(
            db.update(Contract).where(Contract.id == contract.id, Contract.status == "disputed")
            .values(status="active").execution_options(synchronize_session=False))
    db.session.refresh(contract)


def resume(milestone, contract, prior_status: str, timer_kind: str | None, seconds_left: int | None,
           now) -> None:
    """A withdrawn dispute: the milestone goes back to where it was and its timer runs on with
    the time that was left when the dispute froze it."""
    values = {"status": prior_status}
    if timer_kind and seconds_left is not None:
        values["review_due_at"] = now + dt.timedelta(seconds=seconds_left)
    result = db.session.execute(
        db.update(Milestone).where(Milestone.id == milestone.id, Milestone.status == "disputed")
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise WrongState(_l("This has changed in the meantime; reload the page."))
    db.session.refresh(milestone)
    if timer_kind and seconds_left is not None:
        schedule(timer_kind, subject_ref("milestone", milestone.id), values["review_due_at"])
    _unfreeze_contract(contract)


def resolve(milestone, contract, solver_paid: bool, now) -> None:
    """The dispute's money has moved: the milestone is accepted (the solver got a share) or
    refunded (all of it went back); the contract ends when nothing is left open."""
    values = {"status": "accepted", "accepted_at": now} if solver_paid else {"status": "refunded"}
    result = db.session.execute(
        db.update(Milestone).where(Milestone.id == milestone.id, Milestone.status == "disputed")
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise WrongState(_l("This has changed in the meantime; reload the page."))
    db.session.refresh(milestone)
    _unfreeze_contract(contract)
    if contract.status != "active":
        return
    statuses = [m.status for m in milestones_of(contract)]
    if any(s not in FINAL for s in statuses):
        return
    task = _task(contract)
    if all(s == "accepted" for s in statuses):
        _complete_if_done(contract, task, now)
        return
    if "accepted" in statuses:
        _set_status(Contract, contract, ("active",), status="completed", completed_at=now)
        _set_task_status(task, ("in_progress",), "completed")
    else:
        _set_status(Contract, contract, ("active",), status="cancelled", cancelled_at=now)
        _set_task_status(task, ("in_progress", "awarded"), "cancelled", cancelled_at=now)
