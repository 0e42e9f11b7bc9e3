"""Identity numbers at rest: a mask for display and a keyed digest to recognise reuse.

The full number is never stored. `digest()` is an HMAC-SHA256 under a key derived from
FIELD_ENCRYPTION_KEY (or SECRET_KEY when unset), so the same number submitted by two accounts
is recognised without the table holding anything that reveals it: a plain hash of an 18-digit
resident ID could be reversed by enumerating birth dates and regions.
"""
from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core import ids

_KEY_CONTEXT = b"huizhong/identity-number-digest/v1"
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def _key() -> bytes:
    base = current_app.config.get("FIELD_ENCRYPTION_KEY") or current_app.config["SECRET_KEY"]
    return hmac.new(base.encode(), _KEY_CONTEXT, hashlib.sha256).digest()


def digest(kind: str, number: str) -> str:
    """Keyed digest of a normalised number; `kind` keeps resident IDs and USCCs apart."""
    message = f"{kind}:{ids.normalize(number)}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def masked(number: str) -> str:
    return ids.mask(number)


def resident_id_problem(number: str):
    """Why a resident ID number is not valid (a lazy message), or None when it is."""
    n = ids.normalize(number)
    if not re.fullmatch(r"\d{17}[\dX]", n):
        return _l("Enter the 18-character resident ID number (17 digits and a check digit 0-9 or X).")
    if ids.resident_id_check_char(n[:17]) != n[17]:
        return _l("The check digit (the last character) does not match the GB 11643 check digit "
                  "computed from the first 17 digits. Please check the number.")
    if not ids.is_valid_resident_id(n):
        return _l("The region code or the birth date in this number is not valid.")
    return None


def uscc_problem(code: str):
    """Why a unified social credit code is not valid (a lazy message), or None when it is."""
    c = ids.normalize(code)
    if not _USCC_SHAPE.fullmatch(c):
        return _l("Enter the 18-character unified social credit code (digits and capital letters "
                  "except I, O, S, V, Z).")
    if not ids.is_valid_uscc(c):
        if c[2:8].isdigit() and ids.uscc_check_char(c[:17]) != c[17]:
            return _l("The check character (the last character) does not match the GB 32100 check "
                      "character. Please check the code.")
        return _l("This is not a valid unified social credit code (GB 32100).")
    return None
