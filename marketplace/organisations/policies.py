"""Who may do what with an organisation."""
from __future__ import annotations

from ..core.errors import Forbidden, NotFound
from ..extensions import db
from .models import Membership

MANAGING_ROLES = ("owner", "manager")


def role_of(user, org) -> str | None:
    """The user's role in the organisation, or None."""
    if user is None or not getattr(user, "is_authenticated", False) or org is None:
        return None
    return db.session.scalar(
        db.select(Membership.role).where(Membership.org_id == org.id, Membership.user_id == user.id))


def can_act_for(user, org) -> bool:
    """Owners and managers act on behalf of the organisation (post, bid, invite, verify)."""
    return role_of(user, org) in MANAGING_ROLES


def require_can_act_for(user, org) -> None:
    if not can_act_for(user, org):
        raise Forbidden()


def can_see_members(user, org) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return getattr(user, "is_operator", False) or role_of(user, org) is not None


def require_can_see_members(user, org) -> None:
    if not can_see_members(user, org):
        raise Forbidden()


def require_can_see_wallet(user, org) -> None:
    """An organisation's wallet (balances, payouts, where payouts go) is for its owners and
    managers; to anyone else, plain members included, it does not exist (404)."""
    if not can_act_for(user, org):
        raise NotFound()
