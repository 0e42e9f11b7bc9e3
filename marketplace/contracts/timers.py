"""Timers of contracts and claims: a claim expiring unclaimed, a delivery accepted automatically."""
from __future__ import annotations

from ..core.db import lock_row
from ..core.errors import NotFound, WrongState
from ..jobs.service import parse_subject_ref, schedule, subject_ref
from ..notifications.service import notify
from ..tasks.funding import refund_task_escrow
from ..tasks.models import Task
from ..tasks.service import task_link
from ..tasks.transitions import move
from .loading import CLAIM_EXPIRE_TIMER, _user
from .milestones import accept_milestone
from .models import Milestone


def on_task_published(_sender=None, *, task) -> None:
    """tasks.events.task_published receiver: a published claim expires, refunded, if nobody has claimed it when its time window ends."""
    if task.mode == "claim" and task.window_end is not None:
        schedule(CLAIM_EXPIRE_TIMER, subject_ref("task", task.id), task.window_end)


def expire_claim(subject_ref: str, now) -> None:
    """Timer: the time window of an open claim ended and nobody holds it. The task expires and its
    escrow goes back to the payer. A claimed (or reopened and claimed again) task is left alone."""
    _name, task_id = parse_subject_ref(subject_ref)
    task = lock_row(Task, task_id)
    if task is None:
        raise NotFound()
    if task.mode != "claim" or task.status != "open" or task.claimant_id is not None:
        raise WrongState("claim no longer open")
    if task.window_end is not None and now < task.window_end:
        raise WrongState("time window not over")
    if task.escrow_funded:
        refund_task_escrow(task)
        task.escrow_funded = False
        task.escrow_amount = 0
    move(task, to="expired", expected="open", updated_at=now)
    notify(_user(task.poster_id), "claim.expired", link=task_link(task), task=task.title)


def auto_accept(subject_ref: str, now) -> None:
    """Timer: a delivery that got no answer within the review period is accepted."""
    _name, milestone_id = parse_subject_ref(subject_ref)
    milestone = lock_row(Milestone, milestone_id)
    if milestone is None:
        raise NotFound()
    if milestone.status != "delivered":
        raise WrongState("milestone not delivered")
    if milestone.review_due_at is not None and now < milestone.review_due_at:
        raise WrongState("review period not over")
    accept_milestone(None, milestone, now=now, auto=True)
