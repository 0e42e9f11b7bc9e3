"""Worked examples of disputes through the service layer: exact balances, frozen and resumed
timers, refusals."""
from __future__ import annotations

import datetime as dt

import pytest

from marketplace.contracts.models import Contract, Milestone
from marketplace.core.audit import AuditEntry
from marketplace.core.db import commit, utcnow
from marketplace.core.errors import Forbidden, NotFound, ValidationFailed, WrongState
from marketplace.disputes import events, service
from marketplace.disputes.models import Dispute
from marketplace.extensions import db
from marketplace.jobs.models import Timer
from marketplace.jobs.service import pending_due_at, run_due
from marketplace.ledger.verify import verify
from marketplace.notifications.models import Notification
from marketplace.tasks.models import Task
from tests.factories import make_operator, make_user
from tests.integration.contracts.helpers import escrow, revenue, wallet

from .helpers import delivered_milestone, done_claim


def _fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def test_a_37_percent_decision_on_a_1000_yuan_milestone():
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    assert wallet(poster) == 0 and escrow(f"milestone:{milestone.id}") == 100_000
    dispute = service.open_dispute(solver, milestone_id=milestone.id, amount=100_000,
                                   reason="The poster does not answer.")
    commit()
    assert dispute.status == "open" and dispute.held == 100_000
    assert _fresh(Milestone, milestone.id).status == "disputed"
    assert _fresh(Contract, contract.id).status == "disputed"

    operator = make_operator()
    service.decide(operator, _fresh(Dispute, dispute.id), 3700, "Part of the work matches the brief.")
    commit()
    dispute = _fresh(Dispute, dispute.id)
    assert dispute.status == "decided" and dispute.solver_share_bps == 3700
    assert (dispute.solver_amount, dispute.payer_amount) == (37_000, 63_000)
    assert wallet(solver) == 33_300          # 370.00 minus the 10% fee
    assert wallet(poster) == 63_000          # 630.00 back
    assert revenue() == 3_700
    assert escrow(f"milestone:{milestone.id}") == 0
    assert _fresh(Milestone, milestone.id).status == "accepted"
    assert _fresh(Contract, contract.id).status == "completed"
    assert _fresh(Task, task.id).status == "completed"
    assert verify().ok, verify().format()
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "dispute.decide")).one()
    assert entry.actor_id == operator.id and entry.details["reason"] == "Part of the work matches the brief."
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(db.select(Notification))}
    assert (poster.id, "dispute.decided") in kinds and (solver.id, "dispute.decided") in kinds


def test_an_agreed_settlement_splits_at_once():
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    dispute = service.open_dispute(poster, milestone_id=milestone.id, amount=50_000, reason="Half is missing.")
    commit()
    service.offer_settlement(poster, dispute, 4000)
    commit()
    assert _fresh(Dispute, dispute.id).status == "open"
    service.offer_settlement(solver, _fresh(Dispute, dispute.id), 5000)
    commit()
    assert _fresh(Dispute, dispute.id).status == "open"  # different shares do not settle
    service.offer_settlement(solver, _fresh(Dispute, dispute.id), 4000)
    commit()
    dispute = _fresh(Dispute, dispute.id)
    assert dispute.status == "settled" and dispute.solver_share_bps == 4000
    assert wallet(solver) == 36_000 and wallet(poster) == 60_000 and revenue() == 4_000
    assert escrow(f"milestone:{milestone.id}") == 0
    assert _fresh(Contract, contract.id).status == "completed"
    assert verify().ok


def test_nothing_to_the_solver_refunds_and_cancels():
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    dispute = service.open_dispute(poster, milestone_id=milestone.id, amount=100_000, reason="Nothing usable.")
    service.decide(make_operator(), dispute, 0, "The delivery is empty.")
    commit()
    assert wallet(solver) == 0 and wallet(poster) == 100_000 and revenue() == 0
    assert _fresh(Milestone, milestone.id).status == "refunded"
    assert _fresh(Contract, contract.id).status == "cancelled"
    assert _fresh(Task, task.id).status == "cancelled"
    assert verify().ok


def test_a_dispute_after_auto_accept_is_refused(app):
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    days = app.config["REVIEW_DAYS"]
    assert run_due(utcnow() + dt.timedelta(days=days, minutes=1)) == 1
    assert _fresh(Milestone, milestone.id).auto_accepted
    with pytest.raises(WrongState, match="automatically"):
        service.open_dispute(poster, milestone_id=milestone.id, amount=100_000, reason="Too late.")
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Dispute.id))) == 0
    assert wallet(solver) == 90_000


def test_a_dispute_after_auto_confirm_of_a_claim_is_refused(app):
    poster, solver, task, contract, milestone = done_claim()
    assert run_due(utcnow() + dt.timedelta(hours=app.config["CLAIM_CONFIRM_HOURS"], minutes=1)) == 1
    with pytest.raises(WrongState):
        service.open_dispute(poster, contract_id=contract.id, amount=5_000, reason="Not delivered.")


def test_the_timer_is_frozen_while_open_and_resumes_after_a_withdrawal(app):
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    ref = f"milestone:{milestone.id}"
    due = pending_due_at("milestone.auto_accept", ref)
    opened = utcnow() + dt.timedelta(days=2)
    dispute = service.open_dispute(poster, milestone_id=milestone.id, amount=100_000, reason="Wrong colour.",
                                   now=opened)
    commit()
    assert pending_due_at("milestone.auto_accept", ref) is None
    # Long after the review period: nothing is accepted while the dispute is open.
    assert run_due(utcnow() + dt.timedelta(days=30)) == 0
    assert _fresh(Milestone, milestone.id).status == "disputed"
    assert wallet(solver) == 0
    left = (due - opened).total_seconds()
    withdrawn = opened + dt.timedelta(days=10)
    service.withdraw(poster, _fresh(Dispute, dispute.id), now=withdrawn)
    commit()
    m = _fresh(Milestone, milestone.id)
    assert m.status == "delivered" and _fresh(Contract, contract.id).status == "active"
    resumed = pending_due_at("milestone.auto_accept", ref)
    assert abs((resumed - withdrawn).total_seconds() - left) < 2
    assert run_due(resumed + dt.timedelta(minutes=1)) == 1
    assert wallet(solver) == 90_000


def test_a_decided_dispute_leaves_no_timer_behind():
    poster, solver, task, contract, milestone = done_claim(price=10_000)
    dispute = service.open_dispute(solver, contract_id=contract.id, amount=10_000, reason="Confirmed by phone.")
    assert dispute.subject == "claim" and dispute.subject_id == contract.id
    service.decide(make_operator(), dispute, 10_000, "The poster confirmed by phone.")
    commit()
    pending = db.session.scalar(db.select(db.func.count(Timer.id)).where(
        Timer.status == "pending", Timer.subject_ref == f"milestone:{milestone.id}"))
    assert pending == 0
    assert wallet(solver) == 9_000 and escrow(f"task:{task.id}") == 0
    assert _fresh(Task, task.id).status == "completed"
    assert verify().ok


def test_a_funded_milestone_can_be_disputed_and_work_cannot_continue_meanwhile():
    from marketplace.contracts import service as contracts
    poster, solver, task, contract, milestone = delivered_milestone(100_000, deliver=False)
    service.open_dispute(poster, milestone_id=milestone.id, amount=100_000, reason="No sign of work.")
    commit()
    with pytest.raises(WrongState):
        contracts.deliver_milestone(solver, _fresh(Milestone, milestone.id), "Late work")
    db.session.rollback()
    with pytest.raises(WrongState):
        service.open_dispute(solver, milestone_id=milestone.id, amount=100_000, reason="Again")


def test_only_parties_open_and_only_uninvolved_operators_decide():
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    with pytest.raises(NotFound):
        service.open_dispute(make_user(), milestone_id=milestone.id, amount=1, reason="Nosy")
    dispute = service.open_dispute(solver, milestone_id=milestone.id, amount=100_000, reason="Unpaid")
    commit()
    with pytest.raises(NotFound):
        service.decide(poster, dispute, 5000, "I decide myself")
    # An operator who is a party may not decide.
    poster.role = "operator"
    commit()
    with pytest.raises(Forbidden):
        service.decide(poster, _fresh(Dispute, dispute.id), 5000, "My own case")
    db.session.rollback()
    assert _fresh(Dispute, dispute.id).status == "open"
    with pytest.raises(Forbidden):
        service.withdraw(poster, _fresh(Dispute, dispute.id))


def test_bad_input_names_fields_and_writes_nothing():
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    with pytest.raises(ValidationFailed) as exc:
        service.open_dispute(solver, milestone_id=milestone.id, amount=200_000, reason="  ")
    assert set(exc.value.errors) == {"reason", "amount"}
    with pytest.raises(ValidationFailed) as exc:
        service.open_dispute(solver, amount=1, reason="x")
    assert "subject" in exc.value.errors
    db.session.rollback()
    assert _fresh(Milestone, milestone.id).status == "delivered"
    dispute = service.open_dispute(solver, milestone_id=milestone.id, amount=1_000, reason="Unpaid")
    commit()
    with pytest.raises(ValidationFailed) as exc:
        service.decide(make_operator(), dispute, 10_001, "")
    assert set(exc.value.errors) == {"solver_share_bps", "reason"}
    db.session.rollback()
    assert _fresh(Dispute, dispute.id).status == "open" and wallet(solver) == 0


def test_evidence_is_refused_after_the_window(app):
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    dispute = service.open_dispute(solver, milestone_id=milestone.id, amount=100_000, reason="Unpaid")
    service.add_evidence(poster, dispute, "The logo is the wrong colour.")
    commit()
    late = utcnow() + dt.timedelta(days=app.config["EVIDENCE_DAYS"], minutes=1)
    with pytest.raises(WrongState):
        service.add_evidence(solver, dispute, "Too late", now=late)
    with pytest.raises(Forbidden):
        service.add_evidence(make_operator(), dispute, "Operators do not add evidence")
    assert len(service.evidence_of(dispute)) == 1


def test_signals_carry_the_agreed_arguments():
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    events.dispute_opened.connect(receiver)
    events.dispute_decided.connect(receiver)
    try:
        poster, solver, task, contract, milestone = delivered_milestone(100_000)
        dispute = service.open_dispute(solver, milestone_id=milestone.id, amount=60_000, reason="Unpaid")
        service.decide(make_operator(), dispute, 6000, "Mostly done.")
    finally:
        events.dispute_opened.disconnect(receiver)
        events.dispute_decided.disconnect(receiver)
    assert [set(k) for k in seen] == [{"dispute", "poster_id", "solver_id", "solver_share_bps", "subject",
                                      "subject_id", "amount", "respondent_id"}] * 2
    assert seen[1]["respondent_id"] is None  # only a held bounty prize between entrants has one
    assert seen[0]["solver_share_bps"] is None and seen[1]["solver_share_bps"] == 6000
    assert seen[1]["poster_id"] == poster.id and seen[1]["solver_id"] == solver.id
    assert seen[1]["subject"] == "milestone" and seen[1]["subject_id"] == milestone.id
    assert seen[1]["amount"] == 60_000


def test_a_dispute_reference_reads_as_words_and_a_link():
    from marketplace.core.references import describe
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    dispute = service.open_dispute(solver, milestone_id=milestone.id, amount=100_000, reason="Unpaid")
    commit()
    described = describe(f"dispute:{dispute.id}")
    assert described.link == f"/disputes/{dispute.id}" and task.title in described.text


def test_an_operator_of_the_posters_organisation_may_not_decide():
    from marketplace.organisations.models import Membership
    from tests.factories_orgs import make_org
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    dispute = service.open_dispute(solver, milestone_id=milestone.id, amount=100_000, reason="Unpaid")
    org = make_org(poster)
    colleague = make_operator()
    db.session.add(Membership(org_id=org.id, user_id=colleague.id, role="member"))
    commit()
    with pytest.raises(Forbidden) as exc:
        service.decide(colleague, _fresh(Dispute, dispute.id), 5000, "Half")
    assert exc.value.type_slug == "separation-of-duties"
    db.session.rollback()
    assert _fresh(Dispute, dispute.id).status == "open"
