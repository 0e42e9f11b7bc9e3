"""Where payouts go by bank transfer: a payee saves a bank name, an account number and the
account holder; the number is checked (digits only, 12 to 30 of them, spaces allowed when typed)
and shown masked except to the operator who pays."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core import audit
from ..core.errors import ValidationFailed
from ..extensions import db
from ..ledger import service as ledger
from .models import PayoutAccount

ACCOUNT_MIN, ACCOUNT_MAX = 12, 30


def _owner(owner) -> tuple[str, int]:
    return ledger.owner_key(owner)


def payout_account_of(owner) -> PayoutAccount | None:
    kind, pk = _owner(owner)
    return db.session.execute(db.select(PayoutAccount).where(
        PayoutAccount.owner_type == kind, PayoutAccount.owner_id == pk)).scalar_one_or_none()


def _clean_number(value) -> str:
    raw = "".join(str(value or "").split()).replace("-", "")
    if not raw:
        raise ValidationFailed(errors={"account_number": [_l("Enter the account number.")]})
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationFailed(errors={"account_number": [_l("An account number has digits only.")]})
    if not ACCOUNT_MIN <= len(raw) <= ACCOUNT_MAX:
        raise ValidationFailed(errors={"account_number": [
            _l("An account number has %(min)s to %(max)s digits.", min=ACCOUNT_MIN, max=ACCOUNT_MAX)]})
    return raw


def _text(field: str, value, message) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise ValidationFailed(errors={field: [message]})
    if len(text) > 100:
        raise ValidationFailed(errors={field: [_l("At most %(max)s characters.", max=100)]})
    return text


def save_payout_account(actor, owner, *, bank_name, account_number, holder_name) -> PayoutAccount:
    """Create or replace the payout account of `owner` (the actor, or an organisation the caller
    has checked the actor may act for). Every field is checked; all errors are named at once."""
    errors, clean = {}, {}
    for field, func in (("bank_name", lambda: _text("bank_name", bank_name, _l("Enter the bank and branch."))),
                        ("account_number", lambda: _clean_number(account_number)),
                        ("holder_name", lambda: _text("holder_name", holder_name, _l("Enter the account holder.")))):
        try:
            clean[field] = func()
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    account = payout_account_of(owner)
    kind, pk = _owner(owner)
    if account is None:
        account = PayoutAccount(owner_type=kind, owner_id=pk, **clean)
        db.session.add(account)
    else:
        for key, value in clean.items():
            setattr(account, key, value)
    db.session.flush()
    audit.record("payments.payout_account_saved", actor=actor, target=account, owner=f"{kind}:{pk}",
                 bank=clean["bank_name"], number=account.masked_number)
    return account
