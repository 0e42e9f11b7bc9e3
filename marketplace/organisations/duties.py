"""Separation of duties for operator items.

Nobody acts on an operator item whose subject is themselves or an organisation they belong to:
verifications, bank transfers, payouts, reports, and every queue item added later (disputes,
bounty reviews) call `ensure_not_own_item` with the users and organisations the item is about.
The four-eyes rule for large money confirmations lives in `core.four_eyes`.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from ..core.errors import Forbidden
from ..extensions import db
from .models import Membership


class OwnItem(Forbidden):
    type_slug = "separation-of-duties"
    default_message = _l("This item is about you or your organisation: another operator must decide it.")


def _ids(values: Iterable | int | None) -> set[int]:
    if values is None:
        return set()
    if isinstance(values, int):
        return {values}
    return {int(v) for v in values if v is not None}


def is_own_item(actor, *, user_ids: Iterable | int | None = (), org_ids: Iterable | int | None = ()) -> bool:
    """Whether the item is about the actor or one of the actor's organisations (any role), or
    about a user who belongs to one of the actor's organisations."""
    if actor is None or getattr(actor, "id", None) is None:
        return False
    users, orgs = _ids(user_ids), _ids(org_ids)
    if actor.id in users:
        return True
    mine = set(db.session.scalars(db.select(Membership.org_id).where(Membership.user_id == actor.id)))
    if not mine:
        return False
    if orgs & mine:
        return True
    if users - {actor.id}:
        colleague = db.session.scalar(
            db.select(Membership.id).where(Membership.user_id.in_(users), Membership.org_id.in_(mine)).limit(1))
        return colleague is not None
    return False


def ensure_not_own_item(actor, *, user_ids: Iterable | int | None = (), org_ids: Iterable | int | None = ()) -> None:
    """Refuse (403) an operator action on an item about the actor or the actor's organisation."""
    if is_own_item(actor, user_ids=user_ids, org_ids=org_ids):
        raise OwnItem()
