"""What an operator does with a bank transfer whose amount did not match.

`service.confirm_bank_transfer` records the amount an operator read off the bank statement; the
exact amount funds the subject, any other amount leaves the transfer in `mismatch`. A mismatch is
not an end: it stays in the operator queue until one of these happens

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

from ..core import audit
from ..core.errors import Forbidden, NotFound, ValidationFailed, WrongState
from ..notifications.service import notify
from . import service
from .models import Funding

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
    funding = service._row(Funding, transfer_id, lock=True)
    if funding is None or funding.method != "bank_transfer":
        raise NotFound(_l("There is no such bank transfer."))
    if funding.status != "mismatch":
        raise WrongState(_l("Only a transfer whose amount did not match can be corrected, returned "
                            "or asked about."))
    return funding


def difference(funding: Funding, amount: int) -> int:
    """Received minus expected, in minor units (negative: less arrived than expected)."""
    return amount - funding.amount


def correct_amount(operator, transfer_id, amount, reason: str) -> Funding:
    """Record the right received amount of a mismatched transfer, with the operator's reason."""
    amount = service.check_amount(amount)
    reason = _reason("reason", reason)
    funding = _mismatched(operator, transfer_id)
    before = funding.received_amount
    funding.received_amount = amount
    funding.confirmed_by_id = operator.id
    audit.record("payments.bank_transfer_corrected", actor=operator, target=funding,
                 reference=funding.reference, before=before, received=amount, reason=reason)
    if amount != funding.amount:
        notify(funding.payer, "payments.bank_transfer_mismatch", link=service._funding_link(funding),
               reference=funding.reference, received=service._money(amount, funding.currency),
               amount=service._money(funding.amount, funding.currency), title=funding.title)
        return funding
    subject = service._load_subject(funding)
    if subject is None:
        raise NotFound(_l("The thing this transfer pays for no longer exists."))
    funding.failure_message = None
    service._record_funded(funding, subject, actor=operator)
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
    notify(funding.payer, "payments.bank_transfer_returned", link=service._funding_link(funding),
           reference=funding.reference, title=funding.title, reason=reason,
           received=service._money(funding.received_amount or 0, funding.currency))
    return funding


def ask_payer(operator, transfer_id, message: str) -> Funding:
    """Ask the payer about a mismatched transfer; it stays in the queue."""
    message = _reason("message", message)
    funding = _mismatched(operator, transfer_id)
    audit.record("payments.bank_transfer_asked", actor=operator, target=funding,
                 reference=funding.reference, message=message)
    notify(funding.payer, "payments.bank_transfer_question", link=service._funding_link(funding),
           reference=funding.reference, title=funding.title, message=message,
           received=service._money(funding.received_amount or 0, funding.currency),
           amount=service._money(funding.amount, funding.currency))
    return funding
