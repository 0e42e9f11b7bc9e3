"""Signals the payments domain announces (the hook mechanism: marketplace/core/events.py), and the
contract a fundable subject keeps.

    fundable   one handler per kind ("milestone", "task", "wallet", ...), connected with
               `payments.fundables.register(kind, loader)`; `loader(subject_id)` returns the
               subject (a `Fundable`) or None when there is no such subject.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..core.events import NS

fundable = NS.signal("payments.fundable")


@runtime_checkable
class Fundable(Protocol):
    """Something that can be funded (a milestone's escrow, a claim or bounty task's escrow, a wallet).

    Optional members, read with defaults: `target` ("escrow", the default, or "wallet" for a
    top-up); `holds` (list of (hold_ref, amount), splitting the escrow into purposes, e.g. bounty
    prizes); `accepts_funding()` (False when a payment arriving late must go to the payer's
    wallet instead, flagged); `link` (the page of the subject); `fees` ({gross, fee, net, bps}: what
    the payer pays and what the payee receives of it after the platform fee, shown before paying).
    """

    escrow_ref: str          # the ledger escrow reference, e.g. "milestone:12"
    amount: int | None       # minor units to fund (None: the payer chooses, a wallet top-up)
    currency: str            # e.g. "CNY"
    payer: object            # the User or Organisation whose money it is
    payer_user: object       # the User acting for the payer (notified, shown)
    title: object            # for pages and notifications

    def can_fund(self, user) -> bool:
        """May this user fund it now (False once funded)."""

    def on_funded(self, funding) -> None:
        """Called in the same unit of work as the ledger posting, so the subject can flip its own
        state (escrow funded, task opens)."""
