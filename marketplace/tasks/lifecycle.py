"""A task's life after its draft: publishing (with the publish limit), cancelling, funding. Other
domains react through the signals of `tasks.events`."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..accounts.policies import ensure_not_blocklisted
from ..core.db import utcnow
from ..core.errors import DomainError, Forbidden, ValidationFailed, WrongState
from ..core.money import format_money
from ..core.negative_list import check_task_text
from ..extensions import db
from ..notifications.service import notify
from ..payments.service import refund_escrow
from ..verification.service import is_org_verified, is_verified
from . import events, policies
from .invitations import invites_of
from .loading import escrow_ref, get_task, task_link
from .models import Task, TaskInvite
from .posting import _current_values
from .transitions import move
from .validation import _deadline_errors, validate_fields


def _is_verified(user) -> bool:
    return is_verified(user)


def publish_limit_exceeded(task: Task) -> bool:
    """Whether the task's amount is above what a poster who is not verified may publish."""
    limit = current_app.config.get("UNVERIFIED_PUBLISH_LIMIT")
    amount = task.reward_total or 0
    if limit is None or amount <= limit:
        return False
    if _is_verified(db.session.get(User, task.poster_id)):
        return False
    if task.org_id is not None:  # posting for a verified organisation counts as verified
        return not is_org_verified(policies.load_org(task.org_id))
    return True


def _amount_field(task: Task) -> str:
    if task.mode == "tender":
        return "budget_max"
    if task.mode == "claim":
        return "price"
    return "unit_price" if task.prize_structure == "piece" else "prizes"


def publish_task(actor, task: Task, *, now: dt.datetime | None = None) -> Task:
    """Open a draft. A tender opens at once; a claim or bounty only once its escrow is funded
    (409 otherwise). Posters who are not verified may not publish above UNVERIFIED_PUBLISH_LIMIT."""
    policies.require_manage(actor, task)
    ensure_not_blocklisted(actor)
    now = now or utcnow()
    task = get_task(task.id, lock=True)
    if task.status != "draft":
        raise WrongState(_l("Only a draft can be published."))
    if task.hidden_at is not None:
        raise WrongState(_l("This task was hidden by an operator."))
    clean = validate_fields(task.mode, _current_values(task), now=now, future=False)
    past = _deadline_errors(task.mode, clean, now)
    if past:
        raise ValidationFailed(_l("Move the deadlines into the future before publishing."), errors=past)
    check_task_text(title=task.title, description=task.description, category=task.category)
    if publish_limit_exceeded(task):
        raise Forbidden(_l("Verify your identity to publish tasks above %(limit)s.",
                           limit=_money(current_app.config["UNVERIFIED_PUBLISH_LIMIT"], task.currency)),
                        errors={_amount_field(task): [_l("Above the limit for posters who are not verified.")]})
    if task.needs_escrow and not task.escrow_funded:
        raise WrongState(_l("Fund the escrow before publishing: claims and bounties open only when the "
                            "whole reward is held."))
    move(task, to="open", expected="draft", published_at=now, updated_at=now)
    invites = list(db.session.scalars(db.select(TaskInvite).where(TaskInvite.task_id == task.id)))
    _notify_invitees(task, invites)
    events.task_published.send(task=task)
    return task


def _money(amount, currency):
    return format_money(amount, currency)


def _notify_invitees(task: Task, invites, kind: str = "task.invited") -> None:
    if not invites:
        return
    users = db.session.scalars(db.select(User).where(User.id.in_([i.solver_id for i in invites])))
    for user in users:
        notify(user, kind, link=task_link(task), task=task.title)


def cancel_task(actor, task: Task, *, now: dt.datetime | None = None) -> Task:
    """Cancel a draft or an open task nobody has been awarded. A funded claim or bounty has its
    escrow refunded to its payer through payments (to the card it came from, else the wallet)."""
    policies.require_manage(actor, task)
    now = now or utcnow()
    task = get_task(task.id, lock=True)
    if task.status not in ("draft", "open"):
        raise WrongState(_l("Only a draft or an open task without an award can be cancelled."))
    if task.mode == "claim" and task.claimant_id is not None:
        raise WrongState(_l("This task has been claimed; cancel the contract instead."))
    events.task_cancel_check.send(task=task)
    if task.escrow_funded:
        refund_task_escrow(task, actor)
        task.escrow_funded = False
        task.escrow_amount = 0
    was_open = task.status == "open"
    move(task, to="cancelled", expected=("draft", "open"), cancelled_at=now, updated_at=now)
    if was_open:
        _notify_invitees(task, invites_of(task), kind="task.cancelled")
    events.task_cancelled.send(task=task)
    return task


def mark_funded(task: Task, amount: int, *, now: dt.datetime | None = None) -> Task:
    """The escrow of a task now holds `amount` (called by the payments fundable)."""
    task = get_task(task.id, lock=True)
    task.escrow_funded = True
    task.escrow_amount = amount
    task.updated_at = now or utcnow()
    poster = db.session.get(User, task.poster_id)
    if task.publish_when_funded and task.status == "draft":
        return _publish_once_funded(poster, task, now)
    notify(poster, "task.funded", link=task_link(task), task=task.title)
    return task


def check_publishable(task: Task, *, now: dt.datetime | None = None) -> None:
    """What publish_task would refuse apart from the missing escrow (the negative list, the limit
    for posters who are not verified), checked before a household pays for a job that then could
    not open."""
    check_task_text(title=task.title, description=task.description, category=task.category)
    if publish_limit_exceeded(task):
        raise Forbidden(_l("Verify your identity to publish tasks above %(limit)s.",
                           limit=_money(current_app.config["UNVERIFIED_PUBLISH_LIMIT"], task.currency)),
                        errors={_amount_field(task): [_l("Above the limit for posters who are not verified.")]})


def _publish_once_funded(poster, task: Task, now) -> Task:
    """Open a task posted and paid in one step. If it can no longer open (its time window passed
    while the transfer travelled, the poster lost the right), it stays a funded draft and the
    poster is told why; the payment itself is never undone here."""
    try:
        with db.session.begin_nested():
            publish_task(poster, task, now=now)
    except DomainError as exc:
        reasons = "; ".join(str(m) for msgs in (exc.errors or {}).values() for m in msgs)
        notify(poster, "task.funded_not_opened", link=task_link(task), task=task.title,
               reason=f"{exc.message} {reasons}".strip())
        return task
    notify(poster, "task.funded_and_opened", link=task_link(task), task=task.title)
    return task


def refund_task_escrow(task: Task, actor=None) -> None:
    """Return a cancelled task's escrow to its payer (to the card it came from, else the wallet)."""
    refund_escrow(escrow_ref(task), idempotency_key=f"cancel:{escrow_ref(task)}", actor=actor)
