"""Who may do what with bids: the poster side of a task (its poster, or an owner/manager of its
organisation) sees all bids and decides; a solver sees and changes only its own; members of the
posting organisation may not bid on its tasks."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.errors import Forbidden, NotFound
from ..core.money import format_money
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
    return role_of(user, load_org(task.org_id)) is not None


def require_can_see_bid(user, bid, task) -> None:
    # 404 rather than 403: the existence of someone else's bid is not the caller's business.
    if not can_see_bid(user, bid, task):
        raise NotFound()


# A bid outside this range of the tender's budget is refused (a typo or an attempt to game the
# ranking): below a tenth of the bottom of the budget, or above ten times its top. Between these and
# the budget, bids stand and the poster sees a flag (bids.flags).
REFUSE_BELOW = 0.1
REFUSE_ABOVE = 10


def budget_range_errors(task, amount) -> dict:
    """{"amount": [why]} for a bid amount far outside the tender's budget, else {}."""

    if not isinstance(amount, int) or isinstance(amount, bool):
        return {}
    if task.budget_min and amount < task.budget_min * REFUSE_BELOW:
        return {"amount": [_l("A bid below %(amount)s (a tenth of the budget's lower end) is refused; check the "
                              "amount.", amount=format_money(int(task.budget_min * REFUSE_BELOW), task.currency))]}
    if task.budget_max and amount > task.budget_max * REFUSE_ABOVE:
        return {"amount": [_l("A bid above %(amount)s (ten times the budget's upper end) is refused; check the "
                              "amount.", amount=format_money(task.budget_max * REFUSE_ABOVE, task.currency))]}
    return {}
