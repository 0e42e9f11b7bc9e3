"""Translated names of every status a person can see, per kind of thing (table).

The same code means different things on different things — a bid that is `accepted` was chosen
(中标), a milestone that is `accepted` had its work accepted (已验收) — so labels are looked up by
table first. Templates call `status_name("bids", bid.status)`; an unknown code falls back to the
shared names, never to the raw code where a label exists.

tests/unit/core/test_statuses.py checks that every status of every table (read from the
database's CHECK constraints) has a label here and a zh_CN translation.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS: dict[str, dict[str, object]] = {
    "tasks": {
        "draft": _l("Draft"), "open": _l("Open"), "awarded": _l("Awarded"),
        "in_progress": _l("In progress"), "selecting": _l("Selecting winners"),
        "review": _l("Operator review"), "completed": _l("Completed"), "cancelled": _l("Cancelled"),
        "expired": _l("Expired"), "refunded": _l("Refunded"),
    },
    "bids": {
        "submitted": _l("Bid placed"), "withdrawn": _l("Withdrawn"),
        "shortlisted": _l("Shortlisted"), "accepted": _l("Won"), "rejected": _l("Not chosen"),
    },
    "contracts": {
        "proposed": _l("Proposed"), "active": _l("Active"), "completed": _l("Completed"),
        "cancelled": _l("Cancelled"), "disputed": _l("Disputed"),
    },
    "milestones": {
        "pending_funding": _l("Waiting for funding"), "funded": _l("Funded"),
        "delivered": _l("Delivered"), "revision_requested": _l("Revision requested"),
        "accepted": _l("Accepted and paid"), "disputed": _l("Disputed"), "refunded": _l("Refunded"),
        "cancelled": _l("Cancelled"),
    },
    "fundings": {
        "pending": _l("Waiting for payment"), "succeeded": _l("Paid"),
        "failed": _l("Failed"), "canceled": _l("Cancelled"),
        "mismatch": _l("Amount mismatch"),
    },
    "card_refunds": {
        "pending": _l("Being refunded"), "succeeded": _l("Refunded"),
        "failed": _l("Refund failed"),
    },
    "payouts": {
        "requested": _l("Waiting for approval"), "approved": _l("Approved"), "paid": _l("Sent"),
        "rejected": _l("Rejected"), "failed": _l("Returned"),
    },
    "verification_requests": {
        "none": _l("Not verified"), "pending": _l("Verification pending"),
        "approved": _l("Verified"), "rejected": _l("Verification rejected"),
    },
    "reports": {"open": _l("Open"), "resolved": _l("Resolved")},
    "timers": {
        "pending": _l("Scheduled"), "done": _l("Done"),
        "cancelled": _l("Cancelled"), "failed": _l("Failed"),
    },
    "ledger_accounts": {"open": _l("Open"), "closed": _l("Closed")},
    "ledger_holds": {
        "open": _l("Held"), "released": _l("Released"), "refunded": _l("Refunded"),
        "split": _l("Split"), "paid": _l("Paid out"), "failed": _l("Failed"),
    },
}


def register(table: str, labels: dict[str, object]) -> None:
    """A domain adds the labels of its own table (e.g. bounties' submissions)."""
    LABELS.setdefault(table, {}).update(labels)


def status_name(table: str, status: str | None) -> str:
    if status is None:
        return ""
    label = LABELS.get(table, {}).get(status)
    if label is None:
        for labels in LABELS.values():
            if status in labels:
                label = labels[status]
                break
    return str(label) if label is not None else status
