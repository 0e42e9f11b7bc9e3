"""Translated names of the statuses of bounty entries, held prizes and operator reviews (see core.statuses)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.statuses import register as register_labels

SUBMISSION_LABELS = {
    "submitted": _l("Awaiting judging"), "withdrawn": _l("Withdrawn"), "eligible": _l("Eligible"),
    "ineligible": _l("Ineligible"), "accepted": _l("Accepted piece"), "rejected": _l("Rejected"),
    "winner": _l("Winner"),
}
REVIEW_LABELS = {"open": _l("Waiting for an operator"), "awarded": _l("Awarded"), "refunded": _l("Refunded")}
PRIZE_LABELS = {"held": _l("Held for the dispute window"), "disputed": _l("Held: in dispute"),
                "released": _l("Paid"), "split": _l("Divided by a dispute")}


def register() -> None:
    register_labels("bounty_submissions", SUBMISSION_LABELS)
    register_labels("bounty_reviews", REVIEW_LABELS)
    register_labels("bounty_prizes", PRIZE_LABELS)
