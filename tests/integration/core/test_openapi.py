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
