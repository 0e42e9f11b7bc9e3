"""The registry of things that can be funded ("fundable subjects").

A domain registers a loader for its kind once, at init:

    fundables.register("milestone", load_milestone_fundable)

`loader(subject_id)` returns None when there is no such subject, or an object providing:

    escrow_ref: str            the ledger escrow reference, e.g. "milestone:12"
    amount: int                minor units to fund
    currency: str              e.g. "CNY"
    payer                      the User or Organisation whose money it is
    payer_user                 the User acting for the payer (notified, shown)
    title: str                 for pages and notifications
    can_fund(user) -> bool     may this user fund it now (False once funded)
    on_funded(funding)         called in the same unit of work as the ledger posting, so the
                               subject can flip its own state (e.g. escrow funded, task opens)

and optionally: `can_view(user) -> bool`, who may see the subject's funding page and be told
whether it is funded (the subject's own page visibility; without it, the payer side only);
`target: str`, "escrow" (default) or "wallet" (a wallet top-up, kind "wallet");
`holds: list[(hold_ref, amount)]` to split the escrow into purposes (bounty prizes), passed to
`ledger.fund_escrow`; `accepts_funding() -> bool`, False when a payment arriving late (a card
succeeding after the subject was cancelled) must not go into the escrow: the money then goes to
the payer's wallet and the funding is flagged.
"""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError

from ..core.errors import NotFound
from ..extensions import db

_LOADERS: dict[str, Callable] = {}


def register(kind: str, loader: Callable) -> None:
    """Register the loader of a fundable kind (once per kind; re-registering the same is a no-op)."""
    current = _LOADERS.get(kind)
    if current is not None and current is not loader:
        raise ValueError(f"a different loader is already registered for fundable kind {kind!r}")
    _LOADERS[kind] = loader


def unregister(kind: str) -> None:
    _LOADERS.pop(kind, None)


def kinds() -> list[str]:
    return sorted(_LOADERS)


def load(kind: str, subject_id, *, viewer=None) -> object:
    """The fundable subject, or NotFound when the kind or the subject does not exist, or (with
    `viewer`) when the viewer may not see it: the same 404 either way, so a stranger learns nothing."""
    loader = _LOADERS.get(kind)
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
        from ..organisations.policies import can_act_for
        return can_act_for(user, payer)
    return False


def can_view(subject, user) -> bool:
    check = getattr(subject, "can_view", None)
    if check is not None:
        return bool(check(user))
    return is_payer_side(subject, user) or bool(subject.can_fund(user))


def target_of(subject) -> str:
    return getattr(subject, "target", "escrow")
