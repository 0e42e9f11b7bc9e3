"""Who may see and act on a task."""
from __future__ import annotations

from ..core.errors import Forbidden, NotFound
from ..extensions import db
from ..organisations.models import Organisation
from ..organisations.policies import can_act_for
from .models import TaskInvite


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def load_org(org_id):
    if org_id is None:
        return None
    return db.session.get(Organisation, org_id)


def can_act_for_org(user, org) -> bool:
    return can_act_for(user, org)


def can_manage(user, task) -> bool:
    """The poster, or a manager of the organisation the task is posted for."""
    if not _authenticated(user):
        return False
    if task.poster_id == user.id:
        return True
    if task.org_id is not None:
        return can_act_for_org(user, load_org(task.org_id))
    return False


def require_manage(user, task) -> None:
    if not can_manage(user, task):
        raise Forbidden()


def is_invited(user, task) -> bool:
    if not _authenticated(user):
        return False
    return db.session.scalar(
        db.select(TaskInvite.id).where(TaskInvite.task_id == task.id, TaskInvite.solver_id == user.id)
    ) is not None


def can_view(user, task) -> bool:
    """Drafts: the poster's side only. Hidden tasks: the poster's side and operators.
    Invite-only tasks: the poster's side, invitees, the claimant and operators."""
    if _authenticated(user) and user.is_operator and task.status != "draft":
        return True
    if can_manage(user, task):
        return True
    if task.status == "draft" or task.hidden_at is not None:
        return False
    if task.visibility == "public":
        return True
    if not _authenticated(user):
        return False
    return getattr(task, "claimant_id", None) == user.id or is_invited(user, task)


def require_view(user, task) -> None:
    """A task you may not see does not exist for you (404, not 403)."""
    if not can_view(user, task):
        raise NotFound()


def can_see_address(user, task) -> bool:
    """A claim's street address: the poster's side and the claimant only."""
    if not _authenticated(user):
        return False
    claimant_id = getattr(task, "claimant_id", None)
    if claimant_id is not None and claimant_id == user.id:
        return True
    return can_manage(user, task)


def can_hide(user) -> bool:
    return _authenticated(user) and user.is_operator
