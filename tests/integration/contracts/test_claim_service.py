"""Worked examples of the claim (抢单) flow through the service layer."""
from __future__ import annotations

import datetime as dt

import pytest

from marketplace.contracts import service
from marketplace.contracts.models import ClaimAbandonment, Contract
from marketplace.core.db import commit, utcnow
from marketplace.core.errors import Conflict, Forbidden, WrongState
from marketplace.extensions import db
from marketplace.jobs.service import run_due
from marketplace.tasks.models import Task
from tests.factories import make_user
from tests.factories_contracts import fund_claim_escrow, make_solver
from tests.factories_tasks import make_task

from .helpers import escrow, revenue, wallet


def _claim_task(poster=None, **fields):
    poster = poster or make_user()
    task = make_task(poster=poster, mode="claim", price=5_000, category="delivery", **fields)
    fund_claim_escrow(task, poster)
    return poster, task


def test_claim_from_post_to_auto_confirm(app):
    poster, task = _claim_task()
    solver = make_solver(city="wuhan-wuchang")
    contract = service.claim_task(solver, task)
    commit()
    assert contract.kind == "claim" and contract.status == "active"
    assert task.status == "in_progress" and task.claimant_id == solver.id
    milestone = service.milestones_of(contract)[0]
    assert milestone.status == "funded" and milestone.escrow_ref == f"task:{task.id}"

    service.deliver_milestone(solver, milestone, "Delivered to the door.")
    commit()
    hours = app.config["CLAIM_CONFIRM_HOURS"]
    assert milestone.review_due_at == milestone.delivered_at + dt.timedelta(hours=hours)
    assert run_due(utcnow() + dt.timedelta(hours=hours - 1)) == 0
    assert run_due(utcnow() + dt.timedelta(hours=hours, minutes=1)) == 1
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert contract.status == "completed"
    assert db.session.get(Task, task.id).status == "completed"
    assert wallet(solver) == 4_500
    assert revenue() == 500
    assert escrow(f"task:{task.id}") == 0


def test_poster_confirms_a_claim():
    poster, task = _claim_task()
    solver = make_solver()
    contract = service.claim_task(solver, task)
    milestone = service.milestones_of(contract)[0]
    service.deliver_milestone(solver, milestone, "Done")
    service.accept_milestone(poster, milestone)
    commit()
    assert contract.status == "completed" and wallet(solver) == 4_500


def test_only_verified_solvers_of_the_city_may_claim():
    poster, task = _claim_task()
    with pytest.raises(Forbidden):
        service.claim_task(make_solver(verified=False), task)
    with pytest.raises(Forbidden):
        service.claim_task(make_solver(city="yichang"), task)
    with pytest.raises(Forbidden):
        service.claim_task(poster, task)
    db.session.rollback()
    assert db.session.get(Task, task.id).claimant_id is None


def test_second_claim_gets_a_clear_conflict():
    _poster, task = _claim_task()
    service.claim_task(make_solver(), task)
    commit()
    with pytest.raises(Conflict) as exc:
        service.claim_task(make_solver(), task)
    assert "already claimed" in str(exc.value.message)


def test_abandonment_before_start_reopens_and_is_recorded():
    poster, task = _claim_task()
    first = make_solver()
    contract = service.claim_task(first, task)
    commit()
    service.abandon_claim(first, contract, "Sick today")
    commit()
    assert contract.status == "cancelled"
    assert task.status == "open" and task.claimant_id is None
    row = db.session.execute(db.select(ClaimAbandonment)).scalar_one()
    assert (row.solver_id, row.task_id, row.reason) == (first.id, task.id, "Sick today")
    # The money stayed in the task's escrow, and someone else can claim and be paid.
    assert escrow(f"task:{task.id}") == 5_000
    second = make_solver()
    again = service.claim_task(second, task)
    service.deliver_milestone(second, service.milestones_of(again)[0], "Done")
    service.accept_milestone(poster, service.milestones_of(again)[0])
    commit()
    assert wallet(second) == 4_500 and wallet(first) == 0


def test_abandonment_after_the_window_started_is_refused():
    now = utcnow()
    _poster, task = _claim_task(window_start=now - dt.timedelta(hours=1), window_end=now + dt.timedelta(hours=2))
    solver = make_solver()
    contract = service.claim_task(solver, task)
    commit()
    with pytest.raises(WrongState):
        service.abandon_claim(solver, contract)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(ClaimAbandonment.id))) == 0


def test_mutual_cancel_of_a_claim_refunds_the_task_escrow():
    poster, task = _claim_task()
    solver = make_solver()
    contract = service.claim_task(solver, task)
    commit()
    service.cancel_contract(solver, contract)
    commit()
    assert contract.status == "active"
    service.cancel_contract(poster, contract)
    commit()
    assert contract.status == "cancelled"
    assert task.status == "cancelled"
    assert escrow(f"task:{task.id}") == 0
    assert wallet(poster) == 5_000


def test_claims_are_not_revised():
    poster, task = _claim_task()
    solver = make_solver()
    contract = service.claim_task(solver, task)
    milestone = service.milestones_of(contract)[0]
    service.deliver_milestone(solver, milestone, "Done")
    commit()
    with pytest.raises(WrongState):
        service.request_revision(poster, milestone, "again")


def test_unfunded_claim_cannot_be_claimed():
    poster = make_user()
    task = make_task(poster=poster, mode="claim", escrow_funded=False)
    with pytest.raises(WrongState):
        service.claim_task(make_solver(), task)
