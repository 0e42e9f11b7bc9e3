"""Payments use cases: funding (card, bank transfer, wallet), Stripe webhooks, refunds to card,
payouts, each in its own module (`funding`, `bank_transfers`, `stripe_events`, `refunds`, `payouts`,
`wallet`) and gathered here. Money rows are written only through `marketplace.ledger.service`; Stripe is reached only
through `gateway`. Nothing here commits.

Public functions other domains call:

    start_funding(actor, kind, subject_id, method, amount=None) -> Funding
    confirm_bank_transfer(operator, transfer_id, amount) -> Funding
    refund(hold_ref, *, idempotency_key, actor=None) -> LedgerTransaction
    refund_escrow(escrow_ref, *, idempotency_key, actor=None) -> list[LedgerTransaction]
    split(hold_ref, solver, solver_percent=None, *, idempotency_key, actor=None, **options)
    handle_stripe_event(event: dict) -> str
    request_payout(user, amount) -> Payout
    request_org_payout(user, org, amount) -> Payout
    approve_payout(operator, payout_id, reference=None) -> Payout
    reject_payout(operator, payout_id, reason) -> Payout
    wallet(user, limit=50, before_id=None) -> dict
"""
from .bank_transfers import (
    confirm_bank_transfer,
    find_bank_transfer,
    flagged_fundings,
    get_bank_transfer,
    pending_bank_transfers,
    review_flag,
)
from .funding import (
    CHANNELS,
    MAX_ROW_ID,
    REFERENCE_ALPHABET,
    _record_funded,
    available_methods,
    card_enabled,
    check_amount,
    check_card_fundings,
    client_secret_for,
    default_currency,
    get_funding,
    has_pending_funding,
    is_funded,
    log,
    new_reference,
    normalise_reference,
    start_funding,
    subject_link,
)
from .payouts import (
    PAYOUT_TIMER,
    _payout_timer,
    approve_payout,
    available_balance,
    connected_account_of,
    get_payout,
    is_org_verified,
    is_verified,
    org_payouts_of,
    payouts_of,
    pending_payouts,
    reject_payout,
    request_org_payout,
    request_payout,
    send_payout_transfer,
    set_connected_account,
)
from .refunds import REFUND_TIMER, _refund_timer, refund, refund_escrow, send_card_refund, split
from .stripe_events import handle_stripe_event
from .wallet import me_wallet, wallet

__all__ = [
    "PAYOUT_TIMER",
    "_payout_timer",
    "send_payout_transfer",
    "CHANNELS",
    "MAX_ROW_ID",
    "REFERENCE_ALPHABET",
    "REFUND_TIMER",
    "_record_funded",
    "_refund_timer",
    "approve_payout",
    "available_balance",
    "available_methods",
    "card_enabled",
    "check_amount",
    "check_card_fundings",
    "client_secret_for",
    "confirm_bank_transfer",
    "connected_account_of",
    "default_currency",
    "find_bank_transfer",
    "flagged_fundings",
    "get_bank_transfer",
    "get_funding",
    "has_pending_funding",
    "get_payout",
    "handle_stripe_event",
    "is_funded",
    "is_org_verified",
    "is_verified",
    "org_payouts_of",
    "log",
    "me_wallet",
    "new_reference",
    "normalise_reference",
    "payouts_of",
    "pending_bank_transfers",
    "pending_payouts",
    "refund",
    "refund_escrow",
    "reject_payout",
    "request_org_payout",
    "request_payout",
    "review_flag",
    "send_card_refund",
    "set_connected_account",
    "split",
    "start_funding",
    "subject_link",
    "wallet",
]
