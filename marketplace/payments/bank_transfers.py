"""Corporate bank transfers (对公转账): the operator's queue, confirming receipt, reviewing flagged
fundings, and what an operator does with a transfer whose amount did not match.

`confirm_bank_transfer` records the amount an operator read off the bank statement; the exact
amount funds the subject, any other amount leaves the transfer in `mismatch`. A mismatch is not an
end: it stays in the operator queue until one of these happens

    correct_amount(operator, id, amount, reason)   the amount was mistyped (or the payer topped the
                                                   transfer up): the right amount funds the subject,
                                                   another one stays a mismatch with the new figure
    return_money(operator, id, reason)             the money was sent back to the payer by the bank;
                                                   the transfer ends as `canceled`, nothing funded
    ask_payer(operator, id, message)               the payer is asked (a notification) and the
                                                   transfer stays in the queue

Each is audited with the operator's reason, and the payer is told in their own language with the
amounts in yuan (the notification renders at read time; amounts are formatted here).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..core import audit, four_eyes
from ..core.db import utcnow
from ..core.errors import Forbidden, NotFound, ValidationFailed, WrongState
from ..core.money import MoneyParam
from ..extensions import db
from ..notifications.service import notify
from ..organisations.duties import ensure_not_own_item
from .funding import (
    _bad,
    _funding_link,
    _load_subject,
    _record_funded,
    _row,
    check_amount,
    normalise_reference,
)
from .models import Funding

CONFIRM_ACTION = "payments.bank_transfer_confirm"


def pending_bank_transfers(limit: int = 50) -> list[Funding]:
    """Transfers waiting for an operator: not yet confirmed, or confirmed with another amount
    (a mismatch stays until it is corrected, returned or answered)."""
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
    ensure_not_own_item(operator, user_ids=[funding.payer_user_id], org_ids=[funding.payer_org_id])
    # Four eyes: once a first operator confirmed a large amount, a second one must agree with it.
    checking = amount == funding.amount or four_eyes.pending(CONFIRM_ACTION, funding) is not None
    if checking and not four_eyes.approve(operator, CONFIRM_ACTION, funding, amount):
        return funding  # the first of two confirmations: a second operator completes it
    funding.received_amount = amount
    funding.confirmed_by_id = operator.id
    if amount != funding.amount:
        funding.status = "mismatch"
        funding.failure_message = (f"received {amount / 100:.2f}, expected {funding.amount / 100:.2f} "
                                   f"{funding.currency}")
        audit.record("payments.bank_transfer_mismatch", actor=operator, target=funding,
                     reference=funding.reference, expected=funding.amount, received=amount)
        notify(funding.payer, "payments.bank_transfer_mismatch", link=_funding_link(funding),
               reference=funding.reference, received=MoneyParam(amount, funding.currency),
               amount=MoneyParam(funding.amount, funding.currency), title=funding.title)
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
    ensure_not_own_item(operator, user_ids=[funding.payer_user_id], org_ids=[funding.payer_org_id])
    if not funding.flagged or funding.flag_reviewed_at is not None:
        raise WrongState(_l("There is nothing to review for this payment."))
    funding.flag_reviewed_at = utcnow()
    funding.flag_reviewed_by_id = operator.id
    funding.flag_note = note
    audit.record("payments.flag_reviewed", actor=operator, target=funding, note=note,
                 reason=funding.flag_reason)
    return funding


# --- a transfer whose amount did not match ----------------------------------------------------

REASON_MAX = 500


def _reason(field: str, text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(errors={field: [_l("Say why.")]})
    if len(text) > REASON_MAX:
        raise ValidationFailed(errors={field: [_l("At most %(max)s characters.", max=REASON_MAX)]})
    return text


def _mismatched(operator, transfer_id) -> Funding:
    if not getattr(operator, "is_operator", False):
        raise Forbidden()
    funding = _row(Funding, transfer_id, lock=True)
    if funding is None or funding.method != "bank_transfer":
        raise NotFound(_l("There is no such bank transfer."))
    if funding.status != "mismatch":
        raise WrongState(_l("Only a transfer whose amount did not match can be corrected, returned "
                            "or asked about."))
    ensure_not_own_item(operator, user_ids=[funding.payer_user_id], org_ids=[funding.payer_org_id])
    return funding


def difference(funding: Funding, amount: int) -> int:
    """Received minus expected, in minor units (negative: less arrived than expected)."""
    return amount - funding.amount


def correct_amount(operator, transfer_id, amount, reason: str) -> Funding:
    """Record the right received amount of a mismatched transfer, with the operator's reason."""
    amount = check_amount(amount)
    reason = _reason("reason", reason)
    funding = _mismatched(operator, transfer_id)
    if amount == funding.amount and not four_eyes.approve(operator, CONFIRM_ACTION, funding, amount):
        return funding  # the first of two confirmations: a second operator completes it
    before = funding.received_amount
    funding.received_amount = amount
    funding.confirmed_by_id = operator.id
    audit.record("payments.bank_transfer_corrected", actor=operator, target=funding,
                 reference=funding.reference, before=before, received=amount, reason=reason)
    if amount != funding.amount:
        notify(funding.payer, "payments.bank_transfer_mismatch", link=_funding_link(funding),
               reference=funding.reference, received=MoneyParam(amount, funding.currency),
               amount=MoneyParam(funding.amount, funding.currency), title=funding.title)
        return funding
    subject = _load_subject(funding)
    if subject is None:
        raise NotFound(_l("The thing this transfer pays for no longer exists."))
    funding.failure_message = None
    _record_funded(funding, subject, actor=operator)
    return funding


def return_money(operator, transfer_id, reason: str) -> Funding:
    """The received money went back to the payer's bank account; nothing is funded."""
    reason = _reason("reason", reason)
    funding = _mismatched(operator, transfer_id)
    funding.status = "canceled"
    funding.failure_message = reason[:REASON_MAX]
    funding.confirmed_by_id = operator.id
    audit.record("payments.bank_transfer_returned", actor=operator, target=funding,
                 reference=funding.reference, received=funding.received_amount, reason=reason)
    notify(funding.payer, "payments.bank_transfer_returned", link=_funding_link(funding),
           reference=funding.reference, title=funding.title, reason=reason,
           received=MoneyParam(funding.received_amount or 0, funding.currency))
    return funding


def ask_payer(operator, transfer_id, message: str) -> Funding:
    """Ask the payer about a mismatched transfer; it stays in the queue."""
    message = _reason("message", message)
    funding = _mismatched(operator, transfer_id)
    audit.record("payments.bank_transfer_asked", actor=operator, target=funding,
                 reference=funding.reference, message=message)
    notify(funding.payer, "payments.bank_transfer_question", link=_funding_link(funding),
           reference=funding.reference, title=funding.title, message=message,
           received=MoneyParam(funding.received_amount or 0, funding.currency),
           amount=MoneyParam(funding.amount, funding.currency))
    return funding
