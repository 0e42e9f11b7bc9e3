"""Worked examples of the tender flow through the service layer, with the ledger checked."""
from __future__ import annotations

import datetime as dt

import pytest

from marketplace.bids import service as bids
from marketplace.contracts import service
from marketplace.contracts.models import Contract, Milestone
from marketplace.core.db import commit, utcnow
from marketplace.core.errors import Forbidden, ValidationFailed, WrongState
from marketplace.extensions import db
from marketplace.jobs.models import Timer
from marketplace.notifications.models import Notification
from marketplace.notifications.service import render
from tests.factories import make_user
from tests.factories_contracts import fund_milestone, make_bid, make_contract, make_solver
from tests.factories_tasks import make_task

from .helpers import escrow, revenue, wallet


def _kinds(user):
    return [n.kind for n in db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)
                                                .order_by(Notification.id))]


def test_tender_from_post_to_all_milestones_released():
    poster = make_user()
    solver = make_solver()
    task = make_task(poster=poster, category="software")
    bid = bids.place_bid(solver, task, 300_000, 20, "Two phases: design, then build.")
    commit()
    assert _kinds(poster) == ["bid.placed"]

    contract = service.award_bid(poster, bid, [{"title": "Design", "amount": 100_000},
                                               {"title": "Build", "amount": 200_000}])
    commit()
    assert contract.status == "proposed" and task.status == "awarded"
    assert "contract.proposed" in _kinds(solver)

    service.accept_contract(solver, contract)
    commit()
    assert contract.status == "active" and task.status == "in_progress"
    first, second = service.milestones_of(contract)
    assert first.due_at is not None and second.due_at > first.due_at

    for milestone in (first, second):
        fund_milestone(milestone)
        assert milestone.status == "funded"
        assert escrow(f"milestone:{milestone.id}") == milestone.amount
        service.deliver_milestone(solver, milestone, "Here it is.")
        commit()
        assert milestone.status == "delivered"
        service.accept_milestone(poster, milestone)
        commit()
        assert milestone.status == "accepted"
        assert escrow(f"milestone:{milestone.id}") == 0

    assert contract.status == "completed"
    assert task.status == "completed"
    # 10% platform fee on each release, rounded down.
    assert wallet(solver) == 300_000 - 30_000
    assert revenue() == 30_000
    assert wallet(poster) == 0
    assert "contract.completed" in _kinds(solver) and "contract.completed" in _kinds(poster)


def test_award_refuses_milestones_that_do_not_sum_to_the_bid():
    poster = make_user()
    task = make_task(poster=poster)
    bid = make_bid(task, amount=100_000)
    with pytest.raises(ValidationFailed) as exc:
        service.award_bid(poster, bid, [{"title": "A", "amount": 50_000}, {"title": "B", "amount": 40_000}])
    assert "milestones" in exc.value.errors
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Contract.id))) == 0
    assert db.session.get(type(task), task.id).status == "open"


@pytest.mark.parametrize("amount", [0, -5, "100", None, True])
def test_award_refuses_bad_milestone_amounts(amount):
    poster = make_user()
    task = make_task(poster=poster)
    bid = make_bid(task, amount=100_000)
    with pytest.raises(ValidationFailed) as exc:
        service.award_bid(poster, bid, [{"title": "A", "amount": amount}, {"title": "B", "amount": 100_000}])
    assert "milestones[0].amount" in exc.value.errors
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Milestone.id))) == 0


def test_award_refuses_blank_titles_and_empty_plans():
    poster = make_user()
    task = make_task(poster=poster)
    bid = make_bid(task, amount=100_000)
    with pytest.raises(ValidationFailed) as exc:
        service.award_bid(poster, bid, [{"title": "  ", "amount": 100_000}])
    assert "milestones[0].title" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        service.award_bid(poster, bid, [])
    assert "milestones" in exc.value.errors


def test_award_happens_once():
    poster = make_user()
    task = make_task(poster=poster)
    bid1, bid2 = make_bid(task, amount=100_000), make_bid(task, amount=90_000)
    service.award_bid(poster, bid1)
    commit()
    with pytest.raises(WrongState):
        service.award_bid(poster, bid2)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Contract.id))) == 1


def test_org_member_without_manager_role_cannot_award_but_manager_can():
    from tests.factories_orgs import make_org
    owner, member, manager = make_user(), make_user(), make_user()
    org = make_org(owner, members={member: "member", manager: "manager"})
    task = make_task(poster=owner, org_id=org.id)
    bid = make_bid(task)
    with pytest.raises(Forbidden):
        service.award_bid(member, bid)
    db.session.rollback()
    contract = service.award_bid(manager, bid)
    commit()
    assert contract.poster_id == owner.id


def test_revision_loop_and_limit(app):
    poster, solver = make_user(), make_solver()
    task = make_task(poster=poster)
    contract = make_contract(task, solver, amount=100_000)
    milestone = service.milestones_of(contract)[0]
    fund_milestone(milestone)
    limit = app.config["MAX_REVISIONS"]
    for round_ in range(limit):
        service.deliver_milestone(solver, milestone, f"Version {round_ + 1}")
        commit()
        service.request_revision(poster, milestone, "Please fix the colours.")
        commit()
        assert milestone.status == "revision_requested" and milestone.revisions == round_ + 1
        assert "milestone.revision_requested" in _kinds(solver)
    service.deliver_milestone(solver, milestone, "Final version")
    commit()
    with pytest.raises(WrongState) as exc:
        service.request_revision(poster, milestone, "Once more")
    assert str(limit) in str(exc.value.message)
    db.session.rollback()
    service.accept_milestone(poster, milestone)
    commit()
    assert milestone.status == "accepted"
    deliveries = service.deliveries_of(milestone)
    assert len(deliveries) == limit + 1
    assert deliveries[0].revision_reason == "Please fix the colours."
    assert wallet(solver) == 90_000


def test_revision_needs_a_reason():
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=100_000)
    milestone = service.milestones_of(contract)[0]
    fund_milestone(milestone)
    service.deliver_milestone(solver, milestone, "v1")
    commit()
    with pytest.raises(ValidationFailed) as exc:
        service.request_revision(poster, milestone, "   ")
    assert "reason" in exc.value.errors


def test_mutual_cancel_refunds_funded_unreleased_money():
    poster, solver = make_user(), make_solver()
    task = make_task(poster=poster)
    contract = make_contract(task, solver, amount=300_000,
                             milestones=[("A", 100_000), ("B", 150_000), ("C", 50_000)])
    a, b, c = service.milestones_of(contract)
    fund_milestone(a)
    service.deliver_milestone(solver, a, "A done")
    service.accept_milestone(poster, a)
    commit()
    fund_milestone(b)
    assert wallet(poster) == 0

    service.cancel_contract(poster, contract)
    commit()
    assert contract.status == "active" and contract.poster_cancel_at is not None
    assert "contract.cancel_requested" in _kinds(solver)
    assert b.status == "funded"

    service.cancel_contract(solver, contract)
    commit()
    assert contract.status == "cancelled"
    assert [m.status for m in service.milestones_of(contract)] == ["accepted", "refunded", "cancelled"]
    assert wallet(poster) == 150_000
    assert escrow(f"milestone:{b.id}") == 0
    assert wallet(solver) == 90_000
    assert revenue() == 10_000
    assert task.status == "cancelled"


def test_unfunded_active_contract_is_cancelled_by_one_side():
    poster, solver = make_user(), make_solver()
    task = make_task(poster=poster)
    contract = make_contract(task, solver)
    service.cancel_contract(solver, contract)
    commit()
    assert contract.status == "cancelled" and task.status == "cancelled"


def test_solver_declines_proposed_contract_and_tender_reopens():
    poster, solver = make_user(), make_solver()
    task = make_task(poster=poster)
    contract = make_contract(task, solver, accept=False)
    service.cancel_contract(solver, contract)
    commit()
    assert contract.status == "cancelled"
    assert task.status == "open"
    other = make_bid(task, amount=150_000)
    second = service.award_bid(poster, other)
    commit()
    assert second.status == "proposed"


def test_accepting_the_contract_rejects_the_other_bids():
    poster = make_user()
    task = make_task(poster=poster)
    winner, loser = make_solver(), make_solver()
    make_bid(task, loser)
    contract = make_contract(task, winner)
    from marketplace.bids.models import Bid
    loser_bid = db.session.execute(db.select(Bid).where(Bid.solver_id == loser.id)).scalar_one()
    assert loser_bid.status == "rejected"
    assert "bid.rejected" in _kinds(loser)
    assert contract.status == "active"


def test_delivered_milestone_is_accepted_automatically_after_review_days(app):
    from marketplace.jobs.service import run_due
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=100_000)
    milestone = service.milestones_of(contract)[0]
    fund_milestone(milestone)
    service.deliver_milestone(solver, milestone, "Done")
    commit()
    timer = db.session.execute(db.select(Timer).where(Timer.kind == "milestone.auto_accept")).scalar_one()
    assert timer.due_at == milestone.review_due_at
    assert run_due(utcnow() + dt.timedelta(days=app.config["REVIEW_DAYS"]) - dt.timedelta(hours=1)) == 0
    assert run_due(utcnow() + dt.timedelta(days=app.config["REVIEW_DAYS"], minutes=1)) == 1
    db.session.expire_all()
    milestone = db.session.get(Milestone, milestone.id)
    assert milestone.status == "accepted" and milestone.auto_accepted
    assert wallet(solver) == 90_000
    # Both sides are told gross, fee and net (the poster's message once read "…" for the last two).
    for user in (poster, solver):
        note = db.session.scalars(db.select(Notification).where(
            Notification.user_id == user.id, Notification.kind == "milestone.auto_accepted")).one()
        text = render(note.kind, note.params)
        assert "…" not in text and "¥1,000.00" in text and "¥100.00" in text and "¥900.00" in text, text
    # Running again does nothing more.
    assert run_due(utcnow() + dt.timedelta(days=app.config["REVIEW_DAYS"] + 1)) == 0
    assert wallet(solver) == 90_000


def test_accepting_twice_releases_once():
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=100_000)
    milestone = service.milestones_of(contract)[0]
    fund_milestone(milestone)
    service.deliver_milestone(solver, milestone, "Done")
    commit()
    service.accept_milestone(poster, milestone)
    commit()
    with pytest.raises(WrongState):
        service.accept_milestone(poster, milestone)
    db.session.rollback()
    assert wallet(solver) == 90_000


def test_only_the_solver_delivers_and_only_when_funded():
    poster, solver = make_user(), make_solver()
    contract = make_contract(make_task(poster=poster), solver, amount=100_000)
    milestone = service.milestones_of(contract)[0]
    with pytest.raises(WrongState):
        service.deliver_milestone(solver, milestone, "too early")
    db.session.rollback()
    fund_milestone(milestone)
    with pytest.raises(Forbidden):
        service.deliver_milestone(poster, milestone, "not mine")
    with pytest.raises(ValidationFailed) as exc:
        service.deliver_milestone(solver, milestone, "")
    assert "note" in exc.value.errors
