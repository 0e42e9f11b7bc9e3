"""Who may do what with bids: the poster side of a task (its poster, or an owner/manager of its
organisation) sees all bids and decides; a solver sees and changes only its own; members of the
posting organisation may not bid on its tasks."""
from __future__ import annotations

from ..core.errors import Forbidden, NotFound


def acts_for_poster(user, task) -> bool:
    """The user may decide for the task: its poster, or an owner/manager of its organisation."""
    from ..tasks.policies import can_manage
    return can_manage(user, task)


def require_poster_side(user, task) -> None:
    if not acts_for_poster(user, task):
        raise Forbidden()


def can_see_bid(user, bid, task) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    # A plain member of the posting organisation does not read the bids (a conflict of interest
    # when the member also works for a bidder); its owners and managers do, since they decide.
    return bid.solver_id == user.id or acts_for_poster(user, task) or getattr(user, "is_operator", False)


def can_see_all_bids(user, task) -> bool:
    return acts_for_poster(user, task) or getattr(user, "is_operator", False)


def is_org_member(user, task) -> bool:
    """Whether the user belongs to the task's organisation (any role): such a member may not bid
    on it and, unless an owner or manager, does not see its bids."""
    if not task.org_id:
        return False
    from ..organisations.policies import role_of
    from ..tasks.policies import load_org
    return role_of(user, load_org(task.org_id)) is not None


def require_can_see_bid(user, bid, task) -> None:
    # 404 rather than 403: the existence of someone else's bid is not the caller's business.
    if not can_see_bid(user, bid, task):
        raise NotFound()
