"""Why a payment was flagged for an operator: a code and its values, stored on the funding and
shown in the reader's language (`flag_text`). `flag_reason` keeps the English sentence for logs
and the audit trail."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..core import audit
from ..core.money import to_decimal

REASONS = {
    "subject_gone": _l("The paid item no longer exists; the money was credited to the payer's wallet."),
    "subject_already_funded": _l("The paid item was already funded by another payment; the money was credited "
                                 "to the payer's wallet."),
    "succeeded_after_cancel": _l("The payment succeeded after it had been cancelled."),
    "intent_amount_mismatch": _l("Stripe received %(received)s, which does not match this payment."),
    "stripe_refund_mismatch": _l("%(refunded)s was refunded on Stripe, but %(recorded)s is recorded here."),
    "card_refund_failed": _l("Card refund %(refund)s ended as “%(status)s” on Stripe."),
}


def amount_text(amount, currency) -> str:
    """An amount in minor units as a flag value, the same in every language: 123.45 CNY."""
    try:
        return f"{to_decimal(int(amount))} {str(currency or '').upper()}".strip()
    except (TypeError, ValueError):
        return str(amount)


def _text(code: str | None, params: dict | None) -> str | None:
    template = REASONS.get(code or "")
    if template is None:
        return None
    try:
        return str(template) % (params or {})
    except (KeyError, TypeError, ValueError):
        return str(template)


def flag(funding, code: str, *, actor=None, **params) -> None:
    """Flag `funding` for an operator with one of REASONS (and its values)."""
    funding.flagged = True
    funding.flag_code = code
    funding.flag_params = {k: str(v) for k, v in params.items()}
    with force_locale("en"):
        funding.flag_reason = (_text(code, funding.flag_params) or code)[:500]
    audit.record("payments.funding_flagged", actor=actor, target=funding, reason=funding.flag_reason, code=code)


def flag_text(funding) -> str:
    """Why the funding was flagged, in the current language (older flags: their stored text)."""
    return _text(funding.flag_code, funding.flag_params) or (funding.flag_reason or "")
