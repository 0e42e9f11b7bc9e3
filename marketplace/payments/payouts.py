"""Payouts: a solver requests, an operator approves (bank or Stripe transfer) or rejects."""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..core import audit, four_eyes, links
from ..core import db as unit
from ..core.db import after_commit, utcnow
from ..core.errors import Forbidden, NotFound, WrongState
from ..extensions import db
from ..jobs import service as jobs
from ..ledger import service as ledger
from ..notifications.service import notify
from ..organisations.duties import ensure_not_own_item
from ..verification import service as verification
from . import gateway
from .funding import _bad, _link, _money, _nonce, _row, card_enabled, check_amount, default_currency
from .models import ConnectedAccount, Payout

log = logging.getLogger(__name__)

APPROVE_ACTION = "payments.payout_approve"


def pending_payouts(limit: int = 50) -> list[Payout]:
    return list(db.session.scalars(
        db.select(Payout).where(Payout.status == "requested").options(selectinload(Payout.user))
        .order_by(Payout.created_at, Payout.id).limit(limit)))


def payouts_of(user, limit: int = 20) -> list[Payout]:
    return list(db.session.scalars(
        db.select(Payout).where(Payout.user_id == user.id).order_by(Payout.id.desc()).limit(limit)))


def is_verified(user) -> bool:
    return verification.is_verified(user)


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
    ledger.lock_wallet(user, currency)
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

    With a Stripe connected account (and card payments configured) the payout is approved and its
    transfer is sent to Stripe after the commit (`send_payout_transfer`), never while the payout
    row is locked; a timer retries it while Stripe is unreachable. Otherwise it is recorded as paid
    by bank with `reference` (the bank's transaction number; a reference is made up from the
    payout when none is given).
    """
    if not getattr(operator, "is_operator", False):
        raise Forbidden()
    reference = (reference or "").strip()
    if len(reference) > 200:
        raise _bad("reference", _l("The reference is too long."))
    payout = _locked_payout(payout_id)
    if payout.status != "requested":
        raise WrongState(_l("This payout has already been decided."))
    ensure_not_own_item(operator, user_ids=[payout.user_id])
    if not four_eyes.approve(operator, APPROVE_ACTION, payout, payout.amount):
        return payout  # the first of two approvals: a second operator sends it
    now = utcnow()
    payout.decided_by_id = operator.id
    payout.decided_at = now
    account = connected_account_of(payout.user)
    ref = f"payout:{payout.id}"
    if account is not None and card_enabled():
        payout.channel = "stripe"
        payout.status = "approved"
        audit.record("payments.payout_approved", actor=operator, target=payout, channel="stripe",
                     amount=payout.amount)
        # Stripe after commit; the timer retries while Stripe cannot be reached.
        jobs.schedule(PAYOUT_TIMER, ref, now + dt.timedelta(minutes=5))
        after_commit(_send_payout_after_commit, payout.id)
        return payout
    payout.channel = "bank"
    payout.reference = reference or f"HZP-{payout.id}-{now:%Y%m%d}"
    ledger.complete_payout(ref, channel="bank", idempotency_key=f"{ref}:complete", actor=operator)
    _paid(payout, now, operator)
    return payout


def _paid(payout: Payout, now, actor) -> None:
    payout.status = "paid"
    payout.paid_at = now
    audit.record("payments.payout_paid", actor=actor, target=payout, channel=payout.channel,
                 reference=payout.reference, amount=payout.amount)
    notify(payout.user, "payments.payout_paid", link=links.wallet(),
           amount=_money(payout.amount, payout.currency), reference=payout.reference)


PAYOUT_TIMER = "payments.payout_transfer"


def send_payout_transfer(payout_id: int) -> Payout:
    """Send an approved payout's transfer to the payee's Stripe connected account, in its own unit
    of work (idempotent: Stripe sees the same key on a retry, so a lost answer never pays twice).

    Stripe refusing the transfer (no balance, the account gone) fails the payout and returns the
    money to the wallet; Stripe unreachable raises ServiceUnavailable and changes nothing, so the
    payout stays approved and the timer tries again."""
    payout = _locked_payout(payout_id)
    if payout.status != "approved":
        raise WrongState(_l("This payout has already been sent."))
    ref = f"payout:{payout.id}"
    actor = payout.decided_by_id
    account = connected_account_of(payout.user)
    try:
        if account is None:
            raise gateway.PaymentRefused(_l("The payee has no Stripe account any more."))
        transfer = gateway.create_transfer(
            amount=payout.amount, currency=payout.currency, destination=account.stripe_account_id,
            idempotency_key=payout.stripe_idempotency_key, metadata={"payout_id": payout.id})
    except gateway.PaymentRefused as exc:
        payout.status = "failed"
        payout.reason = str(exc.message)[:500]
        ledger.fail_payout(ref, idempotency_key=f"{ref}:fail", actor=actor)
        audit.record("payments.payout_failed", actor=actor, target=payout, reason=payout.reason)
        notify(payout.user, "payments.payout_failed", link=links.wallet(),
               amount=_money(payout.amount, payout.currency))
        return payout
    payout.stripe_transfer_id = transfer["id"]
    payout.reference = transfer["id"]
    ledger.complete_payout(ref, channel="card", idempotency_key=f"{ref}:complete", actor=actor)
    _paid(payout, utcnow(), actor)
    return payout


def _send_payout_after_commit(payout_id: int) -> None:
    try:
        send_payout_transfer(payout_id)
        jobs.cancel(PAYOUT_TIMER, f"payout:{payout_id}")
        unit.commit()
    except Exception:  # noqa: BLE001 - Stripe unreachable or a lost race: the timer retries it
        unit.rollback()
        log.warning("payout %s transfer not sent now; the timer retries it", payout_id, exc_info=True)


def _payout_timer(subject_ref: str, now) -> None:
    _kind, _sep, pk = subject_ref.partition(":")
    send_payout_transfer(int(pk))


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
    ensure_not_own_item(operator, user_ids=[payout.user_id])
    payout.status = "rejected"
    payout.reason = reason
    payout.decided_by_id = operator.id
    payout.decided_at = utcnow()
    ledger.fail_payout(f"payout:{payout.id}", idempotency_key=f"payout:{payout.id}:fail", actor=operator)
    audit.record("payments.payout_rejected", actor=operator, target=payout, reason=reason)
    notify(payout.user, "payments.payout_rejected", link=links.wallet(),
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
