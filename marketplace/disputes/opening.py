"""Opening a dispute: find its subject (a milestone, a claim, a bounty entry or a held prize), check who
may open it and when, and freeze the subject's timer and money."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from ..bounties import disputes as bounty_disputes
from ..bounties import policies as bounty_policies
from ..contracts import disputes as contract_disputes
from ..contracts import service as contracts
from ..contracts.models import Contract, Milestone
from ..core.db import lock_row, utcnow
from ..core.errors import NotFound, ValidationFailed, WrongState
from ..core.money import format_money
from ..extensions import db
from ..notifications.service import notify
from ..tasks.models import Task
from ..tasks.policies import can_view
from . import events
from .common import MAX_REASON, _bad, _check_text, _user, dispute_link, evidence_days, open_dispute_of
from .models import Dispute

# --- subjects -----------------------------------------------------------------------------------

class _Subject:
    """What a dispute is about, in the terms the service needs."""

    def __init__(self, kind, subject_id, task, poster_id, solver_id, held, currency, hold_ref,
                 contract=None, milestone=None, payee=None):
        self.kind, self.subject_id, self.task = kind, subject_id, task
        self.poster_id, self.solver_id = poster_id, solver_id
        self.held, self.currency, self.hold_ref = held, currency, hold_ref
        self.contract, self.milestone, self.payee = contract, milestone, payee


def _contract_subject(milestone, contract) -> _Subject:
    task = contracts._task(contract)
    payee = ("org", contract.solver_org_id) if contract.solver_org_id else _user(contract.solver_id)
    kind = "claim" if contract.kind == "claim" else "milestone"
    return _Subject(kind, contract.id if kind == "claim" else milestone.id, task, contract.poster_id,
                    contract.solver_id, milestone.amount, milestone.currency,
                    contracts.milestone_escrow_ref(milestone), contract=contract, milestone=milestone,
                    payee=payee)


def _find_subject(milestone_id=None, contract_id=None, task_id=None) -> _Subject:
    given = [n for n, v in (("milestone_id", milestone_id), ("contract_id", contract_id),
                            ("task_id", task_id)) if v is not None]
    if len(given) != 1:
        raise _bad("subject", _l("Name exactly one of milestone_id, contract_id (a claim) or task_id (a bounty)."))
    field = given[0]
    value = {"milestone_id": milestone_id, "contract_id": contract_id, "task_id": task_id}[field]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(field, _l("Give a whole number id."))
    if field == "milestone_id":
        milestone = db.session.get(Milestone, value)
        if milestone is None:
            raise NotFound()
        return _contract_subject(milestone, contracts.contract_of(milestone))
    if field == "contract_id":
        contract = db.session.get(Contract, value)
        if contract is None:
            raise NotFound()
        if contract.kind != "claim":
            raise _bad("contract_id", _l("Only a claim is disputed as a whole; name the milestone of a tender."))
        return _contract_subject(contracts.milestones_of(contract)[0], contract)
    task = db.session.get(Task, value)
    if task is None:
        raise NotFound()
    if task.mode != "bounty":
        raise _bad("task_id", _l("Name a bounty; a tender's milestone or a claim is named by its own id."))
    return _Subject("bounty", task.id, task, task.poster_id, None, 0, task.currency, "")


# --- open ---------------------------------------------------------------------------------------

def open_dispute(actor, *, reason, amount, milestone_id=None, contract_id=None, task_id=None,
                 rank=None, now=None) -> Dispute:
    """A party opens a dispute: the subject's timer and money are frozen until it ends."""
    now = now or utcnow()
    errors = {}
    try:
        reason = _check_text(reason, "reason", MAX_REASON, _l("Say what the disagreement is about."))
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors["amount"] = [_l("Give the amount in question in minor units (分), greater than zero.")]
    try:
        subject = _find_subject(milestone_id, contract_id, task_id)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        subject = None
    if subject is not None and subject.kind == "bounty":
        if bounty_disputes.award_disputable(subject.task):
            return _open_award_dispute(actor, subject, reason, amount, rank, errors, now)
        return _open_bounty_dispute(actor, subject, reason, amount, errors, now)
    if subject is not None and not contracts.is_party(actor, subject.contract):
        raise NotFound()
    if subject is not None and not errors.get("amount") and amount > subject.held:
        errors["amount"] = [_l("The amount in question cannot be more than the money held (%(held)s).",
                               held=format_money(subject.held, subject.currency))]
    if errors:
        raise ValidationFailed(errors=errors)
    milestone = lock_row(Milestone, subject.milestone.id)  # serialises with the auto-accept timer
    prior, timer_kind, left = contract_disputes.freeze(milestone, subject.contract, now)
    dispute = Dispute(subject=subject.kind, subject_id=subject.subject_id, task_id=subject.task.id,
                      contract_id=subject.contract.id, milestone_id=milestone.id,
                      poster_id=subject.poster_id, solver_id=subject.solver_id, opened_by_id=actor.id,
                      reason=reason, amount=amount, held=subject.held, currency=subject.currency,
                      hold_ref=subject.hold_ref, status="open", opened_at=now,
                      evidence_until=now + dt.timedelta(days=evidence_days()),
                      prior_status=prior, frozen_timer=timer_kind, frozen_seconds=left)
    db.session.add(dispute)
    db.session.flush()
    other = subject.poster_id if actor.id == subject.solver_id else subject.solver_id
    notify(_user(other), "dispute.opened", link=dispute_link(dispute), who=actor.display_name,
           task=subject.task.title, reason=reason[:200])
    events.send(events.dispute_opened, dispute)
    return dispute


def _open_bounty_dispute(actor, subject, reason, amount, errors, now) -> Dispute:
    """The submitter of a rejected entry of a piece bounty disputes the rejection: the bounty's
    timers and one piece of its reward are frozen until the dispute ends."""
    task = subject.task
    entry = bounty_disputes.disputed_entry(task, actor.id)
    if entry is None and not can_view(actor, task):
        raise NotFound()
    if errors:
        raise ValidationFailed(errors=errors)
    task = lock_row(Task, task.id)  # serialises with the bounty's own timers and accepts
    bounty_disputes.check_disputable(task, entry, now)
    if open_dispute_of("bounty", task.id) is not None:
        raise WrongState(_l("A dispute about this is already open."))
    dispute = Dispute(subject="bounty", subject_id=task.id, task_id=task.id, poster_id=task.poster_id,
                      solver_id=actor.id, opened_by_id=actor.id, reason=reason, amount=amount, held=0,
                      currency=task.currency, hold_ref="-", status="open", opened_at=now,
                      evidence_until=now + dt.timedelta(days=evidence_days()), prior_status=entry.status)
    db.session.add(dispute)
    db.session.flush()
    hold_ref, held = bounty_disputes.freeze(task, f"dispute:{dispute.id}", now)
    if amount > held:
        raise ValidationFailed(errors={"amount": [
            _l("The amount in question cannot be more than the money held (%(held)s).",
               held=format_money(held, task.currency))]})
    dispute.hold_ref, dispute.held = hold_ref, held
    db.session.flush()
    notify(_user(task.poster_id), "dispute.opened", link=dispute_link(dispute), who=actor.display_name,
           task=task.title, reason=reason[:200])
    events.send(events.dispute_opened, dispute)
    return dispute


def _open_award_dispute(actor, subject, reason, amount, rank, errors, now) -> Dispute:
    """An entrant (or the poster side) disputes one held prize of an awarded single or ranked
    bounty within its window: the prize's release timer and money are frozen until it ends."""
    task = subject.task
    if bounty_disputes.entrant_entry(task, actor.id) is None and not bounty_policies.judges(actor, task):
        raise NotFound()
    try:
        bounty_disputes.check_award_dispute(actor, task, rank, now)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    task = lock_row(Task, task.id)  # serialises openings with each other and with the release timer
    prize, winner, side = bounty_disputes.check_award_dispute(actor, task, rank, now)
    if amount > prize.amount:
        raise ValidationFailed(errors={"amount": [
            _l("The amount in question cannot be more than the money held (%(held)s).",
               held=format_money(prize.amount, prize.currency))]})
    if open_dispute_of("bounty", task.id) is not None:
        raise WrongState(_l("A dispute about this is already open."))
    if side == "poster":
        poster_id, solver_id, respondent_id = task.poster_id, winner.solver_id, None
    else:
        poster_id, solver_id, respondent_id = task.poster_id, actor.id, winner.solver_id
    dispute = Dispute(subject="bounty", subject_id=task.id, task_id=task.id, poster_id=poster_id,
                      solver_id=solver_id, respondent_id=respondent_id, prize_id=prize.id,
                      opened_by_id=actor.id, reason=reason, amount=amount, held=prize.amount,
                      currency=prize.currency, hold_ref=f"bounty_prize:{prize.id}", status="open", opened_at=now,
                      evidence_until=now + dt.timedelta(days=evidence_days()), prior_status="held")
    db.session.add(dispute)
    db.session.flush()
    bounty_disputes.freeze_prize(prize, f"dispute:{dispute.id}", now)
    told = {u for u in (poster_id, solver_id, respondent_id) if u is not None and u != actor.id}
    for uid in sorted(told):
        notify(_user(uid), "dispute.opened", link=dispute_link(dispute), who=actor.display_name,
               task=task.title, reason=reason[:200])
    events.send(events.dispute_opened, dispute)
    return dispute


