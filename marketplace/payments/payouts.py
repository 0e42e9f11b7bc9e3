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
from ..organisations.policies import can_act_for
from ..organisations.service import managers_of
from ..verification import service as verification
from . import gateway
from .funding import _bad, _link, _money, _nonce, _row, card_enabled, check_amount, default_currency
from .models import ConnectedAccount, Payout

log = logging.getLogger(__name__)

APPROVE_ACTION = "payments.payout_approve"


def pending_payouts(limit: int = 50) -> list[Payout]:
    return list(db.session.scalars(
        db.select(Payout).where(Payout.status == "requested")
        .options(selectinload(Payout.user), selectinload(Payout.org))
        .order_by(Payout.created_at, Payout.id).limit(limit)))


def payouts_of(user, limit: int = 20) -> list[Payout]:
    """A user's own payouts (not those asked for on behalf of an organisation), newest first."""
    return list(db.session.scalars(
        db.select(Payout).where(Payout.user_id == user.id, Payout.org_id.is_(None))
        .order_by(Payout.id.desc()).limit(limit)))


def org_payouts_of(org, limit: int = 20) -> list[Payout]:
    """An organisation's payouts, newest first, with who asked for each."""
    return list(db.session.scalars(
        db.select(Payout).where(Payout.org_id == org.id).options(selectinload(Payout.user))
        .order_by(Payout.id.desc()).limit(limit)))


def is_verified(user) -> bool:
    return verification.is_verified(user)


def is_org_verified(org) -> bool:
    return verification.is_org_verified(org)


def _checked_amount(payee_filter, payee, amount, currency):
    """The amount and currency of a payout request, checked against the minimum, the daily limit
    of this payee (`payee_filter` selects its payouts) and its available balance."""
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
    # Serialise one payee's payout requests so two at once cannot both pass the daily limit.
    ledger.lock_wallet(payee, currency)
    used = db.session.scalar(
        db.select(db.func.coalesce(db.func.sum(Payout.amount), 0)).where(
            *payee_filter, Payout.created_at >= since,
            Payout.status.in_(("requested", "approved", "paid")))) or 0
    if used + amount > daily:
        raise _bad("amount", _l("This is over the daily payout limit; %(left)s is left for today.",
                                left=_money(max(daily - used, 0), currency)))
    if ledger.wallet_balance(payee, currency) < amount:
        raise _bad("amount", _l("The amount is more than your available balance."))
    return amount, currency


def _new_payout(requester, payee, amount, currency, org_id=None) -> Payout:
    payout = Payout(user_id=requester.id, org_id=org_id, amount=amount, currency=currency,
                    status="requested", key_nonce=_nonce())
    db.session.add(payout)
    db.session.flush()
    ledger.request_payout(payee, amount, currency, payout_ref=f"payout:{payout.id}",
                          idempotency_key=f"payout:{payout.id}:request", actor=requester)
    return payout


def request_payout(user, amount, currency: str | None = None) -> Payout:
    """A verified user asks to take `amount` of their available balance out.

    422 naming `amount` below PAYOUT_MIN_AMOUNT, above the available balance or above what
    PAYOUT_DAILY_LIMIT leaves for the last 24 hours; `currency` other than the platform's.
    """
    if not is_verified(user):
        raise Forbidden(_l("Only verified users can withdraw money. Please complete real-name "
                           "verification first."))
    amount, currency = _checked_amount((Payout.user_id == user.id, Payout.org_id.is_(None)), user,
                                       amount, currency)
    payout = _new_payout(user, user, amount, currency)
    notify(user, "payments.payout_requested", link=_link("payments.wallet"),
           amount=_money(amount, currency))
    return payout


def request_org_payout(user, org, amount, currency: str | None = None) -> Payout:
    """An owner or manager asks to take `amount` of the organisation's available balance out, to
    the organisation's payout account. The same minimum, daily limit (per organisation) and checks
    as a user's payout; the organisation must be verified. 404 for anyone who does not manage it
    (its wallet is not theirs to see); 403 while the organisation is not verified."""
    if not can_act_for(user, org):
        raise NotFound(_l("There is no such organisation wallet."))
    if not is_org_verified(org):
        raise Forbidden(_l("Only verified organisations can withdraw money. Please complete the "
                           "organisation's verification first."))
    amount, currency = _checked_amount((Payout.org_id == org.id,), org, amount, currency)
    payout = _new_payout(user, org, amount, currency, org_id=org.id)
    audit.record("payments.org_payout_requested", actor=user, target=payout, org=org.id, amount=amount)
    link = links.url("payments.org_wallet", org_id=org.id)
    notify(user, "payments.org_payout_requested", link=link, amount=_money(amount, currency), org=org.name)
    for manager in managers_of(org):
        if manager.id != user.id:
            notify(manager, "payments.org_payout_requested_by", link=link, amount=_money(amount, currency),
                   org=org.name, requester=user.display_name)
    return payout


def _tell_payee(payout: Payout, kind: str, **params) -> None:
    """Tell whom a payout concerns: the user, or for an organisation's payout the one who asked
    and every owner and manager (kind "payments.org_…")."""
    amount = _money(payout.amount, payout.currency)
    if payout.org_id is None:
        notify(payout.user, f"payments.{kind}", link=links.wallet(), amount=amount, **params)
        return
    link = links.url("payments.org_wallet", org_id=payout.org_id)
    people = {payout.user_id: payout.user}
    people.update({m.id: m for m in managers_of(payout.org)})
    for person in people.values():
        notify(person, f"payments.org_{kind}", link=link, amount=amount, org=payout.org.name, **params)


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


def connected_account_of(owner) -> ConnectedAccount | None:
    """The Stripe connected account of a user or an organisation, if any."""
    column = ConnectedAccount.org_id if ledger.owner_key(owner)[0] == "org" else ConnectedAccount.user_id
    return db.session.execute(db.select(ConnectedAccount).where(column == owner.id)).scalar_one_or_none()


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
    ensure_not_own_item(operator, user_ids=[payout.user_id], org_ids=[payout.org_id])
    if not four_eyes.approve(operator, APPROVE_ACTION, payout, payout.amount):
        return payout  # the first of two approvals: a second operator sends it
    now = utcnow()
    payout.decided_by_id = operator.id
    payout.decided_at = now
    account = connected_account_of(payout.payee)
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
                 reference=payout.reference, amount=payout.amount, org=payout.org_id)
    _tell_payee(payout, "payout_paid", reference=payout.reference)


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
    account = connected_account_of(payout.payee)
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
        audit.record("payments.payout_failed", actor=actor, target=payout, reason=payout.reason,
                     org=payout.org_id)
        _tell_payee(payout, "payout_failed")
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
    ensure_not_own_item(operator, user_ids=[payout.user_id], org_ids=[payout.org_id])
    payout.status = "rejected"
    payout.reason = reason
    payout.decided_by_id = operator.id
    payout.decided_at = utcnow()
    ledger.fail_payout(f"payout:{payout.id}", idempotency_key=f"payout:{payout.id}:fail", actor=operator)
    audit.record("payments.payout_rejected", actor=operator, target=payout, reason=reason,
                 org=payout.org_id)
    _tell_payee(payout, "payout_rejected", reason=reason)
    return payout


def set_connected_account(user, account_id: str, *, org=None) -> ConnectedAccount:
    """Send this user's payouts (or, with `org`, the organisation's, which the caller has checked
    the user may act for) to a Stripe connected account (checked with Stripe)."""
    account_id = (account_id or "").strip()
    if not account_id.startswith("acct_") or len(account_id) > 255:
        raise _bad("account_id", _l("Enter a Stripe account id (acct_...)."))
    if not card_enabled():
        raise _bad("account_id", _l("Stripe is not configured on this platform."))
    try:
        gateway.retrieve_account(account_id)
    except gateway.PaymentRefused:
        raise _bad("account_id", _l("Stripe does not know this account.")) from None
    owner = org if org is not None else user
    account = connected_account_of(owner)
    if account is None:
        account = (ConnectedAccount(org_id=org.id, stripe_account_id=account_id) if org is not None
                   else ConnectedAccount(user_id=user.id, stripe_account_id=account_id))
        db.session.add(account)
    else:
        account.stripe_account_id = account_id
    audit.record("payments.connected_account_set", actor=user, target=account,
                 owner="org:%s" % org.id if org is not None else "user:%s" % user.id)
    return account
