"""The claim (抢单) flow: claiming a funded task, abandoning it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..accounts.policies import ensure_not_blocklisted
from ..bids import policies as bid_policies
from ..core.catalogue import city_of
from ..core.db import utcnow
from ..core.errors import Conflict, Forbidden, ValidationFailed, WrongState
from ..extensions import db
from ..notifications.service import notify
from ..tasks.funding import escrow_ref
from ..tasks.models import Task
from ..tasks.policies import require_view
from ..tasks.transitions import move
from ..verification.service import is_verified
from . import events
from .loading import MAX_TITLE, _set_status, _task, _user, contract_link, milestones_of
from .models import ClaimAbandonment, Contract, Milestone


def claim_task(actor, task, *, now=None) -> Contract:
    """A verified solver of the task's city claims a funded claim task. Exactly one of many
    concurrent claims wins; the others get a 409."""
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
    move(task, to="in_progress", expected="open", where=(Task.claimant_id.is_(None),), claimant_id=actor.id,
         error=Conflict, message=_l("Another solver has already claimed this task."))
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
    move(task, to="open", expected="in_progress", where=(Task.claimant_id == actor.id,), claimant_id=None)
    row = ClaimAbandonment(task_id=task.id, contract_id=contract.id, solver_id=actor.id,
                           reason=(reason or "").strip(), at=now)
    db.session.add(row)
    db.session.flush()
    notify(_user(task.poster_id), "claim.abandoned", link=contract_link(contract),
           solver=actor.display_name, task=task.title)
    events.claim_abandoned.send(Contract, contract=contract, task=task, abandonment=row)
    return row
