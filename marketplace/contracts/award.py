"""Awarding a bid: milestones, the contract proposal, the solver accepting or declining."""
from __future__ import annotations

import datetime as dt
import math

from flask_babel import lazy_gettext as _l

from ..bids import policies as bid_policies
from ..bids.models import LIVE_STATUSES as LIVE_BID_STATUSES
from ..bids.models import Bid
from ..bids.service import EXPIRE_TIMER, award_window, reject_other_bids, task_of
from ..core.db import utcnow
from ..core.errors import Forbidden, ValidationFailed, WrongState
from ..core.money import MAX_AMOUNT
from ..extensions import db
from ..jobs.service import cancel, schedule, subject_ref
from ..notifications.service import notify
from .loading import (
    MAX_MILESTONES,
    MAX_TITLE,
    _money,
    _set_status,
    _set_task_status,
    _task,
    _user,
    contract_link,
    milestones_of,
)
from .models import Contract, Milestone


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
        schedule(EXPIRE_TIMER, subject_ref("task", task.id), now + award_window())
