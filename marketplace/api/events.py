"""Signals the API helpers announce (the hook mechanism: marketplace/core/events.py).

    bearer_token   one handler, key "user": `fn(token) -> User | None`, the active user a bearer
                   token belongs to (accounts connects it; it owns the tokens).
"""
from ..core.events import NS

bearer_token = NS.signal("api.bearer_token")
