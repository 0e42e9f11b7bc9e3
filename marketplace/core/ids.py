"""Check digits of Chinese identity numbers, and masking for display.

- Resident identity number (居民身份证号码), GB 11643-1999: 17 digits + check character (0-9 or X),
  ISO 7064 MOD 11-2. The 6-digit region code and the 8-digit birth date are checked for shape too.
- Unified social credit code (统一社会信用代码, USCC), GB 32100-2015: 18 characters from a 31-letter
  alphabet (no I, O, S, V, Z); the last is a MOD 31 check character.
"""
from __future__ import annotations

import datetime as dt
import re

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def normalize(number: str) -> str:
    return (number or "").strip().replace(" ", "").upper()


def resident_id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_resident_id(number: str, *, today: dt.date | None = None) -> bool:
    n = normalize(number)
    if not re.fullmatch(r"\d{17}[\dX]", n):
        return False
    if n[:2] == "00":
        return False
    try:
        born = dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return False
    today = today or dt.date.today()
    if born.year < 1800 or born > today:
        return False
    return resident_id_check_char(n[:17]) == n[17]


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    c = normalize(code)
    if not _USCC_RE.fullmatch(c):
        return False
    return uscc_check_char(c[:17]) == c[17]


def mask(number: str, keep_start: int = 3, keep_end: int = 4) -> str:
    """110105********002X style: enough to recognise, not enough to reuse."""
    n = normalize(number)
    if len(n) <= keep_start + keep_end:
        return "*" * len(n)
    return n[:keep_start] + "*" * (len(n) - keep_start - keep_end) + n[-keep_end:]
