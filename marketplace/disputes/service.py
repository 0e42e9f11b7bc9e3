"""Disputes, by use case: open (freezing the subject's timer and money), add evidence, offer a
settlement (equal offers from both sides settle), withdraw (the opener; the timer resumes), and an
operator's decision (a share to the solver in basis points, with a written reason). Opening lives in
`opening`, what the use cases share in `common`; this module gathers them.

Money moves once, through `payments.split` (largest remainder; the platform fee on the solver's
part; the payer's part back the way it came), keyed "dispute:<id>". Every closing is a conditional
UPDATE from `open`, so of many concurrent decisions or settlements exactly one wins (409 for the
others). Services never commit.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..bids.service import discard_files, store_files
from ..bounties import disputes as bounty_disputes
from ..contracts import disputes as contract_disputes
from ..contracts import service as contracts
from ..core import audit
from ..core.db import lock_row, utcnow
from ..core.errors import Forbidden, NotFound, ValidationFailed, WrongState
from ..core.i18n import format_when
from ..core.money import format_money, split_largest_remainder
from ..extensions import db
from ..notifications.service import notify
from ..payments import service as payments
from . import events, policies
from .common import (  # noqa: F401  (gathered here: callers use service.<name>)
    MAX_EVIDENCE,
    MAX_REASON,
    _bad,
    _check_text,
    _parties,
    _task,
    _user,
    check_bps,
    dispute_link,
    evidence_days,
    share_text,
)
from .models import Dispute, Evidence, EvidenceFile
from .opening import _contract_subject, _find_subject, open_dispute  # noqa: F401  (the opening use case)

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
