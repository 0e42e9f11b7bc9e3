"""Bids on tenders: place, edit, withdraw (until the bid deadline), shortlist, reject, list.

The award itself creates a contract and lives in `contracts.service.award_bid`.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..accounts.policies import ensure_not_blocklisted
from ..core import links
from ..core.db import conditional_update, lock_row, utcnow
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed, WrongState
from ..core.files import ATTACHMENT_KINDS, delete_stored, store_upload
from ..core.money import MAX_AMOUNT, WhenParam, format_money
from ..extensions import db
from ..jobs.service import cancel, parse_subject_ref, schedule, subject_ref
from ..notifications.service import notify, register_kind
from ..organisations.models import Organisation
from ..organisations.policies import can_act_for
from ..tasks.models import Task
from ..tasks.policies import require_view
from ..tasks.transitions import move
from . import policies
from .models import LIVE_STATUSES, Bid, BidAttachment

MAX_DAYS = 3650
MAX_PROPOSAL = 20000
MAX_FILES = 10

register_kind("bid.placed", _l("%(solver)s bid %(amount)s on “%(task)s”."))
register_kind("bid.updated", _l("%(solver)s changed the bid on “%(task)s”."))
register_kind("bid.withdrawn", _l("%(solver)s withdrew the bid on “%(task)s”."))
register_kind("bid.shortlisted", _l("Your bid on “%(task)s” was shortlisted."))
register_kind("bid.rejected", _l("Your bid on “%(task)s” was not chosen."))
register_kind("tender.bidding_closed", _l("Bidding on “%(task)s” has closed with %(count)s bid(s). Choose one before %(until)s."))
register_kind("tender.expired", _l("“%(task)s” expired without an award."))


def _money(amount, currency):
    return format_money(amount, currency)


def task_link(task) -> str:
    return links.task_bids(task)


# --- validation ---------------------------------------------------------------------------------

def validate_bid_fields(amount, days, proposal) -> dict:
    errors: dict = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = [_l("The amount must be greater than zero.")]
    elif amount > MAX_AMOUNT:
        errors["amount"] = [_l("The amount is too large.")]
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        errors["days"] = [_l("Enter a number of days greater than zero.")]
    elif days > MAX_DAYS:
        errors["days"] = [_l("At most %(n)s days.", n=MAX_DAYS)]
    proposal = (proposal or "").strip()
    if not proposal:
        errors["proposal"] = [_l("Describe how you will do the work.")]
    elif len(proposal) > MAX_PROPOSAL:
        errors["proposal"] = [_l("At most %(n)s characters.", n=MAX_PROPOSAL)]
    return errors


def store_files(files, field: str = "files", kinds=ATTACHMENT_KINDS):
    """Store uploaded files (all or none): a bad file removes the ones stored before it."""
    files = [f for f in (files or []) if f is not None and getattr(f, "filename", "")]
    if len(files) > MAX_FILES:
        raise ValidationFailed(errors={field: [_l("At most %(n)s files.", n=MAX_FILES)]})
    stored = []
    try:
        for f in files:
            stored.append(store_upload(f, field=field, kinds=kinds,
                                       max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"]))
    except ValidationFailed:
        discard_files(stored)
        raise
    return stored


def discard_files(stored) -> None:
    for s in stored:
        try:
            delete_stored(s.path)
        except OSError:
            pass


# --- bidding ----------------------------------------------------------------------------------

def _require_open_for_bids(task, now) -> None:
    if task.mode != "tender":
        raise WrongState(_l("Only tenders take bids."))
    if task.status != "open":
        raise WrongState(_l("This tender is not open for bids."))
    if task.bid_deadline is not None and now >= task.bid_deadline:
        raise WrongState(_l("The bid deadline has passed."))


def live_bid_of(task_id: int, solver_id: int) -> Bid | None:
    return db.session.execute(
        db.select(Bid).where(Bid.task_id == task_id, Bid.solver_id == solver_id,
                             Bid.status.in_(LIVE_STATUSES))
    ).scalar_one_or_none()


def place_bid(actor, task, amount, days, proposal, files=(), *, org_id=None, now=None) -> Bid:
    """A solver's bid on an open tender; one live bid per solver and task. With org_id the bid is
    made for an organisation the solver owns or manages, and the contract pays that organisation."""
    now = now or utcnow()
    require_view(actor, task)
    ensure_not_blocklisted(actor)
    if policies.acts_for_poster(actor, task):
        raise Forbidden(_l("You cannot bid on your own task."))
    if policies.is_org_member(actor, task):
        raise Forbidden(_l("Members of the posting organisation cannot bid on its tasks."))
    _require_open_for_bids(task, now)
    errors = validate_bid_fields(amount, days, proposal)
    if "amount" not in errors:
        errors.update(policies.budget_range_errors(task, amount))
    org = _bidding_org(actor, task, org_id, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    if live_bid_of(task.id, actor.id) is not None:
        raise Conflict(_l("You already have a bid on this task; edit it instead."))
    stored = store_files(files)
    bid = Bid(task_id=task.id, solver_id=actor.id, org_id=org.id if org else None, amount=amount,
              currency=task.currency,
              days=days, proposal=proposal.strip(), status="submitted")
    for s in stored:
        bid.attachments.append(BidAttachment(path=s.path, name=s.name, size=s.size,
                                             sha256=s.sha256, mime=s.mime))
    db.session.add(bid)
    db.session.flush()  # the partial unique index refuses a concurrent second live bid here
    notify(_poster(task), "bid.placed", link=task_link(task), solver=actor.display_name,
           task=task.title, amount=_money(amount, task.currency))
    return bid


def _bidding_org(actor, task, org_id, errors: dict):
    """The organisation a bid is made for (None: personally); records a field error on org_id."""
    if org_id in (None, ""):
        return None
    try:
        org = db.session.get(Organisation, int(org_id))
    except (TypeError, ValueError):
        org = None
    if org is None or not can_act_for(actor, org):
        errors["org_id"] = [_l("You can only bid for an organisation you own or manage.")]
        return None
    if task.org_id is not None and org.id == task.org_id:
        errors["org_id"] = [_l("An organisation cannot bid on its own task.")]
        return None
    return org


def update_bid(actor, bid, amount, days, proposal, files=(), *, now=None) -> Bid:
    now = now or utcnow()
    task = task_of(bid)
    if bid.solver_id != actor.id:
        raise Forbidden()
    if not bid.is_live:
        raise WrongState(_l("This bid can no longer be changed."))
    ensure_not_blocklisted(actor)
    _require_open_for_bids(task, now)
    errors = validate_bid_fields(amount, days, proposal)
    errors = errors or policies.budget_range_errors(task, amount)
    if errors:
        raise ValidationFailed(errors=errors)
    stored = store_files(files)
    bid.amount, bid.days, bid.proposal = amount, days, proposal.strip()
    bid.updated_at = now
    for s in stored:
        db.session.add(BidAttachment(bid_id=bid.id, path=s.path, name=s.name, size=s.size,
                                     sha256=s.sha256, mime=s.mime))
    if stored:
        db.session.flush()
        db.session.expire(bid, ["attachments"])
    notify(_poster(task), "bid.updated", link=task_link(task), solver=actor.display_name,
           task=task.title)
    return bid


def _transition(bid, from_statuses, to_status, **values) -> None:
    """Conditional UPDATE on the bid's status; a lost race or a stale page is a 409."""
    conditional_update(Bid, bid, from_statuses, message=_l("This bid has changed in the meantime; reload the page."),
                       status=to_status, **values)


def withdraw_bid(actor, bid, *, now=None) -> Bid:
    now = now or utcnow()
    task = task_of(bid)
    if bid.solver_id != actor.id:
        raise Forbidden()
    if task.bid_deadline is not None and now >= task.bid_deadline:
        raise WrongState(_l("The bid deadline has passed; the bid can no longer be withdrawn."))
    _transition(bid, LIVE_STATUSES, "withdrawn", decided_at=now)
    notify(_poster(task), "bid.withdrawn", link=task_link(task), solver=actor.display_name,
           task=task.title)
    return bid


def shortlist_bid(actor, bid, *, now=None) -> Bid:
    task = task_of(bid)
    policies.require_poster_side(actor, task)
    if task.status != "open":
        raise WrongState(_l("This tender is not open."))
    _transition(bid, ("submitted",), "shortlisted")
    notify(_solver(bid), "bid.shortlisted", link=task_link(task), task=task.title)
    return bid


def reject_bid(actor, bid, reason: str = "", *, now=None) -> Bid:
    now = now or utcnow()
    task = task_of(bid)
    policies.require_poster_side(actor, task)
    if len(reason or "") > 2000:
        raise ValidationFailed(errors={"reason": [_l("At most %(n)s characters.", n=2000)]})
    _transition(bid, LIVE_STATUSES, "rejected", decided_at=now, reject_reason=(reason or "").strip() or None)
    notify(_solver(bid), "bid.rejected", link=task_link(task), task=task.title)
    return bid


def reject_other_bids(task, keep_bid_id: int | None, *, now=None) -> int:
    """Reject every live bid on the task except one, telling each bidder."""
    now = now or utcnow()
    others = list(db.session.scalars(
        db.select(Bid).options(selectinload(Bid.solver))
        .where(Bid.task_id == task.id, Bid.status.in_(LIVE_STATUSES), Bid.id != (keep_bid_id or 0))
    ))
    for other in others:
        other.status = "rejected"
        other.decided_at = now
        notify(other.solver, "bid.rejected", link=task_link(task), task=task.title)
    return len(others)


# --- reading -----------------------------------------------------------------------------------

def bids_query(viewer, task):
    """The poster side (the poster, the organisation's owners and managers) and operators see
    every bid; anyone else only its own."""
    query = (db.select(Bid).options(selectinload(Bid.solver), selectinload(Bid.org),
                                    selectinload(Bid.attachments))
             .where(Bid.task_id == task.id))
    if not policies.can_see_all_bids(viewer, task):
        query = query.where(Bid.solver_id == viewer.id)
    return query


def bids_visible_to(viewer, task) -> list[Bid]:
    return list(db.session.scalars(bids_query(viewer, task).order_by(Bid.id)))


def attachments_of(bid) -> list[BidAttachment]:
    """The bid's files: the loaded collection when a list query eager-loaded it, else one query."""
    if "attachments" not in inspect(bid).unloaded:
        return list(bid.attachments)
    return list(db.session.scalars(db.select(BidAttachment).where(BidAttachment.bid_id == bid.id)
                                   .order_by(BidAttachment.id)))


def load_bid(bid_id: int) -> Bid:
    bid = db.session.execute(
        db.select(Bid).options(selectinload(Bid.task), selectinload(Bid.solver),
                               selectinload(Bid.attachments))
        .where(Bid.id == bid_id)
    ).scalar_one_or_none()
    if bid is None:
        raise NotFound()
    return bid


def task_of(bid):
    return db.session.get(Task, bid.task_id)


def _poster(task):
    return db.session.get(User, task.poster_id)


def _solver(bid):
    return db.session.get(User, bid.solver_id)


# --- timers ------------------------------------------------------------------------------------

BID_DEADLINE_TIMER = "tender.bid_deadline"
EXPIRE_TIMER = "tender.expire"


def schedule_bid_deadline(task) -> None:
    """Start the bid-deadline clock of a published tender (called when it opens)."""
    if task.mode == "tender" and task.bid_deadline is not None:
        schedule(BID_DEADLINE_TIMER, subject_ref("task", task.id), task.bid_deadline)


def award_window():
    return timedelta(days=current_app.config["AWARD_WINDOW_DAYS"])


def close_bidding(subject_ref: str, now) -> None:
    """Timer: the bid deadline passed. No bids: the tender expires now; otherwise the poster has
    the award window to choose before it expires."""
    _name, task_id = parse_subject_ref(subject_ref)
    task = lock_row(Task, task_id)
    if task is None:
        raise NotFound()
    if task.mode != "tender" or task.status != "open":
        raise WrongState("tender no longer open")
    if task.bid_deadline is not None and now < task.bid_deadline:
        raise WrongState("deadline moved")
    count = db.session.scalar(db.select(db.func.count(Bid.id)).where(
        Bid.task_id == task.id, Bid.status.in_(LIVE_STATUSES))) or 0
    if count == 0:
        _expire(task, now)
        return
    until = (task.bid_deadline or now) + award_window()
    schedule(EXPIRE_TIMER, subject_ref, until)
    notify(_poster(task), "tender.bidding_closed", link=task_link(task), task=task.title,
           count=count, until=WhenParam(until))


def expire_tender(subject_ref: str, now) -> None:
    """Timer: the award window ended with no award."""
    _name, task_id = parse_subject_ref(subject_ref)
    task = lock_row(Task, task_id)
    if task is None:
        raise NotFound()
    if task.mode != "tender" or task.status != "open":
        raise WrongState("tender no longer open")
    _expire(task, now)


def _expire(task, now) -> None:
    move(task, to="expired", expected="open", message="tender no longer open")
    reject_other_bids(task, None, now=now)
    notify(_poster(task), "tender.expired", link=task_link(task), task=task.title)


# --- task events -------------------------------------------------------------------------------

def on_task_published(_sender=None, *, task) -> None:
    """tasks.events.task_published receiver: a published tender gets its bid deadline timer."""
    schedule_bid_deadline(task)


def on_task_cancelled(_sender=None, *, task) -> None:
    """tasks.events.task_cancelled receiver: a cancelled tender: its live bids are declined and its timers stop."""
    if task.mode != "tender":
        return
    reject_other_bids(task, None)
    cancel(BID_DEADLINE_TIMER, subject_ref("task", task.id))
    cancel(EXPIRE_TIMER, subject_ref("task", task.id))
