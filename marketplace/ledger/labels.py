"""Names of ledger transaction kinds, for wallet lines on pages."""
from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "fund_escrow": _l("Escrow funded"), "fund_wallet": _l("Money added"),
    "release": _l("Payment received"), "refund": _l("Refund"), "split": _l("Dispute decision"),
    "payout_request": _l("Payout requested"), "payout_complete": _l("Payout sent"),
    "payout_fail": _l("Payout returned"),
}
