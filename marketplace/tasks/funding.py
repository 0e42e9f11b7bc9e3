"""The task side of escrow funding: claims and bounties are funded in full before they open.

Registered with payments as fundable kind "task". The escrow reference is "task:<id>"; the money
is held in purposes other domains release one by one:

    claim                     one hold  "task:<id>"
    bounty single / ranked    one hold per prize   "task:<id>:prize:<rank>" (rank 1 = first prize)
    bounty piece              one hold per piece   "task:<id>:piece:<n>"   (n = 1..max_pieces)
"""
from __future__ import annotations

from ..accounts.models import User
from ..core import links
from ..extensions import db
from ..ledger.fees import fee_breakdown_of
from ..payments import fundables
from . import policies
from .lifecycle import mark_funded, refund_task_escrow  # noqa: F401  (refund_task_escrow: old import path)
from .loading import escrow_ref
from .models import Task


def hold_plan(task: Task) -> list[tuple[str, int]] | None:
    """The holds the funding creates, or None for a single hold named like the escrow."""
    ref = escrow_ref(task)
    if task.mode != "bounty":
        return None
    if task.prize_structure == "piece":
        return [(f"{ref}:piece:{n}", task.unit_price) for n in range(1, (task.max_pieces or 0) + 1)]
    return [(f"{ref}:prize:{rank}", amount) for rank, amount in enumerate(task.prizes or [], start=1)]


def escrow_fees(task: Task) -> dict:
    """What the poster pays into the task's escrow and what solvers receive of it after the platform
    fee ({gross, fee, net, bps}), each prize or piece counted as the release that pays it."""
    plan = hold_plan(task)
    return fee_breakdown_of([amount for _ref, amount in plan] if plan else [task.reward_total or 0],
                            task.category)


class TaskFundable:
    """What payments needs to know to fund a task's escrow."""

    def __init__(self, task: Task):
        self.task = task

    @property
    def escrow_ref(self) -> str:
        return escrow_ref(self.task)

    @property
    def amount(self) -> int | None:
        return self.task.reward_total

    @property
    def currency(self) -> str:
        return self.task.currency

    @property
    def payer(self):
        if self.task.org_id is not None:
            return policies.load_org(self.task.org_id)
        return self.payer_user

    @property
    def payer_user(self):
        return db.session.get(User, self.task.poster_id)

    @property
    def title(self) -> str:
        return self.task.title

    @property
    def link(self) -> str:
        return links.task(self.task)

    @property
    def holds(self):
        return hold_plan(self.task)

    @property
    def fees(self) -> dict:
        return escrow_fees(self.task)

    def accepts_funding(self) -> bool:
        return (self.task.needs_escrow and self.task.status == "draft" and not self.task.escrow_funded
                and self.task.hidden_at is None)

    def can_fund(self, user) -> bool:
        return self.accepts_funding() and policies.can_manage(user, self.task)

    def can_view(self, user) -> bool:
        return policies.can_view(user, self.task)  # the task page's visibility

    def on_funded(self, funding) -> None:
        mark_funded(self.task, funding.amount)


def load_fundable(subject_id) -> TaskFundable | None:
    try:
        task = db.session.get(Task, int(subject_id))
    except (TypeError, ValueError):
        return None
    # Tenders are paid milestone by milestone through their contract, never as a task.
    return TaskFundable(task) if task is not None and task.needs_escrow else None


def register() -> None:
    fundables.register("task", load_fundable)
