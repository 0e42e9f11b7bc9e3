"""Payments: money coming in (Stripe card payments confirmed by signed webhooks, corporate bank
transfers confirmed by an operator, wallet balance) for any registered fundable subject, refunds
back to the card, and payouts out of wallets. The only module that imports `stripe`; money rows
are written only through the ledger."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..accounts import events as accounts_events
from ..accounts.models import User
from ..api import idempotency  # noqa: F401  (its model)
from ..core import events as core_events
from ..core import four_eyes, links
from ..core.events import QueueSection
from ..extensions import csrf, db
from ..jobs.service import register_handler
from ..ledger.fees import fee_breakdown
from ..ledger.verify import register_check
from ..notifications.service import register_kind
from ..organisations.models import Organisation
from ..organisations.policies import can_act_for
from . import api, fundables, models, references, service  # noqa: F401  (api and models register routes and tables on import)
from .api import serialize_bank_transfer, serialize_flagged, serialize_payout
from .bank_transfers import CONFIRM_ACTION
from .payouts import APPROVE_ACTION
from .routes import bp
from .webhooks import bp as webhooks_bp

NOTIFICATION_KINDS = {
    "payments.funding_succeeded": _l("Your payment of %(amount)s for “%(title)s” was received."),
    "payments.funding_to_wallet": _l("A payment of %(amount)s for “%(title)s” arrived after it was "
                                     "already funded; the money was added to your wallet."),
    "payments.funding_failed": _l("Your card payment for “%(title)s” failed: %(message)s"),
    "payments.funding_canceled": _l("The card payment for “%(title)s” was canceled."),
    "payments.bank_transfer_started": _l("Transfer %(amount)s with reference %(reference)s to pay for "
                                         "“%(title)s”."),
    "payments.bank_transfer_mismatch": _l("We received %(received)s for transfer %(reference)s but "
                                          "expected %(amount)s, so “%(title)s” was not funded. An "
                                          "operator will contact you."),
    "payments.bank_transfer_returned": _l("The %(received)s we received with reference %(reference)s "
                                          "for “%(title)s” was sent back to your bank account: "
                                          "%(reason)s"),
    "payments.bank_transfer_question": _l("About your transfer %(reference)s for “%(title)s” (we "
                                          "received %(received)s, expected %(amount)s): %(message)s"),
    "payments.card_refund_sent": _l("%(amount)s for “%(title)s” was refunded to your card."),
    "payments.payout_requested": _l("Your payout request of %(amount)s is waiting for approval."),
    "payments.payout_paid": _l("Your payout of %(amount)s was sent (reference %(reference)s)."),
    "payments.payout_rejected": _l("Your payout of %(amount)s was rejected: %(reason)s. The money is "
                                   "back in your wallet."),
    "payments.payout_failed": _l("Your payout of %(amount)s could not be sent; the money is back in "
                                 "your wallet."),
    "payments.org_payout_requested": _l("Your payout request of %(amount)s from the wallet of %(org)s is "
                                        "waiting for approval."),
    "payments.org_payout_requested_by": _l("%(requester)s asked for a payout of %(amount)s from the wallet of "
                                           "%(org)s."),
    "payments.org_payout_paid": _l("The payout of %(amount)s from the wallet of %(org)s was sent "
                                   "(reference %(reference)s)."),
    "payments.org_payout_rejected": _l("The payout of %(amount)s from the wallet of %(org)s was rejected: "
                                       "%(reason)s. The money is back in the organisation's wallet."),
    "payments.org_payout_failed": _l("The payout of %(amount)s from the wallet of %(org)s could not be "
                                     "sent; the money is back in the organisation's wallet."),
}


class WalletTopUp:
    """The fundable "wallet": a user adds money to their own wallet (by card or bank transfer)."""
    target = "wallet"
    amount = None  # chosen by the payer

    def __init__(self, user):
        self.user = user
        self.payer = user
        self.payer_user = user
        self.escrow_ref = f"wallet:user:{user.id}"
        self.title = _l("Wallet top-up")

    @property
    def currency(self) -> str:
        return current_app.config.get("DEFAULT_CURRENCY", "CNY")

    def can_fund(self, user) -> bool:
        return user is not None and getattr(user, "id", None) == self.user.id

    def on_funded(self, funding) -> None:
        """The ledger credited the wallet; nothing else changes."""


def load_wallet_topup(subject_id):
    try:
        user = db.session.get(User, int(subject_id))
    except (TypeError, ValueError):
        return None
    return WalletTopUp(user) if user is not None else None


class OrgWalletTopUp:
    """The fundable "org_wallet": an owner or manager adds money to the organisation's wallet (the
    wallet that pays for the organisation's tasks and milestones)."""
    target = "wallet"
    amount = None

    def __init__(self, org):
        self.org = org
        self.payer = org
        self.payer_user = None
        self.escrow_ref = f"wallet:org:{org.id}"
        self.title = _l("Top-up of the wallet of %(org)s", org=org.name)
        self.link = links.org(org)

    @property
    def currency(self) -> str:
        return current_app.config.get("DEFAULT_CURRENCY", "CNY")

    def can_fund(self, user) -> bool:
        return can_act_for(user, self.org)

    def on_funded(self, funding) -> None:
        """The ledger credited the organisation's wallet; nothing else changes."""


def load_org_wallet_topup(subject_id):
    try:
        org = db.session.get(Organisation, int(subject_id))
    except (TypeError, ValueError, OverflowError):
        return None
    return OrgWalletTopUp(org) if org is not None else None


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(webhooks_bp)
    csrf.exempt(webhooks_bp)
    fundables.register("wallet", load_wallet_topup)
    fundables.register("org_wallet", load_org_wallet_topup)
    app.jinja_env.globals["fee_breakdown"] = fee_breakdown  # noqa: F821
    # Four eyes: the first confirmations waiting for a second operator, by item id (queue and pages).
    app.jinja_env.globals["transfers_waiting"] = lambda items: four_eyes.waiting(CONFIRM_ACTION, items)
    app.jinja_env.globals["payouts_waiting"] = lambda items: four_eyes.waiting(APPROVE_ACTION, items)
    app.jinja_env.globals["four_eyes_limit"] = four_eyes.threshold
    references.init()
    _register_hooks()


def _register_hooks():
    for kind, template in NOTIFICATION_KINDS.items():
        register_kind(kind, template)
    core_events.connect(accounts_events.me_payload, service.me_wallet)
    register_handler(service.REFUND_TIMER, service._refund_timer)
    register_handler(service.PAYOUT_TIMER, service._payout_timer)
    register_check("payments: one funding transaction per succeeded card payment", service.check_card_fundings)
    core_events.connect(core_events.queue_sections, queue_sections)


def queue_sections(_sender=None) -> list:
    """core.events.queue_sections receiver: bank transfers, payouts and flagged payments."""
    return [
        QueueSection("bank_transfers", title=_l("Bank transfers to confirm"),
                     loader=service.pending_bank_transfers,
                     template="payments/_queue_bank_transfers.html", api_serializer=serialize_bank_transfer),
        QueueSection("payouts", title=_l("Payouts to approve"), loader=service.pending_payouts,
                     template="payments/_queue_payouts.html", api_serializer=serialize_payout),
        QueueSection("flagged_payments", title=_l("Payments to look at"), loader=service.flagged_fundings,
                     template="payments/_queue_flagged.html", api_serializer=serialize_flagged),
    ]
