"""/api/v1/categories and /api/v1/cities: the reference lists, named in the request's locale."""
from __future__ import annotations

from flask import jsonify

from ..core.catalogue import CATEGORIES, CITIES
from . import api_route


@api_route("/categories", summary="Task categories in four families", auth=False, tags=["catalogue"],
           returns={"type": "array", "items": {"type": "object", "required": ["slug", "name", "family"]}})
def catalogue_categories():
    return jsonify([{"slug": slug, "name": str(name), "family": family}
                    for slug, (family, name) in CATEGORIES.items()])


@api_route("/cities", summary="Hubei cities and Wuhan districts (plus “other”)", auth=False,
           tags=["catalogue"], returns={"type": "array", "items": {"type": "object", "required": ["code", "name"]}})
def catalogue_cities():
    return jsonify([{"code": code, "name": str(name)} for code, name in CITIES.items()])
