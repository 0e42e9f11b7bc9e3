"""Cancelling a contract: free before money moved, a mutual cancel (refund) after."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.db import utcnow
from ..core.errors import Forbidden, WrongState
from ..extensions import db
from ..jobs.service import cancel, subject_ref
from ..notifications.service import notify
from ..payments import service as payments
from . import events
from .award import _reopen_tender
from .loading import (
    AUTO_ACCEPT_TIMER,
    AUTO_CONFIRM_TIMER,
    _set_status,
    _set_task_status,
    _task,
    _user,
    contract_link,
    milestones_of,
)
from .milestones import milestone_escrow_ref
from .models import HELD_STATUSES, Contract, Milestone
from .policies import is_poster_side


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
