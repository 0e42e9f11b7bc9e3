"""Platform fees: the fee in basis points for a task category."""
from __future__ import annotations

from flask import current_app

from ..core.inputs import is_ascii_int
from ..core.money import fee_for


def _parse_fee_overrides(text: str) -> dict[str, int]:
    overrides: dict[str, int] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        slug, sep, bps = part.partition("=")
        if not sep or not slug.strip() or not is_ascii_int(bps.strip()) or int(bps.strip()[:6]) > 10000:
            raise ValueError(f"PLATFORM_FEE_BPS_BY_CATEGORY: bad item {part!r} (want slug=bps)")
        overrides[slug.strip()] = int(bps)
    return overrides


def fee_bps_for(category: str | None) -> int:
    """The platform fee in basis points for a task category (PLATFORM_FEE_BPS_BY_CATEGORY
    "slug=bps,..." overrides PLATFORM_FEE_BPS, default 1000 = 10%)."""
    config = current_app.config
    if category:
        overrides = _parse_fee_overrides(config.get("PLATFORM_FEE_BPS_BY_CATEGORY", ""))
        if category in overrides:
            return overrides[category]
    bps = int(config.get("PLATFORM_FEE_BPS", 1000))
    if not 0 <= bps <= 10000:
        raise ValueError("PLATFORM_FEE_BPS must be within 0..10000")
    return bps


def fee_breakdown(amount: int, category: str | None = None) -> dict:
    """What a release of `amount` pays out: {gross, fee, net, bps}, the fee rounded down to 1 分
    exactly as `release` does, so pages and notifications tell the amount the wallet receives."""
    bps = fee_bps_for(category)
    fee = fee_for(int(amount), bps)
    return {"gross": int(amount), "fee": fee, "net": int(amount) - fee, "bps": bps}


def fee_breakdown_of(amounts, category: str | None = None) -> dict:
    """The same for money released in several parts (bounty prizes, pieces): the fee of each part
    rounded down on its own, as each `release` does, then added up."""
    bps = fee_bps_for(category)
    parts = [int(a) for a in amounts]
    fee = sum(fee_for(a, bps) for a in parts)
    return {"gross": sum(parts), "fee": fee, "net": sum(parts) - fee, "bps": bps}
