"""Translated names of dispute statuses and subjects."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {"open": _l("Open"), "settled": _l("Settled"), "decided": _l("Decided"),
                 "withdrawn": _l("Withdrawn")}
SUBJECT_LABELS = {"milestone": _l("Milestone"), "claim": _l("Claim"), "bounty": _l("Bounty outcome")}


def status_label(status: str) -> str:
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def subject_label(subject: str) -> str:
    label = SUBJECT_LABELS.get(subject)
    return str(label) if label is not None else subject
