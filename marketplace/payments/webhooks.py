"""POST /webhooks/stripe: signed Stripe events (outside /api/v1, no CSRF: the signature is the
authentication). The raw body is checked with the endpoint secret; a bad, missing or stale
signature is a 400 and nothing is stored."""
from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, jsonify, request

from . import gateway, service

log = logging.getLogger(__name__)

bp = Blueprint("payments_webhooks", __name__)


def _refuse(message: str, status: int = 400):
    return jsonify({"error": message}), status


@bp.post("/webhooks/stripe")
def stripe_webhook():
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET") or ""
    signature = request.headers.get("Stripe-Signature")
    payload = request.get_data(cache=False)
    if not secret:
        return _refuse("webhooks are not configured", 400)
    if not signature:
        return _refuse("missing signature")
    try:
        gateway.construct_event(payload, signature, secret)
        event = json.loads(payload)
    except ValueError:
        log.info("stripe webhook refused: bad signature or body")
        return _refuse("invalid signature")
    if not isinstance(event, dict) or "id" not in event or "type" not in event:
        return _refuse("not an event")
    outcome = service.handle_stripe_event(event)
    return jsonify({"received": True, "outcome": outcome})
