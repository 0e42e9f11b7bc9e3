"""The OpenAPI document describes every /api/v1 route the app serves, and nothing else."""
from __future__ import annotations

import re

from marketplace.api.openapi import openapi_path

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def served_operations(app) -> set[tuple[str, str]]:
    ops = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = openapi_path(rule.rule[len("/api/v1"):])
        for method in rule.methods - IGNORED_METHODS:
            ops.add((path, method.lower()))
    return ops


def documented_operations(doc) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item}


def test_every_api_route_is_documented(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    served = served_operations(app)
    assert ("/api/v1/openapi.json", "get") in served
    missing = served - documented_operations(doc)
    assert not missing, f"routes missing from openapi.json: {sorted(missing)}"


def test_every_documented_operation_is_served(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    extra = documented_operations(doc) - served_operations(app)
    assert not extra, f"openapi.json documents routes the app does not serve: {sorted(extra)}"


def test_operations_are_complete(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    ids = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            ids.append(op["operationId"])
            assert op["summary"], (path, method)
            assert "security" in op, (path, method)
            assert "default" in op["responses"], (path, method)
            declared = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert declared == set(re.findall(r"\{([^}]+)\}", path)), (path, method)
    assert len(ids) == len(set(ids)), "operationIds must be unique"


def test_openapi_document_is_public_json(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()["components"]["schemas"]["Problem"]["properties"]["status"]


# --- precision: what the document says a request may hold is what the endpoints accept ---------

def _doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def _body(doc, path, method):
    return doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def test_the_document_is_a_valid_openapi_31_document(client):
    from openapi_spec_validator import validate

    validate(_doc(client))  # raises on any schema the generators could not read


def test_bodies_described_by_a_form_take_its_validators(client):
    from marketplace.accounts.forms import ACCOUNT_TYPE_CHOICES
    from marketplace.core.catalogue import CITIES

    doc = _doc(client)
    person, organisation = _body(doc, "/api/v1/users", "post")["oneOf"]
    props = person["properties"]
    assert set(person["required"]) == {"email", "password", "display_name"}
    # validate_org_name: an organisation account needs its name
    assert set(organisation["required"]) == {"email", "password", "display_name", "account_type", "org_name"}
    assert organisation["properties"]["account_type"]["enum"] == ["organization"]
    assert props["email"]["format"] == "email" and props["email"]["maxLength"] == 254  # Email(), Length(max=254)
    assert props["display_name"] == {"type": "string", "minLength": 1, "pattern": r"\S", "maxLength": 80}
    assert props["password"]["minLength"] == 10  # the password policy, refined by hand
    assert props["account_type"]["enum"] == ["individual"]
    assert [value for value, _ in ACCOUNT_TYPE_CHOICES] == ["individual", "organization"]
    assert "confirm" not in props  # RegisterBody drops the repeated password
    me = _body(doc, "/api/v1/me", "patch")
    assert "required" not in me  # PATCH: what is not sent stays
    assert set(me["properties"]["city"]["enum"]) == {""} | set(CITIES)  # the choices set in __init__
    assert me["properties"]["locale"]["enum"] == ["", "zh_CN", "en"]
    assert _body(doc, "/api/v1/orgs/{org_id}/members/{membership_id}", "patch")["required"] == ["role"]
    assert "x-checked-by" not in str(doc)


def test_form_bodies_require_what_the_form_requires(client):
    from tests.factories import api_headers, make_user

    headers = api_headers(make_user())
    doc = _doc(client)
    for path, method in (("/api/v1/users", "post"), ("/api/v1/tokens", "post"), ("/api/v1/orgs", "post"),
                         ("/api/v1/me/verification", "post")):
        schema = _body(doc, path, method)
        required = set(schema.get("required", ()) if "oneOf" not in schema else schema["oneOf"][0]["required"])
        response = client.open(path, method=method.upper(), json={}, headers=headers)
        assert response.status_code == 422, (path, response.get_json())
        assert set(response.get_json()["errors"]) == required, path


def test_ids_limits_and_idempotency_keys_have_their_ranges(client):
    doc = _doc(client)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for param in op["parameters"]:
                schema = param["schema"]
                if param["in"] == "path" and schema["type"] == "integer":
                    assert (schema["minimum"], schema["maximum"]) == (1, 2**63 - 1), (path, param["name"])
                if param["name"] == "Idempotency-Key":
                    assert (schema["minLength"], schema["maxLength"]) == (1, 255)
                if param["name"] == "limit":
                    assert schema["minimum"] == 1 and schema["maximum"] in (50, 100), (path, method)
    tasks = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/tasks"]["get"]["parameters"]}
    assert tasks["sort"]["enum"] == ["newest", "deadline", "amount"]  # the search form's choices
    assert tasks["status"]["enum"] == ["open", "all"]


def test_a_new_task_is_one_shape_per_mode_with_what_it_requires(client):
    from marketplace.tasks.validation import TITLE_MAX

    variants = {v["title"]: v for v in _body(_doc(client), "/api/v1/tasks", "post")["oneOf"]}
    assert set(variants) == {"tender", "claim", "bounty (single winner)", "bounty (ranked)", "bounty (per piece)"}
    assert set(variants["tender"]["required"]) == {"mode", "title", "category", "budget_max", "bid_deadline"}
    assert set(variants["bounty (per piece)"]["required"]) >= {"unit_price", "max_pieces", "submission_deadline"}
    assert "prizes" not in variants["bounty (per piece)"]["properties"]
    assert variants["bounty (single winner)"]["properties"]["prizes"]["maxItems"] == 1
    tender = variants["tender"]["properties"]
    assert tender["mode"]["enum"] == ["tender"] and tender["title"]["maxLength"] == TITLE_MAX
    assert tender["bid_deadline"]["format"] == "date-time"
    assert tender["budget_max"]["minimum"] == 1


def test_a_whole_number_written_as_5_0_counts_as_an_integer(client):
    # JSON Schema (and so every generator reading the document) counts 150000.0 as an integer.
    from tests.factories import api_headers, make_user

    response = client.post("/api/v1/tasks", headers=api_headers(make_user()), json={
        "mode": "tender", "title": "Calibrate a spectrometer", "category": "instrument_time",
        "budget_max": 150000.0, "bid_deadline": "2099-01-31T12:00:00+08:00"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["budget_max"] == 150000
    response = client.post("/api/v1/tasks", headers=api_headers(make_user()), json={
        "mode": "tender", "title": "Calibrate", "category": "instrument_time", "budget_max": 1.5,
        "bid_deadline": "2099-01-31T12:00:00+08:00"})
    assert response.status_code == 422 and "budget_max" in response.get_json()["errors"]
