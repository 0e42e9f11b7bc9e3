"""Refunds and splits of escrow, with the card part sent back through Stripe after commit and
retried by a timer."""
from __future__ import annotations

import datetime as dt
import logging

from flask_babel import lazy_gettext as _l

from ..core import db as unit
from ..core.db import after_commit, utcnow
from ..core.errors import DomainError, NotFound, WrongState
from ..extensions import db
from ..jobs import service as jobs
from ..ledger import service as ledger
from ..notifications.service import notify
from . import flags, gateway
from .funding import _funding_link, _money, _nonce, _row
from .models import CardRefund, Funding

log = logging.getLogger(__name__)


def refund(hold_ref: str, *, idempotency_key: str, actor=None):
    """Return an escrow hold to its payer through the way it came in: a card payment goes back to
    the card (a Stripe refund sent after the commit), anything else to the payer's wallet."""
    hold = ledger.get_hold(hold_ref)
    if hold is None:
        raise NotFound(_l("No money is held for this."))
    funding = _card_funding_of(hold)
    if funding is None:
        return ledger.refund(hold_ref, idempotency_key=idempotency_key, actor=actor, to="wallet")
    txn = ledger.refund(hold_ref, idempotency_key=idempotency_key, actor=actor, to="card")
    _queue_card_refund(funding, txn)
    return txn


def refund_escrow(escrow_ref: str, *, idempotency_key: str, actor=None) -> list:
    """Refund every open hold of an escrow (see `refund`); one ledger transaction per hold."""
    holds = [h for h in ledger.escrow_holds(escrow_ref) if h.status == "open"]
    if not holds:
        raise WrongState(_l("This money has already been released or refunded."))
    return [refund(h.ref, idempotency_key=f"{idempotency_key}:{h.ref}", actor=actor) for h in holds]


def split(hold_ref: str, solver, solver_percent: int | None = None, *, idempotency_key: str,
          actor=None, **options):
    """`ledger.split` (an operator's decision) with the payer's part going back the way it came:
    to the card for a card payment, else to the payer's wallet. Options pass through to the
    ledger (solver_amount, category, fee_bps)."""
    hold = ledger.get_hold(hold_ref)
    if hold is None:
        raise NotFound(_l("No money is held for this."))
    funding = _card_funding_of(hold)
    txn = ledger.split(hold_ref, solver, solver_percent, idempotency_key=idempotency_key, actor=actor,
                       to="card" if funding is not None else "wallet", **options)
    if funding is not None:
        _queue_card_refund(funding, txn)
    return txn


def _card_funding_of(hold) -> Funding | None:
    if hold.channel != "card":
        return None
    return db.session.execute(
        db.select(Funding).where(Funding.ledger_transaction_id == hold.funding_transaction_id,
                                 Funding.method == "card")).scalar_one_or_none()


def _amount_to_card(txn, currency: str) -> int:
    """What a ledger transaction moved back to card cash (the Stripe clearing account)."""
    return ledger.paid_out_to_cash(txn, "card", currency)


def _queue_card_refund(funding: Funding, txn) -> CardRefund | None:
    existing = db.session.execute(
        db.select(CardRefund).where(CardRefund.ledger_transaction_id == txn.id)).scalar_one_or_none()
    if existing is not None:
        return existing
    amount = _amount_to_card(txn, funding.currency)
    if amount <= 0:
        return None
    card_refund = CardRefund(funding_id=funding.id, amount=amount, currency=funding.currency,
                             status="pending", key_nonce=_nonce(), ledger_transaction_id=txn.id)
    db.session.add(card_refund)
    funding.refunded_amount = funding.refunded_amount + amount
    db.session.flush()
    _schedule_refund_retry(card_refund)
    after_commit(_send_card_refund_after_commit, card_refund.id)
    return card_refund


def _schedule_refund_retry(card_refund: CardRefund) -> None:
    jobs.schedule(REFUND_TIMER, f"card_refund:{card_refund.id}", utcnow() + dt.timedelta(minutes=5))


REFUND_TIMER = "payments.card_refund"


def send_card_refund(card_refund_id: int) -> CardRefund:
    """Send a pending card refund to Stripe (idempotent: Stripe sees the same key on a retry)."""
    card_refund = _row(CardRefund, card_refund_id, lock=True)
    if card_refund is None:
        raise NotFound()
    if card_refund.status != "pending":
        raise WrongState(_l("This refund has already been sent."))
    funding = card_refund.funding
    card_refund.attempts += 1
    result = gateway.create_refund(
        payment_intent_id=funding.payment_intent_id, amount=card_refund.amount,
        idempotency_key=card_refund.stripe_idempotency_key,
        metadata={"card_refund_id": card_refund.id, "funding_id": funding.id})
    card_refund.stripe_refund_id = result["id"]
    # Stripe's "pending" means it accepted the refund and the card network is processing it.
    if result["status"] in ("succeeded", "pending"):
        card_refund.status = "succeeded"
        card_refund.last_error = None
        notify(funding.payer, "payments.card_refund_sent", link=_funding_link(funding),
               amount=_money(card_refund.amount, card_refund.currency), title=funding.title)
    else:
        card_refund.status = "failed"
        card_refund.last_error = f"stripe refund {result['status']}"
        funding.flag_reviewed_at = None
        flags.flag(funding, "card_refund_failed", refund=card_refund.id, status=result["status"])
    return card_refund


def _send_card_refund_after_commit(card_refund_id: int) -> None:
    try:
        send_card_refund(card_refund_id)
        jobs.cancel(REFUND_TIMER, f"card_refund:{card_refund_id}")
        unit.commit()
    except DomainError as exc:
        unit.rollback()
        _note_refund_error(card_refund_id, str(exc.message))
    except Exception as exc:  # noqa: BLE001 - the timer retries it
        unit.rollback()
        log.exception("card refund %s failed", card_refund_id)
        _note_refund_error(card_refund_id, type(exc).__name__)


def _note_refund_error(card_refund_id: int, message: str) -> None:
    card_refund = db.session.get(CardRefund, card_refund_id)
    if card_refund is not None and card_refund.status == "pending":
        card_refund.attempts += 1
        card_refund.last_error = message[:500]
        unit.commit()


def _refund_timer(subject_ref: str, now) -> None:
    _kind, _sep, pk = subject_ref.partition(":")
    send_card_refund(int(pk))
