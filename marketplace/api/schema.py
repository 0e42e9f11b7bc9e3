"""Request bodies: one description per operation that both documents and checks.

`api_route(..., body={...})` describes each field either by a shorthand ("string", "integer!",
"array", "file"; a trailing "!" means required) or by a JSON-schema fragment
(`{"type": "integer", "minimum": 1, "required": True}`, `{"type": "string", "enum": [...]}`).
`field_schema` turns either into the schema the OpenAPI document shows, and `check_body` checks a
JSON body against the very same schemas before the view runs, so a wrong type is a 422 naming the
field (never a TypeError deep in a form) and the document cannot drift from what is accepted.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.inputs import MAX_ID, MIN_INT

_SHORTHAND = {
    "string": {"type": "string"},
    "integer": {"type": "integer", "minimum": MIN_INT, "maximum": MAX_ID},
    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "format": "int64"},
    "boolean": {"type": "boolean"},
    "array": {"type": "array", "items": {}},
    "object": {"type": "object"},
    "file": {"type": "string", "format": "binary"},
    "number": {"type": "number"},
}

_PYTHON_TYPES = {
    "string": (str,), "integer": (int,), "boolean": (bool,), "array": (list,), "object": (dict,),
    "number": (int, float),
}

_TYPE_MESSAGES = {
    "string": _l("Give text here."),
    "integer": _l("Give a whole number here."),
    "boolean": _l("Give true or false here."),
    "array": _l("Give a list here."),
    "object": _l("Give an object here."),
    "number": _l("Give a number here."),
}


def field_schema(kind) -> tuple[dict, bool]:
    """(JSON schema, required) of one body field description."""
    if isinstance(kind, dict):
        schema = {k: v for k, v in kind.items() if k != "required"}
        return schema, bool(kind.get("required"))
    required = kind.endswith("!")
    name = kind.rstrip("!")
    return dict(_SHORTHAND.get(name, {"type": "string"})), required


def body_schema(fields: dict) -> dict:
    props, required = {}, []
    for name, kind in fields.items():
        schema, is_required = field_schema(kind)
        props[name] = schema
        if is_required:
            required.append(name)
    schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


def _type_ok(value, type_name) -> bool:
    if isinstance(type_name, list):
        return any(_type_ok(value, t) for t in type_name)
    if type_name in ("integer", "number") and isinstance(value, bool):
        return False
    if type_name == "number" and isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return isinstance(value, _PYTHON_TYPES.get(type_name, (object,)))


def check_value(value, schema: dict) -> str | None:
    """The message for a value that does not fit its schema, or None."""
    type_name = schema.get("type")
    if type_name == "string" and schema.get("format") == "binary":
        return None  # a file part of a multipart body; checked by the files module
    if type_name and not _type_ok(value, type_name):
        if isinstance(type_name, list):
            return str(_l("This value has the wrong type."))
        return str(_TYPE_MESSAGES.get(type_name, _l("This value has the wrong type.")))
    if isinstance(type_name, list):
        type_name = next(t for t in type_name if _type_ok(value, t))
    if "enum" in schema and value not in schema["enum"]:
        return str(_l("Choose one of: %(values)s.", values=", ".join(str(v) for v in schema["enum"])))
    if type_name in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return str(_l("The number must be at least %(n)s.", n=schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            return str(_l("The number must be at most %(n)s.", n=schema["maximum"]))
    if type_name == "string" and "maxLength" in schema and len(value) > schema["maxLength"]:
        return str(_l("At most %(n)s characters.", n=schema["maxLength"]))
    if type_name == "array":
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return str(_l("At most %(n)s items.", n=schema["maxItems"]))
        items = schema.get("items") or {}
        for item in value:
            message = check_value(item, items) if items else None
            if message:
                return message
    if type_name == "object" and schema.get("properties"):
        for name, sub in schema["properties"].items():
            if name in value and value[name] is not None:
                message = check_value(value[name], sub)
                if message:
                    return f"{name}: {message}"
        for name in schema.get("required", ()):
            if value.get(name) is None:
                return f"{name}: {_l('This field is required.')}"
    return None


def body_errors(fields: dict, data: dict) -> dict:
    """{field: [message]} for a decoded JSON object checked against the operation's fields.

    Only types, enums, bounds and presence are checked here; what a field means (an amount's
    limits, a known category) stays with the form or service, which now always gets the right types.
    """
    errors: dict = {}
    for name, kind in fields.items():
        schema, required = field_schema(kind)
        value = data.get(name)
        if value is None:
            if required and schema.get("format") != "binary":
                errors[name] = [_l("This field is required.")]
            continue
        message = check_value(value, schema)
        if message:
            errors[name] = [message]
    return errors
