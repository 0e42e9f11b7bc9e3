"""The /api/v1 JSON API: token auth, RFC 9457 problem documents, cursor pagination and the
OpenAPI document generated from the routes themselves.

Domains add endpoints with `api_route`, which both registers the view on the blueprint and
describes it for `GET /api/v1/openapi.json`:

    @api_route("/tasks/<id:task_id>/bids", methods=["POST"], summary="Place a bid",
               body={"amount": "integer", "days": "integer", "proposal": "string"},
               tags=["bids"])
    def place_bid(task_id): ...

Views read the caller with `api_user()` (401 without a valid token unless auth=False), validate
input with `json_form(FormClass)` (the same WTForms form as the page) and return `jsonify(...)`.
"""
from __future__ import annotations

import base64
import json
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from ..core.errors import DomainError, Forbidden, NotAuthenticated, ValidationFailed
from ..core.events import dispatch
from ..core.inputs import check_cursor, parse_int
from ..extensions import db
from . import events
from .schema import body_errors, whole_numbers

bp = Blueprint("api", __name__, url_prefix="/api/v1")

OPERATIONS: list[dict] = []


def api_route(rule: str, *, methods=("GET",), summary: str, auth: bool = True, body=None,
              query=None, tags=(), description: str = "", multipart: bool = False,
              operator: bool = False, idempotent: bool = False, status: int = 200, responses=None,
              returns: dict | None = None, also_returns: dict | None = None):
    """Register an API view and describe it for the OpenAPI document.

    body/query: {name: "string"|"integer"|"boolean"|"array"|"object"|"file"} (suffix "!" = required).
    auth: a bearer token is required (the view gets a 401 problem without one).
    operator: the caller must be an operator (403 otherwise).
    responses: further answers for the OpenAPI document, {status: (description, {property: schema})}.
    status: the success status; returns: the JSON schema of its body (default: an object);
    also_returns: other media types of the success answer ({"text/csv": {"type": "string"}}).
    """
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if auth or operator:
                user = api_user()
                if operator and not user.is_operator:
                    raise Forbidden()
            # json_body()/json_form() check the body against this description (see schema.py).
            g.api_body_spec = body if request.method in ("POST", "PUT", "PATCH") else None
            return view(*args, **kwargs)

        for method in methods:
            OPERATIONS.append({
                "rule": rule, "method": method.lower(), "summary": summary, "auth": auth or operator,
                "body": body or {}, "query": query or {}, "tags": list(tags),
                "description": description, "multipart": multipart, "operator": operator,
                "idempotent": idempotent, "status": status, "endpoint": view.__name__,
                "returns": returns or {"type": "object"}, "also_returns": also_returns or {},
                "responses": dict(responses or {}),
            })
        bp.add_url_rule(rule, view.__name__, wrapped, methods=list(methods))
        return wrapped
    return decorator


# --- authentication -----------------------------------------------------------------------------

def _token_user():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = header[len("Bearer "):].strip()
    if not token:
        return None
    # accounts owns the tokens and answers (api.events.bearer_token)
    return dispatch(events.bearer_token, "user", token)


def api_user(required: bool = True):
    """The user behind the bearer token of this request (cached per request)."""
    if "api_user" not in g:
        g.api_user = _token_user()
    if g.api_user is None and required:
        raise NotAuthenticated()
    return g.api_user


# --- input ----------------------------------------------------------------------------------------

def _is_form_request() -> bool:
    return request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded")


def _decoded_json():
    """The JSON body ({} when there is none); 422 when it is not JSON."""
    try:
        data = request.get_json(force=True, silent=False) if request.get_data(cache=True) else None
    except HTTPException as exc:
        if exc.code == 413:
            raise
        raise ValidationFailed(errors={"body": [_l("The body is not valid JSON.")]}) from None
    except (RecursionError, ValueError):
        raise ValidationFailed(errors={"body": [_l("The body is not valid JSON.")]}) from None
    return {} if data is None else data


def _checked_json() -> tuple[dict, dict]:
    """The JSON body and the errors of fields whose type, enum or bounds do not fit the
    operation's description; a body that is not a JSON object is a 422 at once."""
    data = _decoded_json()
    if not isinstance(data, dict):
        raise ValidationFailed(errors={"body": [_l("The body must be a JSON object.")]})
    spec = g.get("api_body_spec")
    if not spec:
        return data, {}
    data = whole_numbers(spec, data)
    return data, body_errors(spec, data)


def json_fields() -> tuple[dict, dict]:
    """(body without the fields of a wrong type, {field: [type error]}) for views that check
    the remaining fields themselves and answer every bad field at once."""
    if _is_form_request():
        return request.form.to_dict(), {}
    data, errors = _checked_json()
    return {k: v for k, v in data.items() if k not in errors}, errors


def json_body() -> dict:
    """The request body as a dict (form fields for multipart), its types checked: a field of the
    wrong type is a 422 naming it before any view code sees it."""
    if _is_form_request():
        return request.form.to_dict()
    data, errors = _checked_json()
    if errors:
        raise ValidationFailed(errors=errors)
    return data


def json_form(form_class, data: dict | None = None, **kwargs):
    """Validate a JSON body with the page's WTForms form; raise ValidationFailed naming fields."""
    type_errors: dict = {}
    if data is None:
        if _is_form_request():
            data = request.form.to_dict()
        else:
            data, type_errors = _checked_json()
            # The form still checks the other fields, so one answer names every bad field.
            data = {k: v for k, v in data.items() if k not in type_errors}
    md = MultiDict()
    for key, value in data.items():
        if isinstance(value, list):
            for item in value:
                md.add(key, item if not isinstance(item, (dict, list)) else json.dumps(item))
        elif isinstance(value, bool):
            if value:
                md.add(key, "y")
        elif value is None:
            continue
        else:
            md.add(key, value if not isinstance(value, dict) else json.dumps(value))
    files = request.files if request.files else None
    if files:
        for key in files:
            for f in files.getlist(key):
                md.add(key, f)
    form = form_class(formdata=md, meta={"csrf": False}, **kwargs)
    if not form.validate() or type_errors:
        errors = {k: [str(m) for m in v] for k, v in _flat_errors(form.errors).items()}
        for key, messages in type_errors.items():
            errors[key] = [str(m) for m in messages]  # the type error says more than "required"
        raise ValidationFailed(errors=errors)
    return form


def _flat_errors(errors: dict) -> dict:
    flat = {}
    for key, value in errors.items():
        if isinstance(value, dict):
            for sub, msgs in _flat_errors(value).items():
                flat[f"{key}.{sub}"] = msgs
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, item in enumerate(value):
                for sub, msgs in _flat_errors(item).items():
                    flat[f"{key}[{i}].{sub}"] = msgs
        else:
            flat[key] = value
    return flat


# --- pagination -----------------------------------------------------------------------------------

def page_params(default: int = 20) -> tuple[int, dict | None]:
    """?limit= (1..100) and ?cursor= (opaque) from the query string."""
    limit = parse_int(request.args.get("limit", str(default)), "limit", minimum=1, maximum=100,
                      message=_l("limit must be a whole number between 1 and 100."))
    cursor = request.args.get("cursor")
    return limit, (decode_cursor(cursor) if cursor else None)


def encode_cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError):
        raise ValidationFailed(errors={"cursor": [_l("The cursor is not valid.")]}) from None
    return check_cursor(data)


def keyset_page(query, model, limit: int, cursor: dict | None, *, id_col=None):
    """Newest-first keyset pagination on the id column: returns (rows, next_cursor)."""
    id_col = id_col if id_col is not None else model.id
    if cursor and "before" in cursor:
        query = query.where(id_col < int(cursor["before"]))
    rows = list(db.session.scalars(query.order_by(id_col.desc()).limit(limit + 1)).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor({"before": rows[-1].id})
    return rows, next_cursor


def listing(items, next_cursor):
    return jsonify({"items": items, "next_cursor": next_cursor})


# --- errors: RFC 9457 -------------------------------------------------------------------------

def problem(status: int, title: str, detail: str | None = None, *, errors: dict | None = None,
            type_slug: str | None = None):
    body = {
        "type": f"https://huizhong.example/problems/{type_slug or status}",
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if errors:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    return response


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def domain_problem(exc: DomainError):
    return problem(exc.status, str(exc.message), errors=exc.errors or None, type_slug=exc.type_slug)


def http_problem(exc: HTTPException):
    return problem(exc.code or 500, exc.name, exc.description, type_slug=str(exc.code))


def init_app(app):
    # Endpoint modules attach routes to `bp` when their domain's init_app imports them; the
    # OpenAPI route lives here. The blueprint is registered by create_app after every domain.
    from . import catalogue, openapi  # noqa: F401  (cycle: they import api_route from this package)
