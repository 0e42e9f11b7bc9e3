"""Who may see and act on a contract or a message thread."""
from __future__ import annotations

from ..bids import policies as bid_policies
from ..bids.models import Bid
from ..core.errors import NotFound
from ..extensions import db
from .loading import _task
from .models import Contract


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
