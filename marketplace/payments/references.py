"""How "funding:<id>", "payout:<id>" and "wallet:…" references read (see core/references.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core import links
from ..core.inputs import is_ascii_int
from ..core.references import Described, register
from ..extensions import db
from .models import Funding, Payout


def _ids(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if is_ascii_int(i) and len(i) < 10]


def describe_fundings(ids: list[str]) -> dict[str, Described]:
    rows = db.session.execute(db.select(Funding.id, Funding.title, Funding.subject_kind)
                              .where(Funding.id.in_(_ids(ids)))).all()
    result = {}
    for pk, title, kind in rows:
        text = _l("Wallet top-up") if kind == "wallet" else _l("Payment for “%(title)s”", title=title)
        result[str(pk)] = Described(str(text), links.url("payments.funding_detail", funding_id=pk))
    return result


def describe_payouts(ids: list[str]) -> dict[str, Described]:
    rows = db.session.execute(db.select(Payout.id, Payout.org_id).where(Payout.id.in_(_ids(ids)))).all()
    return {str(pk): Described(str(_l("Payout no. %(id)s", id=pk)),
                               links.url("payments.org_wallet", org_id=org_id) if org_id else links.wallet())
            for pk, org_id in rows}


def describe_wallets(ids: list[str]) -> dict[str, Described]:
    """"wallet:user:<id>" links to one's own wallet page, "wallet:org:<id>" to the
    organisation's wallet page."""
    result = {}
    for ident in ids:
        owner, _sep, pk = ident.partition(":")
        if owner == "org" and is_ascii_int(pk) and len(pk) < 10:
            link = links.url("payments.org_wallet", org_id=int(pk))
        else:
            link = links.wallet()
        result[ident] = Described(str(_l("Wallet top-up")), link)
    return result


def init() -> None:
    register("funding", describe_fundings)
    register("payout", describe_payouts)
    register("wallet", describe_wallets, two_part_id=True)
