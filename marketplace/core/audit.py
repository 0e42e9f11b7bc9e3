"""The audit log: every operator/admin action and every security event, append-only."""
from __future__ import annotations

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from .db import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True, index=True)
    action = db.Column(db.String(64), nullable=False, index=True)
    target_type = db.Column(db.String(40), nullable=True)
    target_id = db.Column(db.String(64), nullable=True)
    ip = db.Column(db.String(64), nullable=True)
    details = db.Column(db.JSON, nullable=False, default=dict)

    actor = db.relationship("User", lazy="joined")


# What each recorded action reads as on the audit pages (the code stays in the data, the API and
# the filter). A domain adding an action adds its words here or with register_action().
ACTIONS = {
    "api_tokens.revoked_on_password_change": _l("API tokens revoked after a password change"),
    "bounty_review.awarded": _l("Bounty review: prizes awarded"),
    "bounty_review.refunded": _l("Bounty review: reward refunded"),
    "dispute.decide": _l("Dispute decided"),
    "four_eyes.first_confirmation": _l("First of two confirmations"),
    "four_eyes.second_confirmation": _l("Second confirmation"),
    "login.account_locked": _l("Sign-in paused after wrong passwords"),
    "login.failed": _l("Sign-in failed"),
    "login.locked_out": _l("Sign-in refused while paused"),
    "login.succeeded": _l("Signed in"),
    "negative_list.remove": _l("Removed from the negative list"),
    "negative_list.set": _l("Put on the negative list"),
    "password.changed": _l("Password changed"),
    "password.reset_completed": _l("Password reset"),
    "password.reset_requested": _l("Password reset requested"),
    "payments.bank_transfer_asked": _l("Bank transfer: second confirmation asked"),
    "payments.bank_transfer_confirm": _l("Bank transfer confirmation"),
    "payments.bank_transfer_confirmed": _l("Bank transfer confirmed"),
    "payments.bank_transfer_corrected": _l("Bank transfer amount corrected"),
    "payments.bank_transfer_mismatch": _l("Bank transfer amount did not match"),
    "payments.bank_transfer_returned": _l("Bank transfer returned"),
    "payments.connected_account_set": _l("Stripe payout account set"),
    "payments.event_refused": _l("Payment event refused"),
    "payments.flag_reviewed": _l("Flagged payment reviewed"),
    "payments.funding_flagged": _l("Payment flagged"),
    "payments.org_payout_requested": _l("Organisation payout requested"),
    "payments.payout_account_saved": _l("Payout bank account saved"),
    "payments.payout_approve": _l("Payout approval"),
    "payments.payout_approved": _l("Payout approved"),
    "payments.payout_failed": _l("Payout failed"),
    "payments.payout_paid": _l("Payout paid"),
    "payments.payout_rejected": _l("Payout rejected"),
    "report.resolve": _l("Report resolved"),
    "review.replied": _l("Reply to a review"),
    "task.hide": _l("Task hidden"),
    "task.unhide": _l("Task shown again"),
    "token.created": _l("API token created"),
    "token.revoked": _l("API token revoked"),
    "user.blocklist": _l("User blocklisted"),
    "user.blocklist_lift": _l("User taken off the blocklist"),
    "user.confirmation_sent": _l("Confirmation mail sent"),
    "user.email_confirmed": _l("Email address confirmed"),
    "user.logout": _l("Signed out"),
    "user.register_attempt_existing": _l("Registration tried with an existing address"),
    "user.registered": _l("Registered"),
    "user.role_changed": _l("Role changed"),
    "user.suspend": _l("User suspended"),
    "user.unsuspend": _l("Suspension lifted"),
    "verification.approve": _l("Verification approved"),
    "verification.licence_view": _l("Business licence viewed"),
    "verification.reject": _l("Verification rejected"),
}


def register_action(code: str, label) -> None:
    """Words for an action code recorded by a domain (a lazy translatable string)."""
    ACTIONS[code] = label


def action_label(code: str) -> str:
    """The words for an action code in the current language (the code itself if it has none)."""
    label = ACTIONS.get(code)
    return str(label) if label is not None else code


def client_ip() -> str | None:
    if not has_request_context():
        return None
    return request.remote_addr


def record(action: str, *, actor=None, target=None, target_type: str | None = None,
           target_id=None, **details) -> AuditEntry:
    """Add an audit entry to the current unit of work.

    actor defaults to the logged-in user; target may be a model instance (its table and id are
    recorded). Never put secrets or full identity numbers in details.
    """
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    if target is not None:
        target_type = target_type or getattr(target, "__tablename__", type(target).__name__)
        target_id = getattr(target, "id", target)
    entry = AuditEntry(
        actor_id=getattr(actor, "id", actor),
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        ip=client_ip(),
        details=details,
    )
    db.session.add(entry)
    return entry
