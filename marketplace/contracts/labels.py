"""Translated names of the statuses shown on bid, contract, milestone and dashboard pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    # contracts
    "proposed": _l("Proposed"), "active": _l("Active"), "completed": _l("Completed"),
    "cancelled": _l("Cancelled"), "disputed": _l("Disputed"),
    # milestones
    "pending_funding": _l("Waiting for funding"), "funded": _l("Funded"), "delivered": _l("Delivered"),
    "revision_requested": _l("Revision requested"), "accepted": _l("Accepted"), "refunded": _l("Refunded"),
    # bids
    "submitted": _l("Submitted"), "withdrawn": _l("Withdrawn"), "shortlisted": _l("Shortlisted"),
    "rejected": _l("Not chosen"),
    # tasks
    "draft": _l("Draft"), "open": _l("Open"), "awarded": _l("Awarded"), "in_progress": _l("In progress"),
    "selecting": _l("Selecting winners"), "review": _l("Operator review"), "expired": _l("Expired"),
}


def status_label(status: str) -> str:
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status
