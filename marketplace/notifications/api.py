from __future__ import annotations

from flask import jsonify

from ..api import api_route, api_user, encode_cursor, listing, page_params
from ..core.db import iso
from . import service


def serialize(note) -> dict:
    return {"id": note.id, "kind": note.kind, "text": service.render(note.kind, note.params),
            "params": {k: ({"amount": v["__money__"][0], "currency": v["__money__"][1]}
                           if isinstance(v, dict) and "__money__" in v else v)
                       for k, v in (note.params or {}).items()},
            "link": note.link, "created_at": iso(note.created_at),
            "read": note.read_at is not None}


@api_route("/notifications", summary="My notifications, newest first", tags=["notifications"],
           query={"limit": "limit", "cursor": "cursor"})
def list_notifications():
    user = api_user()
    limit, cursor = page_params()
    items = service.list_for(user.id, limit=limit + 1, before_id=(cursor or {}).get("before"))
    next_cursor = encode_cursor({"before": items[limit - 1].id}) if len(items) > limit else None
    return listing([serialize(n) for n in items[:limit]], next_cursor)


@api_route("/notifications/read", methods=["POST"], summary="Mark all my notifications read",
           tags=["notifications"])
def read_notifications():
    user = api_user()
    count = service.mark_all_read(user.id)
    return jsonify({"marked": count})
