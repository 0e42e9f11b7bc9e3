"""Who may do what with bids: the poster side of a task (its poster, or an owner/manager of its
organisation) sees all bids and decides; a solver sees and changes only its own."""
from __future__ import annotations

from ..core.errors import Forbidden, NotFound
from ..organisations.policies import role_of
from ..tasks.policies import can_manage, load_org


def acts_for_poster(user, task) -> bool:
    """The user may decide for the task: its poster, or an owner/manager of its organisation."""
    return can_manage(user, task)


def require_poster_side(user, task) -> None:
    if not acts_for_poster(user, task):
        raise Forbidden()


def can_see_bid(user, bid, task) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (bid.solver_id == user.id or acts_for_poster(user, task) or is_org_member(user, task)
            or getattr(user, "is_operator", False))


def is_org_member(user, task) -> bool:
    """Any member of the task's organisation may read its bids; only owners/managers decide."""
    if not task.org_id:
        return False
    return role_of(user, load_org(task.org_id)) is not None


def require_can_see_bid(user, bid, task) -> None:
    # 404 rather than 403: the existence of someone else's bid is not the caller's business.
    if not can_see_bid(user, bid, task):
        raise NotFound()
