"""Funding an escrow or a wallet: by card (Stripe PaymentIntent), bank transfer or wallet balance;
recording a funding as succeeded in the ledger and telling its subject."""
from __future__ import annotations

import logging
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core import links
from ..core.db import lock_row, utcnow
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed, WrongState
from ..core.money import SUPPORTED_CURRENCIES, check_minor_amount, format_money
from ..extensions import db
from ..ledger import service as ledger
from ..notifications.service import notify
from . import flags, fundables, gateway
from .models import FUNDING_METHODS, Funding

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
    return links.url(endpoint, **values)


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


def has_pending_funding(escrow_ref: str) -> bool:
    """Is a payment for this escrow under way (a funding started and not yet settled)?"""
    return db.session.scalar(db.select(Funding.id).where(
        Funding.escrow_ref == escrow_ref, Funding.status == "pending").limit(1)) is not None


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
    subject = fundables.load(kind, subject_id, viewer=actor)
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
    if not subject.can_fund(actor):
        # Only the payer side learns that it is already funded; anyone else is simply refused.
        if target == "escrow" and fundables.is_payer_side(subject, actor) and is_funded(subject.escrow_ref):
            raise WrongState(_l("This is already funded."))
        raise Forbidden(_l("You cannot fund this."))
    if target == "escrow" and is_funded(subject.escrow_ref):
        raise WrongState(_l("This is already funded."))
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
    # flag: a code of flags.REASONS
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
        flag = flag or ("subject_gone" if subject is None else "subject_already_funded")
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
        flags.flag(funding, flag, actor=actor)
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


def check_card_fundings() -> list[str]:
    """Every succeeded card funding has exactly one funding transaction in the ledger."""
    problems = []
    rows = db.session.execute(
        db.select(Funding.id, Funding.amount).where(Funding.method == "card",
                                                    Funding.status == "succeeded")).all()
    for funding_id, _amount in rows:
        # The idempotency key is unique: 0 or 1 transaction, counted when it is a funding.
        txn = ledger.transaction_for_key(f"funding:{funding_id}")
        count = 1 if txn is not None and txn.kind in ("fund_escrow", "fund_wallet") else 0
        if count != 1:
            problems.append(f"card funding {funding_id} has {count} funding transactions (want 1)")
    return problems
