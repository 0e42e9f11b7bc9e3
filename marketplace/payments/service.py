"""Payments use cases: funding (card, bank transfer, wallet), Stripe webhooks, refunds to card,
payouts. Money rows are written only through `marketplace.ledger.service`; Stripe is reached only
through `gateway`. Nothing here commits.

Public functions other domains call:

    start_funding(actor, kind, subject_id, method, amount=None) -> Funding
    confirm_bank_transfer(operator, transfer_id, amount) -> Funding
    refund(hold_ref, *, idempotency_key, actor=None) -> LedgerTransaction
    refund_escrow(escrow_ref, *, idempotency_key, actor=None) -> list[LedgerTransaction]
    split(hold_ref, solver, solver_percent=None, *, idempotency_key, actor=None, **options)
    handle_stripe_event(event: dict) -> str
    request_payout(user, amount) -> Payout
    approve_payout(operator, payout_id, reference=None) -> Payout
    reject_payout(operator, payout_id, reason) -> Payout
    wallet(user, limit=50, before_id=None) -> dict
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..core import audit
from ..core.db import after_commit, lock_row, utcnow
from ..core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed, WrongState
from ..core.money import SUPPORTED_CURRENCIES, check_minor_amount, format_money
from ..extensions import db
from ..ledger import service as ledger
from ..ledger.models import LedgerAccount, LedgerEntry
from ..notifications.service import notify
from . import fundables, gateway
from .models import FUNDING_METHODS, CardRefund, ConnectedAccount, ExternalEvent, Funding, Payout

log = logging.getLogger(__name__)

# Ledger channels by funding method.
CHANNELS = {"card": "card", "bank_transfer": "bank", "wallet": "wallet"}
# Bank transfer reference codes: no 0/O, 1/I/L, so they survive being read over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _bad(field: str, message) -> ValidationFailed:
    return ValidationFailed(errors={field: [message]})


MAX_ROW_ID = 2**31 - 1  # integer primary keys: a larger id from a URL cannot exist (and overflows)


def _row(model, pk, *, lock: bool = False):
    """The row with this id (locked with SELECT ... FOR UPDATE when asked), or None."""
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk <= MAX_ROW_ID:
        return None
    if lock:
        row = lock_row(model, pk)
        if row is not None:
            db.session.refresh(row)
        return row
    return db.session.get(model, pk)


def _nonce() -> str:
    return secrets.token_hex(4)


def _money(amount: int, currency: str) -> str:
    try:
        return format_money(amount, currency)
    except Exception:  # outside a request there may be no locale
        return f"{amount / 100:.2f} {currency}"


def _link(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except RuntimeError:
        return None


check_amount = check_minor_amount


def default_currency() -> str:
    return current_app.config.get("DEFAULT_CURRENCY", "CNY")


# ---------------------------------------------------------------------------------------------
# Funding


def card_enabled() -> bool:
    return gateway.card_enabled()


def available_methods() -> list[str]:
    return [m for m in FUNDING_METHODS if m != "card" or card_enabled()]


def _payer_parts(payer) -> tuple[str, int | None]:
    """("user"|"org", org id or None) for the subject's payer."""
    kind, pk = ledger.owner_key(payer)
    return kind, (pk if kind == "org" else None)


def _succeeded_funding_for(escrow_ref: str) -> Funding | None:
    return db.session.execute(
        db.select(Funding).where(Funding.escrow_ref == escrow_ref, Funding.status == "succeeded")
        .limit(1)).scalar_one_or_none()


def is_funded(escrow_ref: str) -> bool:
    """Has money been recorded for this escrow (a hold exists for it)?"""
    return ledger.get_hold(escrow_ref) is not None or _succeeded_funding_for(escrow_ref) is not None


def new_reference() -> str:
    """A bank transfer reference like HZ-7K3Q-92XD that no funding uses yet."""
    for _ in range(20):
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        reference = f"HZ-{code[:4]}-{code[4:]}"
        exists = db.session.execute(
            db.select(Funding.id).where(Funding.reference == reference)).first()
        if exists is None:
            return reference
    raise Conflict()


def normalise_reference(text: str) -> str:
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if raw.startswith("HZ"):
        raw = raw[2:]
    return f"HZ-{raw[:4]}-{raw[4:]}" if len(raw) == 8 else (text or "").strip().upper()


def start_funding(actor, kind: str, subject_id, method: str, amount: int | None = None) -> Funding:
    """Start paying for a fundable subject.

    card: creates a Stripe PaymentIntent (the returned Funding has a transient `client_secret`);
    it is funded only when the signed `payment_intent.succeeded` webhook arrives.
    bank_transfer: the Funding carries the `reference` the payer writes on the transfer.
    wallet: funded at once from the payer's available balance.
    `amount` is only for subjects without a fixed amount (a wallet top-up).
    """
    if method not in FUNDING_METHODS:
        raise _bad("method", _l("Choose card, bank transfer or wallet."))
    subject = fundables.load(kind, subject_id)
    target = fundables.target_of(subject)
    if method == "card" and not card_enabled():
        raise _bad("method", _l("Card payments are not available here. Please pay by bank "
                                "transfer or from your wallet."))
    if method == "wallet" and target == "wallet":
        raise _bad("method", _l("A wallet cannot be topped up from itself."))
    fixed = getattr(subject, "amount", None)
    if fixed is None:
        amount = check_amount(amount)
    elif amount is not None and amount != fixed:
        raise _bad("amount", _l("The amount to fund is fixed at %(amount)s.",
                                amount=_money(fixed, subject.currency)))
    else:
        amount = check_amount(fixed)
    currency = subject.currency
    if currency not in SUPPORTED_CURRENCIES:
        raise _bad("currency", _l("Unsupported currency."))
    if target == "escrow" and is_funded(subject.escrow_ref):
        raise WrongState(_l("This is already funded."))
    if not subject.can_fund(actor):
        raise Forbidden(_l("You cannot fund this."))
    payer = subject.payer
    _owner_type, org_id = _payer_parts(payer)

    existing = _reusable_pending(subject, actor, method, amount)
    if existing is not None:
        if method == "card":
            existing.client_secret = gateway.retrieve_payment_intent(
                existing.payment_intent_id)["client_secret"]
        return existing

    funding = Funding(subject_kind=kind, subject_id=str(subject_id), escrow_ref=subject.escrow_ref,
                      title=str(subject.title)[:200], payer_user_id=actor.id, payer_org_id=org_id,
                      amount=amount, currency=currency, method=method, status="pending",
                      key_nonce=_nonce())
    if method == "bank_transfer":
        funding.reference = new_reference()
    db.session.add(funding)
    db.session.flush()

    if method == "card":
        intent = gateway.create_payment_intent(
            amount=amount, currency=currency, idempotency_key=funding.stripe_idempotency_key,
            metadata={"funding_id": funding.id, "subject": funding.subject_ref})
        funding.payment_intent_id = intent["id"]
        funding.client_secret = intent["client_secret"]
        db.session.flush()
    elif method == "bank_transfer":
        notify(actor, "payments.bank_transfer_started", link=_funding_link(funding),
               amount=_money(amount, currency), reference=funding.reference, title=funding.title)
    else:
        _record_funded(funding, subject, actor=actor)
    return funding


def _reusable_pending(subject, actor, method: str, amount: int) -> Funding | None:
    """A pending funding of the same subject, payer and method, so reloading the page or retrying
    does not create a second PaymentIntent or a second transfer reference."""
    if method == "wallet":
        return None
    return db.session.execute(
        db.select(Funding).where(
            Funding.escrow_ref == subject.escrow_ref, Funding.payer_user_id == actor.id,
            Funding.method == method, Funding.status == "pending", Funding.amount == amount,
            Funding.currency == subject.currency)
        .order_by(Funding.id.desc()).limit(1)).scalar_one_or_none()


def _funding_link(funding: Funding) -> str | None:
    return _link("payments.funding_detail", funding_id=funding.id)


def _record_funded(funding: Funding, subject, *, actor=None, flag: str | None = None) -> None:
    """Post the money to the ledger and mark the funding succeeded, in the caller's unit of work.

    Money that came from outside (card, bank) for a subject that was meanwhile funded by another
    payment, or that no longer exists, goes to the payer's wallet instead and the funding is
    flagged for an operator.
    """
    channel = CHANNELS[funding.method]
    key = f"funding:{funding.id}"
    if subject is not None:
        payer, target = subject.payer, fundables.target_of(subject)
    else:
        payer = ("org", funding.payer_org_id) if funding.payer_org_id else funding.payer
        target = "escrow"
    diverted = False
    if target == "escrow" and (subject is None or ledger.get_hold(funding.escrow_ref) is not None
                               or not _subject_accepts(subject)):
        if channel == "wallet":
            raise WrongState(_l("This is already funded."))
        diverted = True
        flag = flag or ("subject no longer exists" if subject is None else "subject already funded") \
            + ": credited to the payer's wallet"
    if target == "wallet" or diverted:
        txn = ledger.fund_wallet(payer, funding.amount, funding.currency, channel=channel,
                                 idempotency_key=key, actor=actor, ref=f"funding:{funding.id}")
    else:
        txn = ledger.fund_escrow(funding.escrow_ref, payer, funding.amount, funding.currency,
                                 channel=channel, idempotency_key=key, actor=actor,
                                 holds=getattr(subject, "holds", None))
    funding.status = "succeeded"
    funding.funded_at = utcnow()
    funding.ledger_transaction_id = txn.id
    if flag:
        funding.flagged = True
        funding.flag_reason = flag[:500]
        audit.record("payments.funding_flagged", actor=actor, target=funding, reason=flag)
    if not diverted:
        subject.on_funded(funding)
    notify(funding.payer, "payments.funding_to_wallet" if diverted else "payments.funding_succeeded",
           link=_funding_link(funding), amount=_money(funding.amount, funding.currency), title=funding.title)


def _subject_accepts(subject) -> bool:
    accepts = getattr(subject, "accepts_funding", None)
    return True if accepts is None else bool(accepts())


def _load_subject(funding: Funding):
    try:
        return fundables.load(funding.subject_kind, funding.subject_id)
    except NotFound:
        return None


def subject_link(funding: Funding) -> str | None:
    """The page of the thing a funding pays for, when its domain gives one."""
    subject = _load_subject(funding)
    return getattr(subject, "link", None) if subject is not None else None


def get_funding(actor, funding_id: int) -> Funding:
    funding = _row(Funding, funding_id)
    if funding is None or (funding.payer_user_id != actor.id and not actor.is_operator):
        raise NotFound()
    return funding


def client_secret_for(actor, funding: Funding) -> str | None:
    """The PaymentIntent's client secret for the payer's browser while the card payment is open."""
    if funding.method != "card" or funding.status not in ("pending", "failed") \
            or funding.payer_user_id != actor.id or not card_enabled():
        return None
    return gateway.retrieve_payment_intent(funding.payment_intent_id)["client_secret"]


# ---------------------------------------------------------------------------------------------
# Bank transfers


def pending_bank_transfers(limit: int = 50) -> list[Funding]:
    """Transfers waiting for an operator: not yet confirmed, or confirmed with another amount
    (a mismatch stays until it is corrected, returned; see bank_transfers.py)."""
    return list(db.session.scalars(
        db.select(Funding).where(Funding.method == "bank_transfer",
                                 Funding.status.in_(("pending", "mismatch")))
        .options(selectinload(Funding.payer))
        .order_by(Funding.created_at, Funding.id).limit(limit)))


def get_bank_transfer(transfer_id: int) -> Funding:
    funding = _row(Funding, transfer_id)
    if funding is None or funding.method != "bank_transfer":
        raise NotFound(_l("There is no such bank transfer."))
    return funding


def find_bank_transfer(reference: str) -> Funding | None:
    return db.session.execute(
        db.select(Funding).where(Funding.reference == normalise_reference(reference))
    ).scalar_one_or_none()


def confirm_bank_transfer(operator, transfer_id: int, amount) -> Funding:
    """An operator records the amount received for a bank transfer.

    The exact amount funds the subject; any other amount is recorded as a mismatch, the payer is
    told, and nothing is funded. Concurrent confirmations: the row lock lets one through, the
    others find it no longer pending (409).
    """
    if not getattr(operator, "is_operator", False):
        raise Forbidden()
    amount = check_amount(amount)
    funding = _row(Funding, transfer_id, lock=True)
    if funding is None or funding.method != "bank_transfer":
        raise NotFound(_l("There is no such bank transfer."))
    if funding.status != "pending":
        raise WrongState(_l("This bank transfer has already been handled."))
    funding.received_amount = amount
    funding.confirmed_by_id = operator.id
    if amount != funding.amount:
        funding.status = "mismatch"
        funding.failure_message = (f"received {amount / 100:.2f}, expected {funding.amount / 100:.2f} "
                                   f"{funding.currency}")
        audit.record("payments.bank_transfer_mismatch", actor=operator, target=funding,
                     reference=funding.reference, expected=funding.amount, received=amount)
        notify(funding.payer, "payments.bank_transfer_mismatch", link=_funding_link(funding),
               reference=funding.reference, received=_money(amount, funding.currency),
               amount=_money(funding.amount, funding.currency), title=funding.title)
        return funding
    subject = _load_subject(funding)
    if subject is None:
        raise NotFound(_l("The thing this transfer pays for no longer exists."))
    _record_funded(funding, subject, actor=operator)
    audit.record("payments.bank_transfer_confirmed", actor=operator, target=funding,
                 reference=funding.reference, amount=amount)
    return funding


def flagged_fundings(limit: int = 50) -> list[Funding]:
    """Payments an operator must look at (late, duplicated, refunded outside the platform...)."""
    return list(db.session.scalars(
        db.select(Funding).where(Funding.flagged.is_(True), Funding.flag_reviewed_at.is_(None))
        .options(selectinload(Funding.payer)).order_by(Funding.updated_at, Funding.id).limit(limit)))


def review_flag(operator, funding_id: int, note: str) -> Funding:
    """An operator records what was done about a flagged payment; it leaves the queue."""
    if not getattr(operator, "is_operator", False):
        raise Forbidden()
    note = (note or "").strip()
    if not note:
        raise _bad("note", _l("Say what was done about it."))
    if len(note) > 500:
        raise _bad("note", _l("At most 500 characters."))
    funding = _row(Funding, funding_id, lock=True)
    if funding is None:
        raise NotFound()
    if not funding.flagged or funding.flag_reviewed_at is not None:
        raise WrongState(_l("There is nothing to review for this payment."))
    funding.flag_reviewed_at = utcnow()
    funding.flag_reviewed_by_id = operator.id
    funding.flag_note = note
    audit.record("payments.flag_reviewed", actor=operator, target=funding, note=note,
                 reason=funding.flag_reason)
    return funding


# ---------------------------------------------------------------------------------------------
# Stripe webhooks


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
        funding.flagged = True
        funding.flag_reason = f"intent amount {received} {intent.get('currency')} does not match"
        audit.record("payments.funding_flagged", target=funding, reason=funding.flag_reason)
        return "amount mismatch"
    flag = None
    if funding.status == "canceled":
        flag = "payment succeeded after the intent was canceled"
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
        funding.flagged = True
        funding.flag_reason = f"refunded {refunded} on Stripe, {funding.refunded_amount} recorded here"
        audit.record("payments.funding_flagged", target=funding, reason=funding.flag_reason)
        return "flagged"
    return "consistent"


_EVENT_HANDLERS = {
    "payment_intent.succeeded": _on_intent_succeeded,
    "payment_intent.payment_failed": _on_intent_failed,
    "payment_intent.canceled": _on_intent_canceled,
    "charge.refunded": _on_charge_refunded,
}


# ---------------------------------------------------------------------------------------------
# Refunds


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
    return int(db.session.scalar(
        db.select(db.func.coalesce(db.func.sum(LedgerEntry.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerEntry.transaction_id == txn.id, LedgerAccount.code == ledger.CASH_ACCOUNTS["card"],
               LedgerAccount.currency == currency, LedgerEntry.amount > 0)) or 0)


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
    from ..jobs import service as jobs
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
        funding.flagged = True
        funding.flag_reviewed_at = None
        funding.flag_reason = f"card refund {card_refund.id} {result['status']} on Stripe"
        audit.record("payments.funding_flagged", target=funding, reason=funding.flag_reason)
    return card_refund


def _send_card_refund_after_commit(card_refund_id: int) -> None:
    from ..core import db as unit
    try:
        send_card_refund(card_refund_id)
        from ..jobs import service as jobs
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
    from ..core import db as unit
    card_refund = db.session.get(CardRefund, card_refund_id)
    if card_refund is not None and card_refund.status == "pending":
        card_refund.attempts += 1
        card_refund.last_error = message[:500]
        unit.commit()


def _refund_timer(subject_ref: str, now) -> None:
    _kind, _sep, pk = subject_ref.partition(":")
    send_card_refund(int(pk))


# ---------------------------------------------------------------------------------------------
# Payouts


def pending_payouts(limit: int = 50) -> list[Payout]:
    return list(db.session.scalars(
        db.select(Payout).where(Payout.status == "requested").options(selectinload(Payout.user))
        .order_by(Payout.created_at, Payout.id).limit(limit)))


def payouts_of(user, limit: int = 20) -> list[Payout]:
    return list(db.session.scalars(
        db.select(Payout).where(Payout.user_id == user.id).order_by(Payout.id.desc()).limit(limit)))


def is_verified(user) -> bool:
    from ..verification.service import is_verified
    return is_verified(user)


def request_payout(user, amount, currency: str | None = None) -> Payout:
    """A verified user asks to take `amount` of their available balance out.

    422 naming `amount` below PAYOUT_MIN_AMOUNT, above the available balance or above what
    PAYOUT_DAILY_LIMIT leaves for the last 24 hours; `currency` other than the platform's.
    """
    if not is_verified(user):
        raise Forbidden(_l("Only verified users can withdraw money. Please complete real-name "
                           "verification first."))
    amount = check_amount(amount)
    platform_currency = default_currency()
    currency = currency or platform_currency
    if currency != platform_currency:
        raise _bad("currency", _l("Payouts are made in %(currency)s only.", currency=platform_currency))
    cfg = current_app.config
    minimum = int(cfg.get("PAYOUT_MIN_AMOUNT", 1000))
    if amount < minimum:
        raise _bad("amount", _l("The smallest payout is %(amount)s.", amount=_money(minimum, currency)))
    daily = int(cfg.get("PAYOUT_DAILY_LIMIT", 5_000_000))
    since = utcnow() - dt.timedelta(hours=24)
    # Serialise one user's payout requests so two at once cannot both pass the daily limit.
    wallet = ledger.wallet_account(user, currency)
    if wallet is not None:
        db.session.execute(db.select(LedgerAccount.id).where(LedgerAccount.id == wallet.id)
                           .with_for_update())
    used = db.session.scalar(
        db.select(db.func.coalesce(db.func.sum(Payout.amount), 0)).where(
            Payout.user_id == user.id, Payout.created_at >= since,
            Payout.status.in_(("requested", "approved", "paid")))) or 0
    if used + amount > daily:
        raise _bad("amount", _l("This is over the daily payout limit; %(left)s is left for today.",
                                left=_money(max(daily - used, 0), currency)))
    if ledger.wallet_balance(user, currency) < amount:
        raise _bad("amount", _l("The amount is more than your available balance."))
    payout = Payout(user_id=user.id, amount=amount, currency=currency, status="requested",
                    key_nonce=_nonce())
    db.session.add(payout)
    db.session.flush()
    ledger.request_payout(user, amount, currency, payout_ref=f"payout:{payout.id}",
                          idempotency_key=f"payout:{payout.id}:request", actor=user)
    notify(user, "payments.payout_requested", link=_link("payments.wallet"),
           amount=_money(amount, currency))
    return payout


def get_payout(payout_id: int) -> Payout:
    payout = _row(Payout, payout_id)
    if payout is None:
        raise NotFound(_l("There is no such payout."))
    return payout


def available_balance(owner, currency: str) -> int:
    return ledger.wallet_balance(owner, currency)


def _locked_payout(payout_id: int) -> Payout:
    payout = _row(Payout, payout_id, lock=True)
    if payout is None:
        raise NotFound(_l("There is no such payout."))
    return payout


def connected_account_of(user) -> ConnectedAccount | None:
    return db.session.execute(
        db.select(ConnectedAccount).where(ConnectedAccount.user_id == user.id)).scalar_one_or_none()


def approve_payout(operator, payout_id: int, reference: str | None = None) -> Payout:
    """Approve and send a requested payout.

    With a Stripe connected account (and card payments configured) the money is transferred there;
    otherwise it is recorded as paid by bank with `reference` (the bank's transaction number; a
    reference is made up from the payout when none is given). Stripe refusing the transfer records
    the payout as failed and returns the money to the wallet; Stripe unreachable is a 503 and
    nothing changes.
    """
    if not getattr(operator, "is_operator", False):
        raise Forbidden()
    reference = (reference or "").strip()
    if len(reference) > 200:
        raise _bad("reference", _l("The reference is too long."))
    payout = _locked_payout(payout_id)
    if payout.status != "requested":
        raise WrongState(_l("This payout has already been decided."))
    now = utcnow()
    payout.decided_by_id = operator.id
    payout.decided_at = now
    account = connected_account_of(payout.user)
    ref = f"payout:{payout.id}"
    if account is not None and card_enabled():
        payout.channel = "stripe"
        try:
            transfer = gateway.create_transfer(
                amount=payout.amount, currency=payout.currency, destination=account.stripe_account_id,
                idempotency_key=payout.stripe_idempotency_key, metadata={"payout_id": payout.id})
        except gateway.PaymentRefused as exc:
            payout.status = "failed"
            payout.reason = str(exc.message)[:500]
            ledger.fail_payout(ref, idempotency_key=f"{ref}:fail", actor=operator)
            audit.record("payments.payout_failed", actor=operator, target=payout, reason=payout.reason)
            notify(payout.user, "payments.payout_failed", link=_link("payments.wallet"),
                   amount=_money(payout.amount, payout.currency))
            return payout
        payout.stripe_transfer_id = transfer["id"]
        payout.reference = transfer["id"]
        ledger.complete_payout(ref, channel="card", idempotency_key=f"{ref}:complete", actor=operator)
    else:
        payout.channel = "bank"
        payout.reference = reference or f"HZP-{payout.id}-{now:%Y%m%d}"
        ledger.complete_payout(ref, channel="bank", idempotency_key=f"{ref}:complete", actor=operator)
    payout.status = "paid"
    payout.paid_at = now
    audit.record("payments.payout_paid", actor=operator, target=payout, channel=payout.channel,
                 reference=payout.reference, amount=payout.amount)
    notify(payout.user, "payments.payout_paid", link=_link("payments.wallet"),
           amount=_money(payout.amount, payout.currency), reference=payout.reference)
    return payout


def reject_payout(operator, payout_id: int, reason: str) -> Payout:
    """Refuse a requested payout with a reason; the money returns to the available balance."""
    if not getattr(operator, "is_operator", False):
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise _bad("reason", _l("Give a reason."))
    if len(reason) > 500:
        raise _bad("reason", _l("The reason is too long."))
    payout = _locked_payout(payout_id)
    if payout.status != "requested":
        raise WrongState(_l("This payout has already been decided."))
    payout.status = "rejected"
    payout.reason = reason
    payout.decided_by_id = operator.id
    payout.decided_at = utcnow()
    ledger.fail_payout(f"payout:{payout.id}", idempotency_key=f"payout:{payout.id}:fail", actor=operator)
    audit.record("payments.payout_rejected", actor=operator, target=payout, reason=reason)
    notify(payout.user, "payments.payout_rejected", link=_link("payments.wallet"),
           amount=_money(payout.amount, payout.currency), reason=reason)
    return payout


def set_connected_account(user, account_id: str) -> ConnectedAccount:
    """Send this user's payouts to a Stripe connected account (checked with Stripe)."""
    account_id = (account_id or "").strip()
    if not account_id.startswith("acct_") or len(account_id) > 255:
        raise _bad("account_id", _l("Enter a Stripe account id (acct_...)."))
    if not card_enabled():
        raise _bad("account_id", _l("Stripe is not configured on this platform."))
    try:
        gateway.retrieve_account(account_id)
    except gateway.PaymentRefused:
        raise _bad("account_id", _l("Stripe does not know this account.")) from None
    account = connected_account_of(user)
    if account is None:
        account = ConnectedAccount(user_id=user.id, stripe_account_id=account_id)
        db.session.add(account)
    else:
        account.stripe_account_id = account_id
    audit.record("payments.connected_account_set", actor=user, target=account)
    return account


# ---------------------------------------------------------------------------------------------
# Wallet


def wallet(user, limit: int = 50, before_id: int | None = None) -> dict:
    """The wallet document of the API: balances plus newest lines with the running balance."""
    currency = default_currency()
    summary = ledger.wallet_summary(user, currency)
    lines = ledger.wallet_lines(user, currency, limit=limit, before_id=before_id)
    return {**summary, "lines": lines}


def me_wallet(user) -> dict:
    """ME_EXTENSIONS entry for /api/v1/me."""
    summary = ledger.wallet_summary(user, default_currency())
    return {"wallet": {"currency": summary["currency"], "available": summary["available"],
                       "held": summary["held"]}}


# ---------------------------------------------------------------------------------------------
# Ledger verification


def check_card_fundings() -> list[str]:
    """Every succeeded card funding has exactly one funding transaction in the ledger."""
    from ..ledger.models import LedgerTransaction
    problems = []
    rows = db.session.execute(
        db.select(Funding.id, Funding.amount).where(Funding.method == "card",
                                                    Funding.status == "succeeded")).all()
    for funding_id, _amount in rows:
        count = db.session.scalar(
            db.select(db.func.count(LedgerTransaction.id)).where(
                LedgerTransaction.idempotency_key == f"funding:{funding_id}",
                LedgerTransaction.kind.in_(("fund_escrow", "fund_wallet")))) or 0
        if count != 1:
            problems.append(f"card funding {funding_id} has {count} funding transactions (want 1)")
    return problems
