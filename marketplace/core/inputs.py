"""One way to read ids, whole numbers and cursors from URLs, query strings, forms and JSON.

- `IdConverter` (`<id:task_id>` in a route): 1 … 2^63−1 in ASCII digits, anything else is a 404
  before the view runs, so no view ever sees an id the database cannot hold.
- `parse_int(value, field)`: an int from JSON or a string of ASCII digits (``str.isdigit`` also
  accepts "²" and "١٢٣"), within bounds, or a ValidationFailed naming the field.
- `parse_id(value, field)`: the same for ids.
- `check_cursor(data)`: a decoded pagination cursor whose values are all plain, bounded scalars.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BaseConverter, ValidationError

from .errors import ValidationFailed

MAX_ID = 2**63 - 1  # BIGINT; also the largest SQLite INTEGER
MIN_INT = -(2**63)
_DIGITS = re.compile(r"[0-9]+\Z")
_SIGNED = re.compile(r"-?[0-9]+\Z")


def is_ascii_int(text: str, *, signed: bool = False) -> bool:
    """Whether `text` is a whole number written in ASCII digits only (re's [0-9], not \\d)."""
    return bool((_SIGNED if signed else _DIGITS).match(text))


def _at_most(limit: int) -> str:
    """A regex for the decimal numbers 1 … limit without leading zeros."""
    digits = str(limit)
    n = len(digits)
    parts = [f"[1-9][0-9]{{0,{n - 2}}}"]  # every shorter number
    for i, d in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(d) > low:
            parts.append(f"{digits[:i]}[{low}-{int(d) - 1}][0-9]{{{n - i - 1}}}")
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(BaseConverter):
    """URL part for a database id: ASCII digits, 1 … 2^63−1. Anything else does not match the
    route at all (a 404, never a 405 from a sibling route or an overflow in the database)."""
    regex = _at_most(MAX_ID)
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def register_converters(app) -> None:
    """`<id:…>` for ids; `<int:…>` answers the same way so a route written with it is safe too."""
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["int"] = IdConverter


def parse_int(value, field: str, *, minimum: int | None = None, maximum: int | None = None,
              message=None) -> int:
    """A whole number from JSON (int) or text (ASCII digits, optional leading minus), in bounds."""
    def bad():  # made only when needed: making the error translates its message
        return ValidationFailed(errors={field: [message or _l("Enter a whole number.")]})

    if isinstance(value, bool):
        raise bad()
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and is_ascii_int(value.strip(), signed=True) and len(value.strip()) <= 20:
        number = int(value.strip())
    else:
        raise bad()
    low = MIN_INT if minimum is None else minimum
    high = MAX_ID if maximum is None else maximum
    if number < low:
        raise ValidationFailed(errors={field: [message or _l("The number must be at least %(n)s.", n=low)]})
    if number > high:
        raise ValidationFailed(errors={field: [message or _l("The number must be at most %(n)s.", n=high)]})
    return number


def parse_id(value, field: str, *, message=None) -> int:
    """An id (1 … 2^63−1) from JSON or text."""
    return parse_int(value, field, minimum=1, maximum=MAX_ID, message=message or _l("Give a valid id."))


def optional_id(value, field: str, *, message=None) -> int | None:
    """None for a missing/blank value, else parse_id."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_id(value, field, message=message)


_CURSOR_IDS = ("before", "after", "id")


def check_cursor(data) -> dict:
    """A decoded cursor: a flat object of short strings and 64-bit integers; ids are 1 … 2^63−1."""
    bad = ValidationFailed(errors={"cursor": [_l("The cursor is not valid.")]})
    if not isinstance(data, dict) or len(data) > 8:
        raise bad
    for key, value in data.items():
        if isinstance(value, bool):
            raise bad
        if key in _CURSOR_IDS:
            if not isinstance(value, int) or not 1 <= value <= MAX_ID:
                raise bad
        elif value is None:
            continue
        elif isinstance(value, int):
            if not MIN_INT <= value <= MAX_ID:
                raise bad
        elif not isinstance(value, str) or len(value) > 64:
            raise bad
    return data


def safe_next(target: str | None) -> str | None:
    """A same-site path to go to next (after login, a language switch, …), or None.

    Browsers drop tabs and newlines and read a backslash as a slash, so "/\\t/evil.example" and
    "/\\\\evil.example" both lead off-site: any control character, whitespace or backslash refuses.
    """

    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 33 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def arg_id(name: str) -> int | None:
    """An optional id from the query string of a page (?before=…); anything but a valid id is None."""

    raw = request.args.get(name)
    try:
        return optional_id(raw, name)
    except ValidationFailed:
        return None
