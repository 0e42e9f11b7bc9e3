"""The Stripe gateway: the one place that talks to Stripe's API.

A `stripe.StripeClient` is built from configuration (STRIPE_SECRET_KEY, STRIPE_API_BASE for the
api/connect/files addresses, STRIPE_TIMEOUT_SECONDS) and cached per configuration. Every call
carries an idempotency key built from local ids. Stripe errors become domain errors: the service
being unreachable or failing is a 503 "payment service unavailable"; a declined card is a 422
naming `card`; anything Stripe refuses is a 409.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core.errors import DomainError, ServiceUnavailable, ValidationFailed

if TYPE_CHECKING:
    import stripe

log = logging.getLogger(__name__)

_clients: dict[tuple, stripe.StripeClient] = {}
_lock = threading.Lock()


class PaymentRefused(DomainError):
    """Stripe understood the request and refused it (e.g. insufficient platform balance)."""
    status = 409
    type_slug = "payment-refused"
    default_message = _l("The payment service refused this operation.")


def unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(_l("The payment service is unavailable. Please try again later."))


def _stripe():
    """The stripe package, imported when first needed: it holds about 15 MB in every worker, and
    without a STRIPE_SECRET_KEY it is never needed."""
    import stripe  # memory: see above
    return stripe


def card_enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def publishable_key() -> str:
    return current_app.config.get("STRIPE_PUBLISHABLE_KEY") or ""


def client() -> stripe.StripeClient:
    cfg = current_app.config
    key = cfg.get("STRIPE_SECRET_KEY") or ""
    if not key:
        raise unavailable()
    base = cfg.get("STRIPE_API_BASE") or ""
    timeout = int(cfg.get("STRIPE_TIMEOUT_SECONDS") or 10)
    cache_key = (key, base, timeout)
    stripe = _stripe()
    with _lock:
        found = _clients.get(cache_key)
        if found is None:
            addresses = {"api": base, "connect": base, "files": base} if base else None
            found = stripe.StripeClient(
                key, base_addresses=addresses, max_network_retries=0,
                http_client=stripe.RequestsClient(timeout=timeout))
            _clients[cache_key] = found
    return found


def _call(fn, *args, **kwargs):
    stripe = _stripe()
    try:
        return fn(*args, **kwargs)
    except stripe.CardError as exc:
        raise ValidationFailed(errors={"card": [exc.user_message or _l("The card was declined.")]}) from exc
    except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError,
            stripe.AuthenticationError, stripe.PermissionError) as exc:
        log.warning("stripe unavailable: %s", type(exc).__name__)
        raise unavailable() from exc
    except stripe.StripeError as exc:
        log.warning("stripe refused: %s %s", type(exc).__name__, getattr(exc, "code", None))
        raise PaymentRefused() from exc


def create_payment_intent(*, amount: int, currency: str, idempotency_key: str,
                          metadata: dict) -> dict:
    """A PaymentIntent captured automatically into the platform balance."""
    intent = _call(client().v1.payment_intents.create,
                   params={"amount": amount, "currency": currency.lower(),
                           "metadata": {k: str(v) for k, v in metadata.items()}},
                   options={"idempotency_key": idempotency_key})
    return {"id": intent["id"], "client_secret": intent["client_secret"], "status": intent["status"]}


def retrieve_payment_intent(intent_id: str) -> dict:
    intent = _call(client().v1.payment_intents.retrieve, intent_id)
    return intent.to_dict()


def create_refund(*, payment_intent_id: str, amount: int, idempotency_key: str,
                  metadata: dict) -> dict:
    refund = _call(client().v1.refunds.create,
                   params={"payment_intent": payment_intent_id, "amount": amount,
                           "metadata": {k: str(v) for k, v in metadata.items()}},
                   options={"idempotency_key": idempotency_key})
    return {"id": refund["id"], "status": refund["status"]}


def create_transfer(*, amount: int, currency: str, destination: str, idempotency_key: str,
                    metadata: dict) -> dict:
    transfer = _call(client().v1.transfers.create,
                     params={"amount": amount, "currency": currency.lower(),
                             "destination": destination,
                             "metadata": {k: str(v) for k, v in metadata.items()}},
                     options={"idempotency_key": idempotency_key})
    return {"id": transfer["id"], "amount": transfer["amount"]}


def retrieve_account(account_id: str) -> dict:
    return _call(client().v1.accounts.retrieve, account_id).to_dict()


def construct_event(payload: bytes, signature: str, secret: str) -> dict:
    """Verify a webhook's signature and timestamp; ValueError when it does not check out."""
    stripe = _stripe()
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError as exc:
        raise ValueError("bad signature") from exc
    return event.to_dict()
