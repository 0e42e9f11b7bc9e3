"""GET /api/v1/openapi.json, built from the `api_route` registry."""
from __future__ import annotations

import re

from flask import jsonify

from . import OPERATIONS, api_route

_TYPES = {"string": {"type": "string"}, "integer": {"type": "integer"},
          "boolean": {"type": "boolean"}, "array": {"type": "array", "items": {}},
          "object": {"type": "object"}, "file": {"type": "string", "format": "binary"},
          "number": {"type": "number"}}


def openapi_path(rule: str) -> str:
    return "/api/v1" + re.sub(r"<(?:[a-z]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>", r"{\1}", rule)


def _schema(fields: dict) -> tuple[dict, list]:
    props, required = {}, []
    for name, kind in fields.items():
        if kind.endswith("!"):
            required.append(name)
            kind = kind[:-1]
        props[name] = dict(_TYPES.get(kind, {"type": "string"}))
    return props, required


def build_document() -> dict:
    paths: dict = {}
    for op in OPERATIONS:
        path = openapi_path(op["rule"])
        params = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "integer" if f"<int:{name}>" in op["rule"] else "string"}}
                  for name in re.findall(r"\{([^}]+)\}", path)]
        for name, kind in op["query"].items():
            params.append({"name": name.rstrip("!"), "in": "query", "required": kind.endswith("!"),
                           "schema": _TYPES.get(kind.rstrip("!"), {"type": "string"})})
        if op["idempotent"]:
            params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string"}})
        operation = {
            "operationId": f"{op['method']}_{op['endpoint']}",
            "summary": op["summary"],
            "tags": op["tags"],
            "parameters": params,
            "responses": {
                str(op["status"]): {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                "default": {"description": "Problem", "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
            },
        }
        if op["description"]:
            operation["description"] = op["description"]
        if op["auth"]:
            operation["security"] = [{"bearer": []}]
        else:
            operation["security"] = []
        if op["body"]:
            props, required = _schema(op["body"])
            schema = {"type": "object", "properties": props}
            if required:
                schema["required"] = required
            mime = "multipart/form-data" if op["multipart"] else "application/json"
            operation["requestBody"] = {"required": bool(required), "content": {mime: {"schema": schema}}}
        paths.setdefault(path, {})[op["method"]] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Huizhong API", "version": "1",
                 "description": "The JSON API of the Huizhong crowdsourcing marketplace."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Problem": {"type": "object", "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "errors": {"type": "object", "additionalProperties": {
                    "type": "array", "items": {"type": "string"}}}}}},
        },
    }


@api_route("/openapi.json", summary="This OpenAPI document", auth=False, tags=["meta"])
def openapi_document():
    return jsonify(build_document())
