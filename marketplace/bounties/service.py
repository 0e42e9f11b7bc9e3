"""Bounty use cases: submissions into the vault, judging, awards, piece acceptance, deadlines,
operator review, raising the reward and extending the deadline.

Money moves only through the ledger (release / release_shared / refund / fund_escrow); task
status only through `transitions.move`. Services never commit.

    sub = submit(solver, task, text="方案…", files=[...], coauthors=[{"user_id": 7, "share_bps": 4000}])
    award(poster, task, [{"submission_id": sub.public_id, "rank": 1}])

Each use case lives in its own module (`submitting`, `judging`, `awards`, `amend`, `deadlines`,
`review`; `loading` for loading entries, `notices` for who is told what); this module gathers
their public functions.
"""
from .amend import amend
from .awards import accept_piece, award, release_prize
from .deadlines import deadline_passed, on_task_published, refuse_cancel_with_entries, selection_ended
from .judging import mark_eligible, reject, set_note, set_shortlisted
from .loading import (
    COAUTHORS_MAX,
    DEADLINE_TIMER,
    FILES_MAX,
    NOTE_MAX,
    PRIZE_TIMER,
    REASON_MAX,
    SELECTION_TIMER,
    TEXT_MAX,
    entries_for,
    find_receipt,
    get_bounty,
    get_submission,
    get_visible_bounty,
    get_visible_file,
    get_visible_submission,
    live_count,
    live_counts,
    load_full,
    may_dispute_award,
    my_submissions,
    prizes_by_entry,
    prizes_of_entries,
    results,
    selection_ends_at,
)
from .notices import participant_ids
from .review import get_review, open_reviews, review_award, review_refund
from .submitting import parse_coauthors, replace, submit, withdraw

__all__ = [
    "COAUTHORS_MAX",
    "DEADLINE_TIMER",
    "FILES_MAX",
    "NOTE_MAX",
    "PRIZE_TIMER",
    "REASON_MAX",
    "SELECTION_TIMER",
    "TEXT_MAX",
    "accept_piece",
    "amend",
    "award",
    "deadline_passed",
    "entries_for",
    "find_receipt",
    "get_bounty",
    "get_review",
    "get_submission",
    "get_visible_bounty",
    "get_visible_file",
    "get_visible_submission",
    "live_count",
    "live_counts",
    "load_full",
    "may_dispute_award",
    "mark_eligible",
    "my_submissions",
    "on_task_published",
    "open_reviews",
    "parse_coauthors",
    "participant_ids",
    "prizes_by_entry",
    "prizes_of_entries",
    "refuse_cancel_with_entries",
    "release_prize",
    "reject",
    "replace",
    "results",
    "review_award",
    "review_refund",
    "selection_ended",
    "selection_ends_at",
    "set_note",
    "set_shortlisted",
    "submit",
    "withdraw",
]
