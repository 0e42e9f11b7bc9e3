"""Disputes, by use case: open (freezing the subject's timer and money), add evidence, offer a
settlement (equal offers from both sides settle), withdraw (the opener; the timer resumes), and an
operator's decision (a share to the solver in basis points, with a written reason).

Money moves once, through `payments.split` (largest remainder; the platform fee on the solver's
part; the payer's part back the way it came), keyed "dispute:<id>". Every closing is a conditional
UPDATE from `open`, so of many concurrent decisions or settlements exactly one wins (409 for the
others). Services never commit.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..bids.service import discard_files, store_files
from ..bounties import disputes as bounty_disputes
from ..bounties import policies as bounty_policies
from ..contracts import disputes as contract_disputes
from ..contracts import service as contracts
from ..contracts.models import Contract, Milestone
from ..core import audit
from ..core.db import lock_row, utcnow
from ..core.errors import Forbidden, NotFound, ValidationFailed, WrongState
from ..core.i18n import format_when
from ..core.money import format_money, split_largest_remainder
from ..extensions import db
from ..notifications.service import notify, register_kind
from ..payments import service as payments
from ..tasks.models import Task
from ..tasks.policies import can_view
from . import events, policies
from .models import Dispute, Evidence, EvidenceFile

MAX_REASON = 5000
MAX_EVIDENCE = 10000

register_kind("dispute.opened", _l("%(who)s opened a dispute about “%(task)s”: %(reason)s"))
register_kind("dispute.evidence", _l("%(who)s added evidence to the dispute about “%(task)s”."))
register_kind("dispute.offer", _l("%(who)s proposes to settle the dispute about “%(task)s”: %(share)s to the solver."))
register_kind("dispute.settled", _l("The dispute about “%(task)s” was settled: %(share)s to the solver (%(solver_amount)s), %(payer_amount)s back to the payer."))
register_kind("dispute.decided", _l("An operator decided the dispute about “%(task)s”: %(share)s to the solver (%(solver_amount)s), %(payer_amount)s back to the payer. Reason: %(reason)s"))
register_kind("dispute.prize_settled", _l("The dispute about a prize of “%(task)s” was settled: %(share)s of it to %(complainant)s (%(solver_amount)s), %(payer_amount)s to the winner %(winner)s."))
register_kind("dispute.prize_decided", _l("An operator decided the dispute about a prize of “%(task)s”: %(share)s of it to %(complainant)s (%(solver_amount)s), %(payer_amount)s to the winner %(winner)s. Reason: %(reason)s"))
register_kind("dispute.withdrawn", _l("%(who)s withdrew the dispute about “%(task)s”; the work continues."))


def evidence_days() -> int:
    return int(current_app.config.get("EVIDENCE_DAYS", 7))


def dispute_link(dispute) -> str:
    return f"/disputes/{dispute.id}"


def share_text(bps: int) -> str:
    return f"{bps / 100:g}%"


def _user(user_id):
    return db.session.get(User, user_id)


def _task(dispute):
    return db.session.get(Task, dispute.task_id)


def _parties(dispute) -> list[int]:
    """Everyone told of the outcome: the poster, the solver and, between entrants, the winner."""
    ids = [dispute.poster_id, dispute.solver_id, dispute.respondent_id]
    return list(dict.fromkeys(i for i in ids if i is not None))


def _bad(field, message) -> ValidationFailed:
    return ValidationFailed(errors={field: [message]})


def check_bps(value, field: str = "solver_share_bps") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10000:
        raise _bad(field, _l("Give the solver's share in basis points, a whole number from 0 to 10000."))
    return value


def _check_text(value, field: str, max_length: int, missing) -> str:
    if value is not None and not isinstance(value, str):
        raise _bad(field, _l("This must be text."))
    value = (value or "").strip()
    if not value:
        raise _bad(field, missing)
    if len(value) > max_length:
        raise _bad(field, _l("At most %(n)s characters.", n=max_length))
    return value


# --- loading ------------------------------------------------------------------------------------

def get_dispute(dispute_id) -> Dispute:
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None:
        raise NotFound()
    return dispute


def get_visible(user, dispute_id) -> Dispute:
    dispute = get_dispute(dispute_id)
    policies.require_view(user, dispute)
    return dispute


def evidence_of(dispute) -> list[Evidence]:
    return list(db.session.scalars(
        db.select(Evidence).options(selectinload(Evidence.files))
        .where(Evidence.dispute_id == dispute.id).order_by(Evidence.id)))


def open_dispute_of(subject: str, subject_id: int) -> Dispute | None:
    return db.session.scalars(db.select(Dispute).where(
        Dispute.subject == subject, Dispute.subject_id == subject_id, Dispute.status == "open")).first()


def disputes_of_contract(contract_id: int) -> list[Dispute]:
    return list(db.session.scalars(db.select(Dispute).where(Dispute.contract_id == contract_id)
                                   .order_by(Dispute.id)))


def disputes_of(user, limit: int = 50, before_id: int | None = None) -> list[Dispute]:
    """The user's disputes as a party (poster or solver), newest first."""
    query = db.select(Dispute).where(db.or_(Dispute.poster_id == user.id, Dispute.solver_id == user.id,
                                            Dispute.respondent_id == user.id))
    if before_id:
        query = query.where(Dispute.id < before_id)
    return list(db.session.scalars(query.order_by(Dispute.id.desc()).limit(limit)))


def open_disputes(limit: int = 50) -> list[Dispute]:
    """The operator queue: open disputes, oldest first."""
    return list(db.session.scalars(db.select(Dispute).where(Dispute.status == "open")
                                   .order_by(Dispute.opened_at, Dispute.id).limit(limit)))


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


# --- evidence -----------------------------------------------------------------------------------

def add_evidence(actor, dispute, text, files=(), *, now=None) -> Evidence:
    """A party adds a statement and files (the same file rules as deliveries) while the dispute is
    open and its evidence window (EVIDENCE_DAYS) lasts."""
    now = now or utcnow()
    policies.require_party(actor, dispute)
    text = _check_text(text, "text", MAX_EVIDENCE, _l("Describe your evidence."))
    if dispute.status != "open":
        raise WrongState(_l("This dispute is closed."))
    if now >= dispute.evidence_until:
        raise WrongState(_l("The time for evidence ended on %(at)s.",
                            at=format_when(dispute.evidence_until)))
    stored = store_files(files)
    try:
        # The collection is set even when empty: `files` is lazy="raise", and the caller
        # serialises the new evidence with its (possibly no) files.
        evidence = Evidence(dispute_id=dispute.id, author_id=actor.id, text=text, created_at=now,
                            files=[EvidenceFile(path=s.path, name=s.name, size=s.size, sha256=s.sha256,
                                                mime=s.mime) for s in stored])
        db.session.add(evidence)
        db.session.flush()
    except Exception:
        discard_files(stored)
        raise
    other = dispute.poster_id if policies.is_solver_side(actor, dispute) else dispute.solver_id
    notify(_user(other), "dispute.evidence", link=dispute_link(dispute), who=actor.display_name,
           task=_task(dispute).title)
    return evidence


def evidence_file(user, public_id: str) -> EvidenceFile:
    """An evidence file, for parties and operators only (404 for everyone else)."""
    row = db.session.execute(db.select(EvidenceFile).where(EvidenceFile.public_id == public_id)).scalar_one_or_none()
    if row is None:
        raise NotFound()
    evidence = db.session.get(Evidence, row.evidence_id)
    policies.require_view(user, get_dispute(evidence.dispute_id))
    return row


# --- closing ------------------------------------------------------------------------------------

def _close(dispute, status: str, now, **values) -> None:
    """The race guard: only one request moves the dispute from open."""
    result = db.session.execute(
        db.update(Dispute).where(Dispute.id == dispute.id, Dispute.status == "open")
        .values(status=status, closed_at=now, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.expire(dispute)
        raise WrongState(_l("This dispute is already closed."))
    db.session.refresh(dispute)


def _move_money(dispute, bps: int, actor) -> tuple[int, int]:
    """Split the frozen money: bps of it (largest remainder) to the solver minus the fee, the rest
    back to the payer. Returns (solver part before the fee, payer part)."""
    if dispute.prize_id is not None:
        return _move_prize_money(dispute, bps, actor)
    if dispute.subject == "bounty":
        return _move_bounty_money(dispute, bps, actor)
    milestone = contracts.load_milestone(dispute.milestone_id)
    contract = contracts.contract_of(milestone)
    subject = _contract_subject(milestone, contract)
    solver_part, payer_part = split_largest_remainder(dispute.held, [bps, 10000 - bps])
    payments.split(dispute.hold_ref, subject.payee, solver_amount=solver_part,
                   idempotency_key=f"dispute:{dispute.id}", actor=actor, category=subject.task.category)
    contract_disputes.resolve(milestone, contract, solver_part > 0, utcnow())
    return solver_part, payer_part


def _move_bounty_money(dispute, bps: int, actor) -> tuple[int, int]:
    task = _task(dispute)
    entry = bounty_disputes.disputed_entry(task, dispute.solver_id)
    solver_part, payer_part = split_largest_remainder(dispute.held, [bps, 10000 - bps])
    now = utcnow()
    bounty_disputes.thaw(task, dispute.hold_ref, now)
    payments.split(dispute.hold_ref, _user(dispute.solver_id), solver_amount=solver_part,
                   idempotency_key=f"dispute:{dispute.id}", actor=actor, category=task.category)
    bounty_disputes.resolve(task, entry, dispute.hold_ref, solver_part, now)
    return solver_part, payer_part


def _move_prize_money(dispute, bps: int, actor) -> tuple[int, int]:
    """A disputed prize: between entrants, bps of it to the complainant and the rest to the winner;
    brought by the poster side, bps to the winner and the rest back to the payer. Returns (the
    share's part, the rest), both before the fee."""
    prize = bounty_disputes.get_prize(dispute.prize_id)
    share, rest = split_largest_remainder(dispute.held, [bps, 10000 - bps])
    if dispute.respondent_id is not None:
        parts = dict(complainant_id=dispute.solver_id, complainant_part=share, winner_part=rest, payer_part=0)
    else:
        parts = dict(complainant_id=None, complainant_part=0, winner_part=share, payer_part=rest)
    bounty_disputes.split_prize(prize, actor=actor, key=f"dispute:{dispute.id}", now=utcnow(), **parts)
    return share, rest


def _outcome_kind(dispute, kind: str) -> str:
    """dispute.settled / dispute.decided, or their wording for a prize divided between entrants."""
    return kind.replace("dispute.", "dispute.prize_") if dispute.respondent_id is not None else kind


def _outcome_params(dispute) -> dict:
    if dispute.respondent_id is not None:
        return dict(task=_task(dispute).title, share=share_text(dispute.solver_share_bps),
                    solver_amount=format_money(dispute.solver_amount, dispute.currency),
                    payer_amount=format_money(dispute.payer_amount, dispute.currency),
                    complainant=_user(dispute.solver_id).display_name,
                    winner=_user(dispute.respondent_id).display_name)
    return dict(task=_task(dispute).title, share=share_text(dispute.solver_share_bps),
                solver_amount=format_money(dispute.solver_amount, dispute.currency),
                payer_amount=format_money(dispute.payer_amount, dispute.currency))


def offer_settlement(actor, dispute, bps, *, now=None) -> Dispute:
    """A party proposes a share to the solver; when the other side has proposed the same share the
    dispute is settled and the money split at once."""
    now = now or utcnow()
    policies.require_party(actor, dispute)
    bps = check_bps(bps)
    dispute = lock_row(Dispute, dispute.id)
    db.session.refresh(dispute)
    if dispute.status != "open":
        raise WrongState(_l("This dispute is already closed."))
    if dispute.respondent_id is not None:  # between entrants: the complainant and the winner settle
        side = policies.settling_side(actor, dispute)
        if side == "respondent":
            dispute.respondent_offer_bps = bps
        else:
            dispute.solver_offer_bps = bps
        counter = dispute.respondent_offer_bps
        other = dispute.solver_id if side == "respondent" else dispute.respondent_id
    else:
        poster_side = policies.is_poster_side(actor, dispute)
        if poster_side:
            dispute.poster_offer_bps = bps
        else:
            dispute.solver_offer_bps = bps
        counter = dispute.poster_offer_bps
        other = dispute.solver_id if poster_side else dispute.poster_id
    db.session.flush()
    if counter is None or counter != dispute.solver_offer_bps:
        notify(_user(other), "dispute.offer", link=dispute_link(dispute), who=actor.display_name,
               task=_task(dispute).title, share=share_text(bps))
        return dispute
    _close(dispute, "settled", now, solver_share_bps=bps)
    solver_part, payer_part = _move_money(dispute, bps, actor)
    dispute.solver_amount, dispute.payer_amount = solver_part, payer_part
    db.session.flush()
    for uid in _parties(dispute):
        notify(_user(uid), _outcome_kind(dispute, "dispute.settled"), link=dispute_link(dispute), **_outcome_params(dispute))
    events.send(events.dispute_settled, dispute)
    return dispute


def decide(operator, dispute, bps, reason, *, now=None) -> Dispute:
    """An operator decides: `bps` of the frozen money to the solver, with a written reason the
    parties read. Never about the operator or the operator's organisation."""
    now = now or utcnow()
    policies.require_may_decide(operator, dispute)
    errors = {}
    try:
        bps = check_bps(bps)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        reason = _check_text(reason, "reason", MAX_REASON, _l("Write the reason for the decision."))
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    _close(dispute, "decided", now, solver_share_bps=bps, decision_reason=reason, decided_by_id=operator.id)
    solver_part, payer_part = _move_money(dispute, bps, operator)
    dispute.solver_amount, dispute.payer_amount = solver_part, payer_part
    db.session.flush()
    audit.record("dispute.decide", actor=operator, target=dispute, reason=reason, solver_share_bps=bps,
                 solver_amount=solver_part, payer_amount=payer_part)
    for uid in _parties(dispute):
        notify(_user(uid), _outcome_kind(dispute, "dispute.decided"), link=dispute_link(dispute), reason=reason[:300],
               **_outcome_params(dispute))
    events.send(events.dispute_decided, dispute)
    return dispute


def withdraw(actor, dispute, *, now=None) -> Dispute:
    """The party who opened the dispute withdraws it: the subject goes back to where it was and
    its timer runs on with the time that was left."""
    now = now or utcnow()
    policies.require_view(actor, dispute)
    if actor.id != dispute.opened_by_id:
        raise Forbidden(_l("Only the party who opened the dispute can withdraw it."))
    _close(dispute, "withdrawn", now)
    if dispute.prize_id is not None:
        bounty_disputes.thaw_prize(bounty_disputes.get_prize(dispute.prize_id), now)
        for uid in _parties(dispute):
            if uid != actor.id:
                notify(_user(uid), "dispute.withdrawn", link=dispute_link(dispute), who=actor.display_name,
                       task=_task(dispute).title)
        return dispute
    if dispute.subject == "bounty":
        bounty_disputes.thaw(_task(dispute), dispute.hold_ref, now)
        notify(_user(dispute.poster_id), "dispute.withdrawn", link=dispute_link(dispute), who=actor.display_name,
               task=_task(dispute).title)
        return dispute
    milestone = contracts.load_milestone(dispute.milestone_id)
    contract_disputes.resume(milestone, contracts.contract_of(milestone), dispute.prior_status,
                             dispute.frozen_timer, dispute.frozen_seconds, now)
    other = dispute.solver_id if actor.id == dispute.poster_id else dispute.poster_id
    notify(_user(other), "dispute.withdrawn", link=dispute_link(dispute), who=actor.display_name,
           task=_task(dispute).title)
    return dispute
