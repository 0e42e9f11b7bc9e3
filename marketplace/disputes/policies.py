"""Who may see and act on a dispute.

Parties (the poster, managers of the poster's organisation, the solver and managers of the
solver's organisation) and operators see it; for everyone else it does not exist (404). Only
operators decide, and never a dispute about themselves or their organisation.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..contracts.models import Contract
from ..core.errors import Forbidden, NotFound
from ..extensions import db
from ..organisations.duties import OwnItem, is_own_item
from ..tasks.models import Task
from ..tasks.policies import can_act_for_org, can_manage, load_org


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _task(dispute):
    return db.session.get(Task, dispute.task_id)


def _solver_org_id(dispute):
    if dispute.contract_id is None:
        return None
    contract = db.session.get(Contract, dispute.contract_id)
    return contract.solver_org_id if contract is not None else None


def is_poster_side(user, dispute) -> bool:
    if not _authenticated(user):
        return False
    if user.id == dispute.poster_id:
        return True
    return can_manage(user, _task(dispute))


def is_solver_side(user, dispute) -> bool:
    if not _authenticated(user):
        return False
    if user.id == dispute.solver_id:
        return True
    org_id = _solver_org_id(dispute)
    if org_id is None:
        return False
    return can_act_for_org(user, load_org(org_id))


def is_respondent(user, dispute) -> bool:
    """The winner whose prize an entrant disputes."""
    return _authenticated(user) and dispute.respondent_id is not None and user.id == dispute.respondent_id


def is_party(user, dispute) -> bool:
    return is_poster_side(user, dispute) or is_solver_side(user, dispute) or is_respondent(user, dispute)


def settling_side(user, dispute) -> str:
    """Between entrants the complainant ("solver") and the winner ("respondent") settle; the poster
    side, whose money is not in question, may add evidence but not settle."""
    if is_respondent(user, dispute):
        return "respondent"
    if is_solver_side(user, dispute):
        return "solver"
    raise Forbidden(_l("Only the entrant who disputes the prize and its winner can settle this dispute."))


def can_view(user, dispute) -> bool:
    if not _authenticated(user):
        return False
    return bool(getattr(user, "is_operator", False)) or is_party(user, dispute)


def require_view(user, dispute) -> None:
    if not can_view(user, dispute):
        raise NotFound()


def require_party(user, dispute) -> None:
    require_view(user, dispute)
    if not is_party(user, dispute):
        raise Forbidden(_l("Only the parties of the dispute can do this."))


def is_involved(user, dispute) -> bool:
    """Separation of duties (organisations.duties): the dispute is about the user, or a colleague
    in one of the user's organisations, or an organisation of either side."""
    orgs = [o for o in (_task(dispute).org_id, _solver_org_id(dispute)) if o is not None]
    return is_own_item(user, user_ids=(dispute.poster_id, dispute.solver_id, dispute.opened_by_id,
                                               dispute.respondent_id), org_ids=orgs)


def require_may_decide(user, dispute) -> None:
    if not _authenticated(user) or not getattr(user, "is_operator", False):
        raise NotFound()
    if is_involved(user, dispute):
        raise OwnItem(_l("You cannot decide a dispute about yourself or your organisation; "
                         "another operator must decide it."))
