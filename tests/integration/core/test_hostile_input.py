"""Every /api/v1 operation against hostile input: ids out of range or in non-ASCII digits,
malformed cursors and limits, JSON of the wrong type, arrays where an object belongs, bodies that
are not JSON and bodies that are too large. Never a 5xx, and nothing is written."""
from __future__ import annotations

import base64
import importlib
import json
import re

import pytest
from sqlalchemy import text

from marketplace.api import OPERATIONS
from marketplace.api.schema import field_schema
from marketplace.extensions import db
from tests.factories import api_headers, make_operator

BAD_IDS = ["18446744073709551616", "9223372036854775808", "0", "-1", "²", "١٢٣", "1e3", "0x10"]
BAD_CURSORS = [
    base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    for value in ({"before": "abc"}, [1], 1e30, {"before": 1e30}, {"before": 2**64}, {"id": "x", "s": 1},
                  {"before": None}, {"before": True})
] + ["%%%", "²"]
WRONG = {
    "string": [12345, 1.5, ["a"], {"a": 1}, True],
    "integer": ["abc", "²", 1.5, True, 2**70, ["1"], {"n": 1}],
    "number": ["abc", True, ["1"]],
    "boolean": ["yes", 2, ["x"]],
    "array": [17, {"a": 1}, True],
    "object": ["x", 3, [1]],
}


def _path(rule: str, value: str = "1") -> str:
    return "/api/v1" + re.sub(r"<(?:[a-z]+:)?([a-zA-Z_0-9]+)>", value, rule)


def _ops():
    seen = set()
    for op in OPERATIONS:
        key = (op["rule"], op["method"])
        if key not in seen and op["rule"] != "/openapi.json":
            seen.add(key)
            yield op


def _row_counts() -> dict:
    tables = [t.name for t in db.metadata.sorted_tables]
    sql = " UNION ALL ".join(f"SELECT '{name}', COUNT(*) FROM \"{name}\"" for name in tables)
    with db.engine.connect() as conn:
        return dict(conn.execute(text(sql)).all())


@pytest.fixture
def seeded(app):
    """A living marketplace (the demo data), so ids like 1 name real tasks, bids and contracts."""
    from marketplace import DOMAINS
    from marketplace.core.db import commit

    context: dict = {}
    for name in DOMAINS:
        try:
            module = importlib.import_module(f"marketplace.{name}.demo")
        except ModuleNotFoundError:
            continue
        module.load(context)
        commit()
    operator = make_operator(email="fuzz-operator@example.com")
    return api_headers(operator)


def _send(client, method, path, headers, **kwargs):
    response = client.open(path, method=method.upper(), headers=headers, **kwargs)
    db.session.rollback()
    return response


def _type_of(kind) -> list:
    kinds = field_schema(kind)[0].get("type")
    return kinds if isinstance(kinds, list) else [kinds]


def test_every_operation_refuses_hostile_input_without_a_5xx_or_a_write(client, seeded):
    headers = seeded
    before = _row_counts()
    failures = []
    checked = 0

    def expect(response, what, allowed=range(400, 500)):
        nonlocal checked
        checked += 1
        if response.status_code not in allowed:
            failures.append(f"{what}: {response.status_code} {response.get_data(as_text=True)[:200]}")

    for op in _ops():
        method, rule = op["method"], op["rule"]
        # Ids out of range, or written in other digits, never reach a view: 404.
        if "<" in rule:
            for bad in BAD_IDS:
                r = _send(client, method, _path(rule, bad), headers, json={})
                expect(r, f"{method} {rule} id={bad}", allowed=(404,))
        path = _path(rule)
        if "cursor" in op["query"]:
            for cursor in BAD_CURSORS:
                r = _send(client, method, path, headers, query_string={"cursor": cursor})
                expect(r, f"{method} {rule} cursor={cursor}", allowed=(403, 404, 422))
        if "limit" in op["query"]:
            for limit in ("²", "0", "100000000000000000000000", "-5", "1.5"):
                r = _send(client, method, path, headers, query_string={"limit": limit})
                expect(r, f"{method} {rule} limit={limit}", allowed=(403, 404, 422))
        if method not in ("post", "patch", "put"):
            continue
        # Bodies that are not an object, or not JSON at all.
        for raw in ("[{}]", '"text"', "17", "{", "[" * 5000 + "]" * 5000, "\xff\xfe"):
            r = _send(client, method, path, headers, data=raw.encode("utf-8", "surrogateescape"),
                      content_type="application/json")
            expect(r, f"{method} {rule} body={raw[:20]!r}",
                   allowed=range(400, 500) if op["body"] else range(200, 500))
        if op["multipart"] and not op["body"]:
            continue
        for name, kind in op["body"].items():
            for type_name in _type_of(kind):
                for wrong in WRONG.get(type_name, []):
                    if any(_fits(wrong, t) for t in _type_of(kind)):
                        continue
                    r = _send(client, method, path, headers, json={name: wrong})
                    expect(r, f"{method} {rule} {name}={wrong!r}")

    assert checked > 500
    assert not failures, "\n".join(failures[:40])
    assert _row_counts() == before


def _fits(value, type_name) -> bool:
    if type_name in ("integer", "number"):
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
    return isinstance(value, {"string": str, "boolean": bool, "array": list, "object": dict}.get(type_name, object))


def test_an_oversized_body_is_a_413_problem(client, app, seeded):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    try:
        before = _row_counts()
        r = client.post("/api/v1/tasks", headers=seeded, data=b"{" + b" " * 100_000 + b"}",
                        content_type="application/json")
        assert r.status_code == 413
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert _row_counts() == before
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024


def test_a_number_where_text_belongs_names_the_field(client, seeded):
    r = client.post("/api/v1/orgs", headers=seeded, json={"name": 12345})
    assert r.status_code == 422
    assert set(r.json["errors"]) == {"name"}


@pytest.mark.parametrize("path", ["/api/v1/tasks/18446744073709551616", "/api/v1/users/99999999999999999999",
                                  "/api/v1/orgs/9223372036854775808", "/api/v1/tasks/²"])
def test_ids_beyond_64_bits_are_404(client, seeded, path):
    assert client.get(path, headers=seeded).status_code == 404


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "/%5Cevil.example", "https://evil.example"])
def test_the_language_switch_never_redirects_off_site(client, target):
    r = client.get(f"/lang/en?next={target}")
    assert r.status_code == 302
    assert r.headers["Location"] in ("/", "http://localhost/")


def test_the_language_switch_returns_to_the_page(client):
    r = client.get("/lang/en?next=/tasks%3Fmode%3Dtender")
    assert r.headers["Location"].endswith("/tasks?mode=tender")
