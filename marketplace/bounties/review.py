"""Operator review of a bounty whose selection window ended with no choice: the "reviews-due"
items of the operator queue (API.md; the queue key `bounty_reviews`). Each is due within
BOUNTY_REVIEW_SLA_HOURS (default 72) of opening — the entrants' money and the poster's wait on it —
and reads "ok" below 75% of that, "due_soon" up to it, "overdue" after."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.policies import require_operator
from ..core import links
from ..core.db import utcnow
from ..core.errors import Forbidden, NotFound, ValidationFailed, WrongState
from ..extensions import db
from ..ledger import service as ledger
from ..notifications.service import notify
from ..tasks.funding import escrow_ref
from ..tasks.models import Task
from . import events, policies, transitions
from .awards import _close_review, _pay, award
from .deadlines import _refund_rest
from .judging import _reason
from .loading import get_bounty
from .models import CONTENDING_STATUSES, BountyReview, Submission
from .notices import _judge_users, _notify_participants, _notify_results


def review_sla_hours() -> int:
    return int(current_app.config.get("BOUNTY_REVIEW_SLA_HOURS", 72))


def review_due_at(review: BountyReview) -> dt.datetime:
    return review.opened_at + dt.timedelta(hours=review_sla_hours())


def review_age_hours(review: BountyReview, now: dt.datetime | None = None) -> float:
    return ((now or utcnow()) - review.opened_at).total_seconds() / 3600


def review_sla_state(review: BountyReview, now: dt.datetime | None = None) -> str:
    age, limit = review_age_hours(review, now), review_sla_hours()
    if age >= limit:
        return "overdue"
    if age >= 0.75 * limit:
        return "due_soon"
    return "ok"


def open_reviews(limit: int = 50) -> list[BountyReview]:
    return list(db.session.scalars(db.select(BountyReview).where(BountyReview.status == "open")
                                   .options(selectinload(BountyReview.task))
                                   .order_by(BountyReview.opened_at, BountyReview.id).limit(limit)))


def get_review(review_id) -> BountyReview:
    try:
        review = db.session.get(BountyReview, int(review_id))
    except (TypeError, ValueError):
        review = None
    if review is None:
        raise NotFound()
    return review


def _require_review_operator(actor, task: Task) -> None:
    require_operator(actor)
    if policies.poster_side(actor, task):
        raise Forbidden(_l("Nobody decides an operator item about their own task."))


def review_award(actor, review: BountyReview, awards, reason=None, *, now: dt.datetime | None = None) -> Task:
    """The operator chooses by the published criteria: winners by rank (single / ranked), or the
    entries to accept (piece: each paid a piece, the rest of the reward refunded)."""
    task = get_bounty(review.task_id)
    _require_review_operator(actor, task)
    reason = (reason or "").strip() or None
    if task.prize_structure == "piece":
        return _review_accept_pieces(actor, task, awards, reason, now or utcnow())
    return award(actor, task, awards, now=now, operator=True, reason=reason)


def _review_accept_pieces(actor, task: Task, awards, reason, now: dt.datetime) -> Task:
    task = get_bounty(task.id, lock=True)
    if task.status != "review":
        raise WrongState(_l("This review was already decided."))
    if not isinstance(awards, list) or not awards or any(not isinstance(a, dict) for a in awards):
        raise ValidationFailed(errors={"awards": [_l("Choose at least one winner.")]})
    ids = [a.get("submission_id") for a in awards]
    if len(set(map(str, ids))) != len(ids):
        raise ValidationFailed(errors={"awards": [_l("Each entry and each rank may be chosen once.")]})
    subs = []
    for sid in ids:
        sub = db.session.scalar(db.select(Submission).where(Submission.public_id == str(sid),
                                                            Submission.task_id == task.id).with_for_update())
        if sub is None:
            raise ValidationFailed(errors={"awards": [_l("Unknown entry.")]})
        if sub.status not in CONTENDING_STATUSES:
            raise ValidationFailed(errors={"awards": [_l("Only an eligible entry can win.")]})
        subs.append(sub)
    base = f"{escrow_ref(task)}:piece:"
    pieces = sorted((h for h in ledger.escrow_holds(escrow_ref(task)) if h.is_open and h.ref.startswith(base)),
                    key=lambda h: int(h.ref[len(base):].split(":")[0]))
    if len(subs) > len(pieces):
        raise ValidationFailed(errors={"awards": [_l("At most %(n)s entries can be accepted.", n=len(pieces))]})
    transitions.move(task, "awarded", expected=("review",))
    winners, total = [], 0
    for sub, hold in zip(subs, pieces, strict=False):
        sub.status = "accepted"
        sub.piece_no = int(hold.ref[len(base):].split(":")[0])
        sub.decided_at = now
        db.session.flush()
        sub.paid_amount = _pay(task, sub, hold.ref, actor, key=f"bounty:accept:{hold.ref}")
        total += sub.paid_amount
        winners.append({"submission_id": sub.public_id, "rank": None, "amount": sub.paid_amount,
                        "user_ids": sorted(policies.author_ids(sub))})
    _refund_rest(task, key=f"bounty:review-rest:{task.id}", actor=actor)
    _close_review(task, actor, "awarded", reason, now)
    _notify_results(task, winners)
    for user in _judge_users(task):
        notify(user, "bounty.closed", link=links.url("bounties.results", task_id=task.id), task=task.title,
               reason=str(_l("an operator chose the winners by your criteria")) + (f": {reason}" if reason else ""))
    events.bounty_awarded.send(task, task=task, winners=winners, amount=total)
    return task


def review_refund(actor, review: BountyReview, reason, *, now: dt.datetime | None = None) -> Task:
    """The operator finds no entry meets the criteria: everything goes back, with a written reason
    every participant reads."""
    reason = _reason(reason)
    now = now or utcnow()
    task = get_bounty(review.task_id)
    _require_review_operator(actor, task)
    task = get_bounty(review.task_id, lock=True)
    transitions.move(task, "refunded", expected=("review",))
    _refund_rest(task, key=f"bounty:review-refund:{task.id}", actor=actor)
    _close_review(task, actor, "refunded", reason, now)
    _notify_participants(task, "bounty.closed", reason=reason)
    return task
