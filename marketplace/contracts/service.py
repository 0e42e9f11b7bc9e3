"""Contracts and milestones: award a bid, accept the contract, fund, deliver, accept (release) or
request a revision, mutual cancel; and the claim (抢单) flow: claim, mark done, confirm, abandon.

A claim is a contract of kind "claim" with one milestone whose money is the task's escrow (funded
before the task opened); marking it done is a delivery and confirming it is an acceptance.

Every transition that two requests can race is a conditional UPDATE on the status (the loser sees
rowcount 0 and gets a 409), backed by unique indexes (one live contract per task, one bid per
contract). Money moves only through `ledger.service`, each with an idempotency key built from local
ids, so even a replay posts once.

Each flow lives in its own module (`award`, `milestones`, `cancel`, `claims`, `timers`, `messages`;
`loading` for loading and shared helpers, `notices` for notification kinds, `policies` for who may
see and act); this module gathers their public functions.
"""
from .award import _schedule_due_dates, accept_contract, award_bid, validate_milestones
from .cancel import cancel_contract
from .claims import abandon_claim, claim_task, task_escrow_ref
from .loading import (
    AUTO_ACCEPT_TIMER,
    AUTO_CONFIRM_TIMER,
    CLAIM_EXPIRE_TIMER,
    MAX_MILESTONES,
    MAX_NOTE,
    MAX_TITLE,
    _task,
    _user,
    contract_link,
    contract_of,
    load_contract,
    load_milestone,
    milestones_of,
)
from .messages import send_message, thread
from .milestones import (
    MilestoneFundable,
    accept_milestone,
    deliver_milestone,
    deliveries_of,
    fund_milestone,
    load_fundable,
    mark_funded,
    milestone_escrow_ref,
    request_revision,
)
from .policies import can_message, is_party, is_poster_side, require_party
from .timers import auto_accept, expire_claim, on_task_published

__all__ = [
    "AUTO_ACCEPT_TIMER",
    "AUTO_CONFIRM_TIMER",
    "CLAIM_EXPIRE_TIMER",
    "MAX_MILESTONES",
    "MAX_NOTE",
    "MAX_TITLE",
    "MilestoneFundable",
    "_schedule_due_dates",
    "_task",
    "_user",
    "abandon_claim",
    "accept_contract",
    "accept_milestone",
    "auto_accept",
    "award_bid",
    "can_message",
    "cancel_contract",
    "claim_task",
    "contract_link",
    "contract_of",
    "deliver_milestone",
    "deliveries_of",
    "expire_claim",
    "fund_milestone",
    "is_party",
    "is_poster_side",
    "load_contract",
    "load_fundable",
    "load_milestone",
    "mark_funded",
    "milestone_escrow_ref",
    "milestones_of",
    "on_task_published",
    "request_revision",
    "require_party",
    "send_message",
    "task_escrow_ref",
    "thread",
    "validate_milestones",
]
