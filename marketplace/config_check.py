"""Configuration checked at start-up, naming the variable: a typo in a fee, a limit or an amount
stops the app from starting instead of surfacing as a 500 at the first release or payout."""
from __future__ import annotations

from limits import parse_many

from .core.catalogue import CATEGORIES
from .core.money import MAX_AMOUNT, SUPPORTED_CURRENCIES
from .ledger.fees import _parse_fee_overrides

POSITIVE_AMOUNTS = ("PAYOUT_MIN_AMOUNT", "PAYOUT_DAILY_LIMIT", "UNVERIFIED_PUBLISH_LIMIT", "FOUR_EYES_AMOUNT")
POSITIVE_NUMBERS = ("REVIEW_DAYS", "CLAIM_CONFIRM_HOURS", "SELECTION_DAYS", "BOUNTY_DISPUTE_DAYS", "BOUNTY_REVIEW_SLA_HOURS", "MAX_REVISIONS", "AWARD_WINDOW_DAYS",
                    "LOGIN_ACCOUNT_FAILURES", "LOGIN_LOCK_SECONDS", "LOGIN_LOCK_MAX_SECONDS",
                    "MAX_CONTENT_LENGTH", "AVATAR_MAX_BYTES", "LICENCE_MAX_BYTES", "ATTACHMENT_MAX_BYTES",
                    "STRIPE_TIMEOUT_SECONDS", "PASSWORD_RESET_MAX_AGE", "PAGE_CACHE_MAX_BYTES")
RATE_LIMITS = ("LOGIN_RATE_LIMIT", "REGISTER_RATE_LIMIT", "RESET_MAIL_RATE_LIMIT")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def problems(config) -> list[str]:
    found = []
    bps = config.get("PLATFORM_FEE_BPS")
    if not _whole(bps) or not 0 <= bps <= 10000:
        found.append(f"PLATFORM_FEE_BPS must be a whole number of basis points within 0..10000, not {bps!r}")
    try:
        overrides = _parse_fee_overrides(config.get("PLATFORM_FEE_BPS_BY_CATEGORY", ""))
    except ValueError as exc:
        found.append(f"{exc}; each item is a category slug and basis points 0..10000")
    else:
        unknown = sorted(set(overrides) - set(CATEGORIES))
        if unknown:
            found.append(f"PLATFORM_FEE_BPS_BY_CATEGORY names unknown categories: {', '.join(unknown)}")
    for name in POSITIVE_AMOUNTS:
        value = config.get(name)
        if value is not None and (not _whole(value) or not 0 < value <= MAX_AMOUNT):
            found.append(f"{name} must be an amount in minor units within 1..{MAX_AMOUNT}, not {value!r}")
    if _whole(config.get("PAYOUT_MIN_AMOUNT")) and _whole(config.get("PAYOUT_DAILY_LIMIT")) \
            and config["PAYOUT_MIN_AMOUNT"] > config["PAYOUT_DAILY_LIMIT"]:
        found.append("PAYOUT_MIN_AMOUNT must not be above PAYOUT_DAILY_LIMIT")
    for name in POSITIVE_NUMBERS:
        value = config.get(name)
        if value is not None and (not _whole(value) or value <= 0):
            found.append(f"{name} must be a whole number above 0, not {value!r}")
    for name in RATE_LIMITS:
        value = config.get(name)
        try:
            parse_many(value or "")
        except ValueError:
            found.append(f"{name} must be a rate such as '30 per 5 minutes', not {value!r}")
    seconds = config.get("PAGE_CACHE_SECONDS")
    if seconds is not None and (not _whole(seconds) or seconds < 0):
        found.append(f"PAGE_CACHE_SECONDS must be a whole number of seconds, 0 or more, not {seconds!r}")
    url = config.get("PAGE_CACHE_REDIS_URL") or ""
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        found.append("PAGE_CACHE_REDIS_URL must be a Redis URL (redis://host:6379/1), not " + repr(url))
    if config.get("DEFAULT_CURRENCY") not in SUPPORTED_CURRENCIES:
        found.append(f"DEFAULT_CURRENCY must be one of {', '.join(SUPPORTED_CURRENCIES)}")
    return found


def check(config) -> None:
    found = problems(config)
    if found:
        raise RuntimeError("Configuration refused: " + "; ".join(found))
