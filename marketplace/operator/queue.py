"""The operator's work queue, assembled from the sections that domains provide.

A domain provides sections by connecting a receiver to `core.events.queue_sections` that returns a
`QueueSection` (or a list of them):

    def queue_sections(_sender=None):
        return QueueSection("payouts", title=_l("Payouts to approve"), loader=pending_payouts,
                            template="payments/_queue_payouts.html", api_serializer=serialize_payout)

    connect(core_events.queue_sections, queue_sections)        # in the domain's init_app

`loader(limit)` returns the pending items (oldest first); the page includes `template` with
`section` and `items` in its context; `GET /api/v1/operator/queue` lists each item through
`api_serializer(item)`, which must give the item's own `id` and the subject's `user_id`
(bounty reviews: `task_id`). A later section with the same key replaces an earlier one.
"""
from __future__ import annotations

from ..core.events import QueueSection, collect, queue_sections

# The keys of the queue document in API.md, in display order; each is a list, empty when no
# domain provides it.
API_KEYS = ("verifications", "bank_transfers", "payouts", "disputes", "reports", "bounty_reviews")

Section = QueueSection  # the name the templates and older callers use


def sections() -> dict[str, QueueSection]:
    """Every provided section by key (a later one replaces an earlier one with the same key)."""
    return {section.key: section for section in collect(queue_sections)}


def ordered_sections() -> list[QueueSection]:
    by_key = sections()
    known = [by_key[k] for k in API_KEYS if k in by_key]
    extra = [s for k, s in by_key.items() if k not in API_KEYS]
    return known + extra


def load(limit: int = 50) -> list[tuple[QueueSection, list]]:
    """Every section with its pending items, for the page."""
    return [(section, list(section.loader(limit))) for section in ordered_sections()]


def as_json(limit: int = 50) -> dict:
    """The queue document: every API key present, plus any extra provided sections."""
    data = {key: [] for key in API_KEYS}
    for section, items in load(limit):
        data[section.key] = [section.api_serializer(item) for item in items]
    return data
