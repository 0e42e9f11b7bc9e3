"""Where a payment stands, for the pages that show the thing being paid for.

A task, a milestone or a dashboard row asks `latest_for(escrow_refs)` and shows the answer with
templates/payments/_funding_state.html: waiting for the bank transfer (its code and amount),
paid, an amount that did not match, money returned, a card payment that failed. One query for
any number of subjects.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _

from ..core import links
from ..extensions import db
from .models import Funding
from .payouts import available_balance

# Which funding tells a subject's story when it has several: an open one first, then the latest.
_WEIGHT = {"pending": 0, "mismatch": 0, "succeeded": 1, "failed": 2, "canceled": 2}


def latest_for(escrow_refs: Iterable[str]) -> dict[str, Funding]:
    refs = [r for r in dict.fromkeys(escrow_refs) if r]
    if not refs:
        return {}
    rows = db.session.scalars(db.select(Funding).where(Funding.escrow_ref.in_(refs))
                              .order_by(Funding.id.desc())).all()
    best: dict[str, Funding] = {}
    for funding in rows:
        current = best.get(funding.escrow_ref)
        if current is None or _WEIGHT[funding.status] < _WEIGHT[current.status]:
            best[funding.escrow_ref] = funding
    return best


def latest(escrow_ref: str | None) -> Funding | None:
    return latest_for([escrow_ref]).get(escrow_ref) if escrow_ref else None


def waiting(funding: Funding | None) -> bool:
    """Is the payer's money on its way (so the page must not offer to pay again)?"""
    return funding is not None and funding.status in ("pending", "mismatch") \
        and funding.method == "bank_transfer"


def payer_wallet(payer, currency: str) -> dict:
    """Whose wallet pays, in words, its available balance and where to add money to it:
    {name, available, top_up, org}. `payer` is a User or an Organisation (a fundable's payer)."""

    is_org = getattr(payer, "__tablename__", None) == "organisations"
    if is_org:
        name = _("the wallet of %(org)s", org=payer.name)
        top_up = links.url("payments.fund", kind="org_wallet", subject_id=payer.id)
    else:
        name = _("your own wallet")
        top_up = links.url("payments.fund", kind="wallet", subject_id=payer.id)
    return {"name": name, "available": available_balance(payer, currency), "top_up": top_up,
            "org": payer if is_org else None}
