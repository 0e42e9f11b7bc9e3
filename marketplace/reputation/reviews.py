"""Engagements and their double-blind reviews.

    open_engagement(kind, task, poster_id, solver_id, amount, ...) -> Engagement | None
        a finished piece of work that moved money: records "engagement completed" credit for both
        sides, opens the review window (REVIEW_WINDOW_DAYS) and schedules its closing timer
    submit_review(actor, engagement, rating, quality, communication, timeliness, text) -> Review
    publish(engagement, now)          both reviewed, or the window closed: reviews become visible
    reply(actor, review, text)        the reviewee's one public reply
    visible_reviews(viewer, engagement) -> [Review]   what this viewer may read (double-blind)

A review stays hidden from everyone, the other side included, until the engagement is published.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..core import audit, links
from ..core.db import iso, lock_row, utcnow
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed, WrongState
from ..core.money import WhenParam
from ..extensions import db
from ..jobs.service import cancel, parse_subject_ref, schedule, subject_ref
from ..notifications.service import notify, register_kind
from ..tasks.models import Task
from . import credit
from .models import Engagement, Review

PUBLISH_TIMER = "reviews.publish"
TEXT_MAX = 4000
REPLY_MAX = 2000
SCORES = ("rating", "quality", "communication", "timeliness")

register_kind("review.window_open", _l("“%(task)s” is finished. Review the other side by %(until)s; "
                                       "reviews stay hidden until both have reviewed or the time is up."))
register_kind("review.published", _l("The reviews of “%(task)s” are published."))
register_kind("review.replied", _l("%(who)s replied to your review of “%(task)s”."))


def _window_days() -> int:
    return int(current_app.config.get("REVIEW_WINDOW_DAYS", 14))


def engagement_link(engagement) -> str:
    return links.url("reputation.engagement", engagement_id=engagement.id)


def subjects(engagement, side: str) -> list[tuple[str, int]]:
    """The credit subjects of one side: its user, and the organisation it acted for, if any."""
    if side == "poster":
        pairs = [("user", engagement.poster_id), ("org", engagement.poster_org_id)]
    else:
        pairs = [("user", engagement.solver_id), ("org", engagement.solver_org_id)]
    return [(t, i) for t, i in pairs if i]


def load_engagement(engagement_id) -> Engagement:
    engagement = db.session.get(Engagement, engagement_id)
    if engagement is None:
        raise NotFound()
    return engagement


def engagement_for_contract(contract_id) -> Engagement | None:
    return db.session.execute(db.select(Engagement).where(Engagement.contract_id == contract_id)
                              ).scalar_one_or_none()


def require_party(user, engagement) -> str:
    side = engagement.side_of(getattr(user, "id", None))
    if side is None:
        raise NotFound()
    return side


# --- opening --------------------------------------------------------------------------------------

def open_engagement(kind: str, task, *, poster_id: int, solver_id: int, amount: int, currency: str = "CNY",
                    contract_id: int | None = None, poster_org_id=None, solver_org_id=None,
                    on_time: bool | None = None, now=None) -> Engagement | None:
    """Record a finished engagement. Work that moved no money does not count (returns None), nor
    does the same task and solver twice."""
    now = now or utcnow()
    if not amount or amount <= 0:
        return None
    exists = db.session.scalar(db.select(Engagement.id).where(Engagement.task_id == task.id,
                                                               Engagement.solver_id == solver_id))
    if exists is not None:
        return None
    engagement = Engagement(kind=kind, task_id=task.id, contract_id=contract_id, poster_id=poster_id,
                            solver_id=solver_id, poster_org_id=poster_org_id, solver_org_id=solver_org_id,
                            amount=amount, currency=currency, on_time=on_time, ended_at=now,
                            review_closes_at=now + dt.timedelta(days=_window_days()))
    db.session.add(engagement)
    db.session.flush()
    for side in ("poster", "solver"):
        data = {"engagement_id": engagement.id, "kind": kind, "task_id": task.id, "role": side,
                "amount": amount, "currency": currency}
        if side == "solver":
            data["on_time"] = on_time
        for subject_type, subject_id in subjects(engagement, side):
            credit.append(subject_type, subject_id, credit.ENGAGEMENT_COMPLETED, data, at=now)
    schedule(PUBLISH_TIMER, subject_ref("engagement", engagement.id), engagement.review_closes_at)
    until = WhenParam(engagement.review_closes_at)  # read in the reader's time zone
    for uid in (poster_id, solver_id):
        notify(db.session.get(User, uid), "review.window_open", link=engagement_link(engagement),
               email=False, task=task.title, until=until)
    return engagement


# --- reviewing ------------------------------------------------------------------------------------

def validate_scores(values: dict, text) -> dict:
    errors: dict[str, list] = {}
    clean = {}
    for name in SCORES:
        value = values.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors[name] = [_l("Give a whole number from 1 to 5.")]
        else:
            clean[name] = value
    text = (text or "").strip() if isinstance(text, str) or text is None else None
    if text is None:
        errors["text"] = [_l("The text must be a string.")]
    elif len(text) > TEXT_MAX:
        errors["text"] = [_l("Use at most %(n)d characters.", n=TEXT_MAX)]
    if errors:
        raise ValidationFailed(errors=errors)
    clean["text"] = text
    return clean


def submit_review(actor, engagement, *, rating, quality, communication, timeliness, text="", now=None) -> Review:
    now = now or utcnow()
    side = require_party(actor, engagement)
    clean = validate_scores({"rating": rating, "quality": quality, "communication": communication,
                             "timeliness": timeliness}, text)
    engagement = lock_row(Engagement, engagement.id)
    if engagement.published_at is not None or now >= engagement.review_closes_at:
        raise WrongState(_l("The review period of this engagement is over."))
    reviewee = engagement.solver_id if side == "poster" else engagement.poster_id
    review = Review(engagement_id=engagement.id, side=side, reviewer_id=actor.id, reviewee_id=reviewee,
                    created_at=now, **clean)
    try:
        with db.session.begin_nested():
            db.session.add(review)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("You have already reviewed this engagement.")) from None
    count = db.session.scalar(db.select(db.func.count(Review.id)).where(Review.engagement_id == engagement.id))
    if count == 2:
        publish(engagement, now)
    return review


def reviews_of(engagement) -> list[Review]:
    return list(db.session.scalars(db.select(Review).where(Review.engagement_id == engagement.id)
                                   .order_by(Review.id)))


def visible_reviews(viewer, engagement) -> list[Review]:
    """Published reviews for everyone; before that only one's own (never the other side's)."""
    reviews = reviews_of(engagement)
    if engagement.published_at is not None:
        return reviews
    viewer_id = getattr(viewer, "id", None)
    return [r for r in reviews if r.reviewer_id == viewer_id]


def publish(engagement, now) -> None:
    """Make the engagement's reviews public and record each in the reviewee's credit chain."""
    result = db.session.execute(
        db.update(Engagement).where(Engagement.id == engagement.id, Engagement.published_at.is_(None))
        .values(published_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return
    db.session.refresh(engagement)
    cancel(PUBLISH_TIMER, subject_ref("engagement", engagement.id))
    for review in reviews_of(engagement):
        reviewee_side = "solver" if review.side == "poster" else "poster"
        data = {"engagement_id": engagement.id, "review_id": review.id, "role": reviewee_side,
                "rating": review.rating, "quality": review.quality, "communication": review.communication,
                "timeliness": review.timeliness, "amount": engagement.amount}
        for subject_type, subject_id in subjects(engagement, reviewee_side):
            credit.append(subject_type, subject_id, credit.REVIEW_PUBLISHED, data, at=now)
    task = db.session.get(Task, engagement.task_id)
    for uid in (engagement.poster_id, engagement.solver_id):
        notify(db.session.get(User, uid), "review.published", link=engagement_link(engagement),
               email=False, task=task.title)


def close_window(ref: str, now) -> None:
    """Timer: the review window closed; publish whatever reviews were given."""
    _name, engagement_id = parse_subject_ref(ref)
    engagement = lock_row(Engagement, engagement_id)
    if engagement is None:
        raise NotFound()
    if engagement.published_at is not None:
        raise WrongState("already published")
    if now < engagement.review_closes_at:
        raise WrongState("window still open")
    publish(engagement, now)


def reply(actor, review, text: str, *, now=None) -> Review:
    """The reviewee answers a published review once, in public."""
    now = now or utcnow()
    engagement = db.session.get(Engagement, review.engagement_id)
    if engagement.published_at is None:
        raise NotFound()
    if actor is None or actor.id != review.reviewee_id:
        raise Forbidden(_l("Only the reviewed person can reply."))
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationFailed(errors={"text": [_l("Write a reply.")]})
    if len(text) > REPLY_MAX:
        raise ValidationFailed(errors={"text": [_l("Use at most %(n)d characters.", n=REPLY_MAX)]})
    result = db.session.execute(
        db.update(Review).where(Review.id == review.id, Review.reply.is_(None))
        .values(reply=text, replied_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_l("You have already replied to this review."))
    db.session.refresh(review)
    task = db.session.get(Task, engagement.task_id)
    audit.record("review.replied", actor=actor, target=review)
    notify(db.session.get(User, review.reviewer_id), "review.replied", link=engagement_link(engagement),
           email=False, who=actor.display_name, task=task.title)
    return review


def load_review(review_id) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound()
    return review


def public_reviews_of(user_id: int, limit: int = 20) -> list[Review]:
    """Published reviews received by a user, newest first, reviewers and engagements loaded."""
    return list(db.session.scalars(
        db.select(Review).join(Engagement, Engagement.id == Review.engagement_id)
        .where(Review.reviewee_id == user_id, Engagement.published_at.is_not(None))
        .options(joinedload(Review.reviewer), joinedload(Review.engagement))
        .order_by(Review.id.desc()).limit(limit)))


def pending_for(user) -> list[Engagement]:
    """Engagements whose window is open and that this user has not reviewed yet."""
    mine = db.select(Review.engagement_id).where(Review.reviewer_id == user.id)
    return list(db.session.scalars(
        db.select(Engagement).where(db.or_(Engagement.poster_id == user.id, Engagement.solver_id == user.id),
                                    Engagement.published_at.is_(None), Engagement.id.not_in(mine))
        .options(joinedload(Engagement.task)).order_by(Engagement.review_closes_at)))


def review_payload(review, *, names: bool = True) -> dict:
    data = {"id": review.id, "engagement_id": review.engagement_id, "side": review.side,
            "reviewer_id": review.reviewer_id, "reviewee_id": review.reviewee_id,
            "rating": review.rating, "quality": review.quality, "communication": review.communication,
            "timeliness": review.timeliness, "text": review.text, "created_at": iso(review.created_at),
            "reply": review.reply, "replied_at": iso(review.replied_at)}
    return data
