"""GET /api/v1/openapi.json, built from the `api_route` registry."""
from __future__ import annotations

import re

from flask import jsonify

from ..core.inputs import MAX_ID
from . import OPERATIONS, api_route
from .idempotency import MAX_KEY_LENGTH
from .schema import body_schema, field_schema, public_schema


def openapi_path(rule: str) -> str:
    return "/api/v1" + re.sub(r"<(?:[a-z]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>", r"{\1}", rule)


# Path parts that are not ids: what the views look up (anything else is a 404).
STRING_PARTS = {
    "public_id": {"type": "string", "pattern": r"^[A-Za-z0-9_-]{1,32}$",
                  "description": "the opaque id of an entry or a file"},
    "sha256": {"type": "string", "pattern": r"^[0-9a-f]{64}$", "description": "a receipt's fingerprint"},
    "token": {"type": "string", "pattern": r"^[A-Za-z0-9_-]{20,64}$", "description": "from the invitation email"},
    "name": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{1,39}$", "description": "a negative-list rule"},
}


def _path_schema(rule: str, name: str) -> dict:
    if f"<id:{name}>" in rule or f"<int:{name}>" in rule:
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID, "format": "int64"}
    return dict(STRING_PARTS.get(name, {"type": "string", "minLength": 1}))


def _success(op: dict) -> dict:
    if op["status"] == 204:
        return {"description": "Done (no body)"}
    content = {"application/json": {"schema": op["returns"]}}
    content.update({mime: {"schema": schema} for mime, schema in op["also_returns"].items()})
    return {"description": "OK", "content": content}


def build_document() -> dict:
    paths: dict = {}
    for op in OPERATIONS:
        path = openapi_path(op["rule"])
        params = [{"name": name, "in": "path", "required": True, "schema": _path_schema(op["rule"], name)}
                  for name in re.findall(r"\{([^}]+)\}", path)]
        for name, kind in op["query"].items():
            schema, required = field_schema(kind)
            params.append({"name": name.rstrip("!"), "in": "query", "required": required or name.endswith("!"),
                           "schema": public_schema(schema)})
        if op["idempotent"]:
            params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
                                      "pattern": r"\S"},
                           "description": "Repeat a request safely: the same key and body answer as the first time."})
        operation = {
            "operationId": f"{op['method']}_{op['endpoint']}",
            "summary": op["summary"],
            "tags": op["tags"],
            "parameters": params,
            "responses": {
                str(op["status"]): _success(op),
                "default": {"description": "Problem", "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
            },
        }
        for code, (description, properties) in op["responses"].items():
            operation["responses"][str(code)] = {"description": description, "content": {"application/json": {
                "schema": {"type": "object", "properties": properties, "required": sorted(properties)}}}}
        if op["description"]:
            operation["description"] = op["description"]
        if op["auth"]:
            operation["security"] = [{"bearer": []}]
        else:
            operation["security"] = []
        if op["body"]:
            schema = body_schema(op["body"])
            required = schema.get("required")
            mime = "multipart/form-data" if op["multipart"] else "application/json"
            operation["requestBody"] = {"required": bool(required) or "oneOf" in schema,
                                        "content": {mime: {"schema": schema}}}
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
