"""Translated names of dispute statuses (registered with core.statuses) and subjects."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.statuses import register, status_name

STATUS_LABELS = {"open": _l("Dispute open"), "settled": _l("Settled by the parties"),
                 "decided": _l("Decided by an operator"), "withdrawn": _l("Dispute withdrawn")}
SUBJECT_LABELS = {"milestone": _l("Milestone"), "claim": _l("Claim"), "bounty": _l("Bounty outcome")}

register("disputes", STATUS_LABELS)


def status_label(status: str) -> str:
    return status_name("disputes", status)


def subject_label(subject: str) -> str:
    label = SUBJECT_LABELS.get(subject)
    return str(label) if label is not None else subject
