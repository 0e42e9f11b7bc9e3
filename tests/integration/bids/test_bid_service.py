"""Bids through the service layer: one live bid per solver, edits until the deadline, who sees what,
and the bid-deadline timers."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from werkzeug.datastructures import FileStorage

from marketplace.bids import service
from marketplace.bids.models import Bid, BidAttachment
from marketplace.core.db import commit, utcnow
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed, WrongState
from marketplace.extensions import db
from marketplace.jobs.models import Timer
from marketplace.jobs.service import run_due
from marketplace.tasks.models import Task
from tests.factories import make_user
from tests.factories_contracts import make_bid, make_solver
from tests.factories_tasks import make_task

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _file(data=PDF, name="plan.pdf"):
    return FileStorage(stream=io.BytesIO(data), filename=name)


def _count(model):
    return db.session.scalar(db.select(db.func.count(model.id)))


def test_place_bid_with_attachment_notifies_poster():
    poster, solver = make_user(), make_solver()
    task = make_task(poster=poster)
    bid = service.place_bid(solver, task, 150_000, 12, "My plan", [_file()])
    commit()
    assert bid.status == "submitted" and bid.amount == 150_000
    att = db.session.execute(db.select(BidAttachment)).scalar_one()
    assert att.name == "plan.pdf" and att.bid_id == bid.id


def test_one_live_bid_per_solver_and_task():
    task = make_task()
    solver = make_solver()
    service.place_bid(solver, task, 150_000, 12, "first")
    commit()
    with pytest.raises(Conflict):
        service.place_bid(solver, task, 140_000, 12, "second")
    db.session.rollback()
    assert _count(Bid) == 1


def test_partial_unique_index_refuses_a_second_live_bid_but_allows_after_withdrawal():
    from sqlalchemy.exc import IntegrityError
    task = make_task()
    solver = make_solver()
    make_bid(task, solver, status="withdrawn")
    make_bid(task, solver)
    db.session.add(Bid(task_id=task.id, solver_id=solver.id, amount=1, days=1, proposal="x", status="shortlisted"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert _count(Bid) == 2


def test_poster_cannot_bid_on_own_task():
    poster = make_user()
    task = make_task(poster=poster)
    with pytest.raises(Forbidden):
        service.place_bid(poster, task, 100_000, 5, "self")


@pytest.mark.parametrize("amount,days,proposal,field", [
    (0, 5, "ok", "amount"), (-100, 5, "ok", "amount"), (100, 0, "ok", "days"), (100, 5, "  ", "proposal"),
    (10**13, 5, "ok", "amount"), (100, 99999, "ok", "days"),
])
def test_bad_bid_input_names_the_field_and_writes_nothing(amount, days, proposal, field):
    task = make_task()
    with pytest.raises(ValidationFailed) as exc:
        service.place_bid(make_solver(), task, amount, days, proposal)
    assert field in exc.value.errors
    db.session.rollback()
    assert _count(Bid) == 0


def test_wrong_file_type_and_too_large_files_are_refused(app):
    task = make_task()
    solver = make_solver()
    with pytest.raises(ValidationFailed) as exc:
        service.place_bid(solver, task, 100_000, 5, "ok", [_file(b"MZ\x90\x00binary\x00", "virus.exe")])
    assert "files" in exc.value.errors
    big = PDF + b"0" * (app.config["ATTACHMENT_MAX_BYTES"] + 1)
    with pytest.raises(ValidationFailed) as exc:
        service.place_bid(solver, task, 100_000, 5, "ok", [_file(), _file(big, "big.pdf")])
    assert "files" in exc.value.errors
    db.session.rollback()
    assert _count(Bid) == 0 and _count(BidAttachment) == 0


def test_bids_close_at_the_deadline():
    task = make_task(bid_deadline=utcnow() - dt.timedelta(minutes=1))
    with pytest.raises(WrongState):
        service.place_bid(make_solver(), task, 100_000, 5, "late")


def test_edit_and_withdraw_until_the_deadline_only():
    task = make_task()
    solver = make_solver()
    bid = service.place_bid(solver, task, 100_000, 5, "v1")
    commit()
    service.update_bid(solver, bid, 90_000, 6, "v2")
    commit()
    assert (bid.amount, bid.days, bid.proposal) == (90_000, 6, "v2")
    later = task.bid_deadline + dt.timedelta(seconds=1)
    with pytest.raises(WrongState):
        service.update_bid(solver, bid, 80_000, 6, "v3", now=later)
    with pytest.raises(WrongState):
        service.withdraw_bid(solver, bid, now=later)
    db.session.rollback()
    service.withdraw_bid(solver, bid)
    commit()
    assert bid.status == "withdrawn"
    # After withdrawing, a new bid is allowed.
    service.place_bid(solver, task, 95_000, 5, "again")
    commit()


def test_others_cannot_edit_or_withdraw_a_bid():
    task = make_task()
    bid = make_bid(task)
    other = make_solver()
    with pytest.raises(Forbidden):
        service.update_bid(other, bid, 1, 1, "x")
    with pytest.raises(Forbidden):
        service.withdraw_bid(other, bid)


def test_solver_sees_only_own_bids_and_poster_sees_all():
    poster = make_user()
    task = make_task(poster=poster)
    a, b = make_solver(), make_solver()
    make_bid(task, a)
    make_bid(task, b)
    assert [x.solver_id for x in service.bids_visible_to(a, task)] == [a.id]
    assert {x.solver_id for x in service.bids_visible_to(poster, task)} == {a.id, b.id}


def test_shortlist_and_reject_are_for_the_poster_side():
    poster = make_user()
    task = make_task(poster=poster)
    bid = make_bid(task)
    with pytest.raises(Forbidden):
        service.shortlist_bid(make_solver(), bid)
    service.shortlist_bid(poster, bid)
    commit()
    assert bid.status == "shortlisted"
    service.reject_bid(poster, bid, "Too expensive")
    commit()
    assert bid.status == "rejected" and bid.reject_reason == "Too expensive"
    with pytest.raises(WrongState):
        service.reject_bid(poster, bid)


def test_publishing_a_tender_schedules_the_bid_deadline_and_closing_notifies_the_poster(app):
    from marketplace.notifications.models import Notification
    from marketplace.tasks import service as tasks
    poster = make_user()
    task = make_task(poster=poster, status="draft", description="Build a thing")
    tasks.publish_task(poster, task)
    commit()
    timer = db.session.execute(db.select(Timer).where(Timer.kind == "tender.bid_deadline")).scalar_one()
    assert timer.due_at == task.bid_deadline
    make_bid(task)
    assert run_due(task.bid_deadline + dt.timedelta(minutes=1)) == 1
    kinds = list(db.session.scalars(db.select(Notification.kind).where(Notification.user_id == poster.id)))
    assert "tender.bidding_closed" in kinds
    expire = db.session.execute(db.select(Timer).where(Timer.kind == "tender.expire")).scalar_one()
    window = dt.timedelta(days=app.config.get("AWARD_WINDOW_DAYS", 14))
    assert expire.due_at == task.bid_deadline + window
    # No award within the window: the tender expires and its bids are declined.
    assert run_due(task.bid_deadline + window + dt.timedelta(minutes=1)) == 1
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "expired"
    assert db.session.execute(db.select(Bid.status)).scalar_one() == "rejected"


def test_a_tender_without_bids_expires_at_its_deadline():
    task = make_task()
    service.schedule_bid_deadline(task)
    commit()
    assert run_due(task.bid_deadline + dt.timedelta(minutes=1)) == 1
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "expired"


def test_an_award_before_the_window_ends_stops_the_expiry():
    from marketplace.contracts import service as contracts
    poster = make_user()
    task = make_task(poster=poster)
    bid = make_bid(task)
    service.schedule_bid_deadline(task)
    commit()
    run_due(task.bid_deadline + dt.timedelta(minutes=1))
    contracts.award_bid(poster, db.session.get(Bid, bid.id))
    commit()
    assert run_due(task.bid_deadline + dt.timedelta(days=60)) == 0
    assert db.session.get(Task, task.id).status == "awarded"


def test_cancelling_a_tender_rejects_its_live_bids():
    from marketplace.tasks import service as tasks
    poster = make_user()
    task = make_task(poster=poster)
    bid = make_bid(task)
    tasks.cancel_task(poster, task)
    commit()
    db.session.expire_all()
    assert db.session.get(Bid, bid.id).status == "rejected"
