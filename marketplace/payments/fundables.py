"""Things that can be funded ("fundable subjects"), one loader per kind.

A domain connects the loader of its kind once, at init (a handler of `payments.events.fundable`):

    fundables.register("milestone", load_milestone_fundable)

`loader(subject_id)` returns None when there is no such subject, or an object keeping the
`payments.events.Fundable` protocol (escrow_ref, amount, currency, payer, payer_user, title,
can_fund(user), on_funded(funding); optionally can_view(user), target, holds, accepts_funding(),
link).
"""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError

from ..core.errors import NotFound
from ..core.events import connect_handler, disconnect_handler, handler_keys, handler_of
from ..extensions import db
from ..organisations.policies import can_act_for
from .events import Fundable, fundable


def register(kind: str, loader: Callable) -> None:
    """Connect the loader of a fundable kind (once per kind; connecting the same again is a no-op)."""
    connect_handler(fundable, kind, loader)


def unregister(kind: str) -> None:
    disconnect_handler(fundable, kind)


def kinds() -> list[str]:
    return handler_keys(fundable)


def load(kind: str, subject_id, *, viewer=None) -> Fundable:
    """The fundable subject, or NotFound when the kind or the subject does not exist, or (with
    `viewer`) when the viewer may not see it: the same 404 either way, so a stranger learns nothing."""
    loader = handler_of(fundable, kind)
    if loader is None:
        raise NotFound(_l("There is nothing of this kind to fund."))
    if subject_id is None or len(str(subject_id)) > 64:
        raise NotFound(_l("There is nothing of this kind to fund."))
    try:
        # A savepoint, so an id the database cannot even compare (out of range) is a 404 and
        # does not spoil the rest of the unit of work.
        with db.session.begin_nested():
            subject = loader(subject_id)
    except (DataError, OverflowError):
        subject = None
    if subject is None or (viewer is not None and not can_view(subject, viewer)):
        raise NotFound(_l("There is nothing of this kind to fund."))
    return subject


def is_payer_side(subject, user) -> bool:
    """The paying user, or an owner/manager of the paying organisation."""
    if user is None or getattr(user, "id", None) is None:
        return False
    payer_user = getattr(subject, "payer_user", None)
    if payer_user is not None and payer_user.id == user.id:
        return True
    payer = getattr(subject, "payer", None)
    if payer is not None and getattr(payer, "__tablename__", "") == "organisations":
        return can_act_for(user, payer)
    return False


def can_view(subject, user) -> bool:
    check = getattr(subject, "can_view", None)
    if check is not None:
        return bool(check(user))
    return is_payer_side(subject, user) or bool(subject.can_fund(user))


def target_of(subject) -> str:
    return getattr(subject, "target", "escrow")


def fees_of(subject) -> dict | None:
    """What the payer pays into an escrow and what the payee receives of it after the platform fee
    (the subject's optional `fees`), or None for a wallet top-up or a subject that does not say."""
    if target_of(subject) != "escrow":
        return None
    return getattr(subject, "fees", None)
