"""Corporate bank transfers (对公转账): the operator's queue, confirming receipt, reviewing flagged fundings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..core import audit
from ..core.db import utcnow
from ..core.errors import Forbidden, NotFound, WrongState
from ..extensions import db
from ..notifications.service import notify
from .funding import (
    _bad,
    _funding_link,
    _load_subject,
    _money,
    _record_funded,
    _row,
    check_amount,
    normalise_reference,
)
from .models import Funding


def pending_bank_transfers(limit: int = 50) -> list[Funding]:
    return list(db.session.scalars(
        db.select(Funding).where(Funding.method == "bank_transfer", Funding.status == "pending")
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
        funding.failure_message = (f"received {amount}, expected {funding.amount} {funding.currency}")
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
