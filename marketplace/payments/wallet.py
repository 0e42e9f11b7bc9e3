"""The wallet document of the API and /api/v1/me."""
from __future__ import annotations

from ..ledger import service as ledger
from .funding import default_currency


def wallet(user, limit: int = 50, before_id: int | None = None) -> dict:
    """The wallet document of the API: balances plus newest lines with the running balance."""
    currency = default_currency()
    summary = ledger.wallet_summary(user, currency)
    lines = ledger.wallet_lines(user, currency, limit=limit, before_id=before_id)
    return {**summary, "lines": lines}


def me_wallet(_sender=None, *, user) -> dict:
    """accounts.events.me_payload receiver: the wallet of /api/v1/me."""
    summary = ledger.wallet_summary(user, default_currency())
    return {"wallet": {"currency": summary["currency"], "available": summary["available"],
                       "held": summary["held"]}}
