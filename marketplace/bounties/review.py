"""Operator review of a bounty whose selection window ended with no choice."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.policies import require_operator
from ..core.db import utcnow
from ..core.errors import Forbidden, NotFound, WrongState
from ..extensions import db
from ..tasks.models import Task
from . import policies, transitions
from .awards import _close_review, award
from .deadlines import _refund_rest
from .judging import _reason
from .loading import get_bounty
from .models import BountyReview
from .notices import _notify_participants


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
    task = get_bounty(review.task_id)
    _require_review_operator(actor, task)
    if task.prize_structure == "piece":
        raise WrongState(_l("A piece bounty in review is closed by accepting entries or a refund."))
    return award(actor, task, awards, now=now, operator=True, reason=(reason or "").strip() or None)


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
