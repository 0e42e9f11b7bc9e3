"""Money: integer minor units (分) with a currency. Never floats.

`parse_amount` turns user input ("1,234.56" or 123456 from JSON) into minor units with a field-named
error; `format_money` renders per locale (¥1,234.56 in zh_CN); `fee_for` and `split_largest_remainder`
are the two rounding rules of the platform.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .errors import ValidationFailed
from .inputs import is_ascii_int

MAX_AMOUNT = 10**12  # 100 億元 in 分: far above any real task, far below int64 overflow
MINOR_UNITS = {"CNY": 2, "USD": 2, "EUR": 2, "HKD": 2}
SUPPORTED_CURRENCIES = tuple(MINOR_UNITS)


def _bad(field, message):
    return ValidationFailed(errors={field: [message]})


def parse_amount(value, field: str = "amount", *, minor: bool = False, allow_zero: bool = False,
                 maximum: int = MAX_AMOUNT) -> int:
    """Parse an amount into minor units.

    minor=True: the input is already in minor units (the JSON API) and must be an integer.
    minor=False: the input is a decimal in major units with at most two decimals (the forms).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _bad(field, _l("Enter an amount."))
    if isinstance(value, bool):
        raise _bad(field, _l("The amount must be a number."))
    if minor:
        if isinstance(value, int):
            result = value
        elif isinstance(value, str) and is_ascii_int(value.strip(), signed=True) and len(value.strip()) <= 20:
            result = int(value.strip())
        else:
            raise _bad(field, _l("The amount must be a whole number of minor units (分)."))
    else:
        try:
            d = Decimal(str(value).replace(",", "").replace("¥", "").strip())
        except InvalidOperation:
            raise _bad(field, _l("The amount must be a number.")) from None
        if not d.is_finite():
            raise _bad(field, _l("The amount must be a number."))
        if d != d.quantize(Decimal("0.01")):
            raise _bad(field, _l("Use at most two decimal places."))
        result = int((d * 100).to_integral_value())
    if result < 0 or (result == 0 and not allow_zero):
        raise _bad(field, _l("The amount must be greater than zero."))
    if result > maximum:
        raise _bad(field, _l("The amount is too large."))
    return result


def check_minor_amount(value, field: str = "amount") -> int:
    """An amount in minor units from a service caller or a JSON body: a positive int within limits."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(field, _l("The amount must be a whole number of minor units (分)."))
    if value <= 0:
        raise _bad(field, _l("The amount must be greater than zero."))
    if value > MAX_AMOUNT:
        raise _bad(field, _l("The amount is too large."))
    return value


def check_currency(currency: str, field: str = "currency") -> str:
    if currency not in SUPPORTED_CURRENCIES:
        raise _bad(field, _l("Unsupported currency."))
    return currency


def to_decimal(amount: int, currency: str = "CNY") -> Decimal:
    return (Decimal(amount) / (10 ** MINOR_UNITS.get(currency, 2))).quantize(Decimal("0.01"))


def format_money(amount: int | None, currency: str = "CNY", locale=None) -> str:
    if amount is None:
        return ""
    locale = locale or str(get_locale() or "zh_CN")
    fast = _money_formatter(str(locale), currency)
    if fast is not None and amount >= 0:
        return fast(amount)
    return format_currency(to_decimal(amount, currency), currency, locale=locale)


# Amounts that the fast formatter of a locale and currency must print exactly as Babel does
# before it is used (grouping, separators, the symbol and where it goes).
_CHECK_AMOUNTS = (0, 1, 5, 10, 99, 100, 101, 999, 1000, 12345, 99999, 100000, 123456, 999999, 1000000,
                  123456789, 100000000000, MAX_AMOUNT)


@lru_cache(maxsize=64)
def _money_formatter(locale: str, currency: str):
    """A formatter for amounts ≥ 0 that prints what Babel's format_currency prints, without
    Babel's per-call work (locale lookup, pattern parsing, Decimal arithmetic): Babel formats
    a sample once, its prefix and suffix around the number are kept, and the number is written
    with the locale's group and decimal symbols. None when this locale and currency do not fit
    that shape (Babel is used then)."""
    digits = MINOR_UNITS.get(currency)
    if digits != 2:
        return None
    try:
        babel_locale = Locale.parse(locale)
        sample = format_currency(Decimal("1234567.89"), currency, locale=babel_locale)
        group = babel_locale.number_symbols["latn"]["group"]
        decimal = babel_locale.number_symbols["latn"]["decimal"]
    except Exception:  # an unknown locale: Babel's own path reports it
        return None
    number = f"1{group}234{group}567{decimal}89"
    if sample.count(number) != 1:
        return None
    prefix, suffix = sample.split(number)

    def fast(amount: int) -> str:
        units, cents = divmod(amount, 100)
        grouped = f"{units:,}" if group == "," else f"{units:,}".replace(",", group)
        return f"{prefix}{grouped}{decimal}{cents:02d}{suffix}"

    if any(fast(a) != format_currency(to_decimal(a, currency), currency, locale=babel_locale)
           for a in _CHECK_AMOUNTS):
        return None
    return fast


class MoneyParam(tuple):
    """An amount in a notification's parameters, formatted when the message is read (in the
    reader's language) rather than when it was sent (in the sender's): MoneyParam(800000, "CNY")."""
    def __new__(cls, amount: int, currency: str = "CNY"):
        return super().__new__(cls, (int(amount), currency))

    @property
    def amount(self) -> int:
        return self[0]

    @property
    def currency(self) -> str:
        return self[1]

    def to_json(self) -> dict:
        return {"__money__": [self[0], self[1]]}


class WhenParam(str):
    """A moment (naive UTC) in a notification's parameters, formatted when the message is read:
    in the reader's time zone (Asia/Shanghai unless they chose another) and the pages' format."""
    def __new__(cls, value):
        return super().__new__(cls, value.replace(microsecond=0).isoformat())

    def to_json(self) -> dict:
        return {"__when__": str(self)}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention that marks a message for extraction
    """Mark `message` for the catalogue; it is translated when read (see TextParam)."""
    return message


class TextParam(dict):
    """A translatable phrase inside a notification's parameters, translated when the message is
    read, in the reader's language (its own WhenParam and MoneyParam values too):

        notify(user, "bounty.changed", change=[TextParam(N_("entries are taken until %(when)s"),
                                                         when=WhenParam(deadline))])

    A list of phrases reads joined with "; "."""
    def __init__(self, message: str, **params):
        super().__init__(message=message, params=params)

    def to_json(self) -> dict:
        return {"__text__": [self["message"], {k: to_param_json(v) for k, v in self["params"].items()}]}


def to_param_json(value):
    """A notification parameter as stored (JSON)."""
    if isinstance(value, (MoneyParam, WhenParam, TextParam)):
        return value.to_json()
    if isinstance(value, (list, tuple)):
        return [to_param_json(v) for v in value]
    return value


def format_plain(amount: int) -> str:
    """1234.56 style, for pre-filling form inputs."""
    return str(to_decimal(amount))


def fee_for(amount: int, bps: int) -> int:
    """Platform fee in basis points of an amount, rounded down to 1 minor unit."""
    if amount < 0 or not 0 <= bps <= 10000:
        raise ValueError("amount must be >= 0 and bps within 0..10000")
    return int((Decimal(amount) * bps / 10000).to_integral_value(rounding=ROUND_DOWN))


def split_largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split total in proportion to weights so the parts always sum to total.

    Each part gets the floor of its exact share; the leftover units go to the parts with the
    largest remainders (ties to the earlier part).
    """
    if total < 0:
        raise ValueError("total must be >= 0")
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    wsum = sum(weights)
    floors = [total * w // wsum for w in weights]
    remainders = [total * w % wsum for w in weights]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors
