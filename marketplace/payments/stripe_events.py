"""Stripe webhook events: payment intents succeeded, failed or cancelled, charges refunded."""
from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from ..core import audit
from ..core.db import lock_row
from ..core.errors import DomainError
from ..extensions import db
from ..notifications.service import notify
from . import flags
from .funding import _funding_link, _load_subject, _record_funded
from .models import ExternalEvent, Funding

log = logging.getLogger(__name__)


def handle_stripe_event(event: dict) -> str:
    """Store a verified Stripe event once and apply it; returns what happened.

    A replayed or duplicated event (same id) changes nothing: the unique (source, external_id)
    insert loses and the event is not applied again. Events may arrive in any order; each handler
    looks at the funding's current state (a failure after a success does not un-fund).
    """
    obj = (event.get("data") or {}).get("object") or {}
    record = ExternalEvent(source="stripe", external_id=str(event.get("id")),
                           type=str(event.get("type"))[:100], object_id=obj.get("id"),
                           payload=event)
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        return "duplicate"
    handler = _EVENT_HANDLERS.get(record.type)
    if handler is None:
        outcome = "ignored"
    else:
        try:
            with db.session.begin_nested():
                outcome = handler(obj)
        except DomainError as exc:
            # A rule refused the change (e.g. the escrow was closed meanwhile). Keep the event so a
            # redelivery is recognised, and leave it for an operator in the audit log.
            outcome = f"refused: {exc.message}"
            log.warning("stripe event %s refused: %s", record.external_id, exc.message)
            audit.record("payments.event_refused", target_type="external_events",
                         target_id=record.external_id, type=record.type, reason=str(exc.message))
    record.outcome = outcome[:200]
    return outcome


def _funding_for_intent(intent: dict) -> Funding | None:
    intent_id = intent.get("id")
    found = db.session.execute(
        db.select(Funding.id).where(Funding.payment_intent_id == intent_id)).scalar_one_or_none()
    if found is None:
        return None
    funding = lock_row(Funding, found)
    db.session.refresh(funding)
    return funding


def _on_intent_succeeded(intent: dict) -> str:
    funding = _funding_for_intent(intent)
    if funding is None:
        return "unknown intent"
    if funding.status == "succeeded":
        return "already applied"
    received = intent.get("amount_received") or intent.get("amount")
    if received != funding.amount or str(intent.get("currency", "")).upper() != funding.currency:
        flags.flag(funding, "intent_amount_mismatch", received=flags.amount_text(received, intent.get("currency")))
        return "amount mismatch"
    flag = None
    if funding.status == "canceled":
        flag = "succeeded_after_cancel"
    _record_funded(funding, _load_subject(funding), flag=flag)
    return "applied"


def _on_intent_failed(intent: dict) -> str:
    funding = _funding_for_intent(intent)
    if funding is None:
        return "unknown intent"
    if funding.status != "pending":
        return "ignored: " + funding.status
    error = intent.get("last_payment_error") or {}
    funding.status = "failed"
    funding.failure_message = str(error.get("message") or "payment failed")[:500]
    notify(funding.payer, "payments.funding_failed", link=_funding_link(funding),
           title=funding.title, message=funding.failure_message)
    return "failed"


def _on_intent_canceled(intent: dict) -> str:
    funding = _funding_for_intent(intent)
    if funding is None:
        return "unknown intent"
    if funding.status not in ("pending", "failed"):
        return "ignored: " + funding.status
    funding.status = "canceled"
    notify(funding.payer, "payments.funding_canceled", link=_funding_link(funding), title=funding.title)
    return "canceled"


def _on_charge_refunded(charge: dict) -> str:
    intent_id = charge.get("payment_intent")
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id")
    funding = _funding_for_intent({"id": intent_id}) if intent_id else None
    if funding is None:
        return "unknown intent"
    refunded = int(charge.get("amount_refunded") or 0)
    if refunded > funding.refunded_amount:
        # Money left through Stripe that the platform did not send back: the ledger still holds
        # it, so an operator must look.
        flags.flag(funding, "stripe_refund_mismatch", refunded=flags.amount_text(refunded, funding.currency),
                   recorded=flags.amount_text(funding.refunded_amount, funding.currency))
        return "flagged"
    return "consistent"


_EVENT_HANDLERS = {
    "payment_intent.succeeded": _on_intent_succeeded,
    "payment_intent.payment_failed": _on_intent_failed,
    "payment_intent.canceled": _on_intent_canceled,
    "charge.refunded": _on_charge_refunded,
}
