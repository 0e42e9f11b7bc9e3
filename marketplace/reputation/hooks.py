"""Receivers connecting the reputation domain to the events of lower domains (blinker signals,
declared in each announcing domain's events.py). Each runs inside the sender's unit of work."""
from __future__ import annotations

from ..accounts import events as account_events
from ..bounties import events as bounty_events
from ..contracts import events as contract_events
from ..contracts.models import Contract, Milestone
from ..disputes import events as dispute_events
from ..extensions import db
from ..tasks.models import Task
from ..verification import events as verification_events
from . import credit, experts, reviews
from .models import CreditStanding


def _on_time(contract) -> bool | None:
    """Every milestone with a due date was delivered by it (None when none had a due date)."""
    rows = db.session.execute(db.select(Milestone.due_at, Milestone.delivered_at)
                              .where(Milestone.contract_id == contract.id)).all()
    judged = [(due, delivered) for due, delivered in rows if due is not None and delivered is not None]
    if not judged:
        return None
    return all(delivered <= due for due, delivered in judged)


def on_contract_completed(sender, *, contract, task, amount, **_):
    reviews.open_engagement("claim" if contract.kind == "claim" else "contract", task,
                            poster_id=contract.poster_id, solver_id=contract.solver_id, amount=amount,
                            currency=contract.currency, contract_id=contract.id, poster_org_id=contract.org_id,
                            solver_org_id=contract.solver_org_id, on_time=_on_time(contract),
                            now=contract.completed_at)


def on_claim_abandoned(sender, *, contract, task, abandonment, **_):
    credit.append("user", contract.solver_id, credit.CLAIM_ABANDONED,
                  {"contract_id": contract.id, "task_id": task.id}, at=abandonment.at)


def on_contract_cancelled(sender, *, contract, task, refunded=False, **_):
    if not refunded:  # cancelling before any money was funded costs nobody credit
        return
    data = {"contract_id": contract.id, "task_id": task.id}
    for subject in (("user", contract.poster_id), ("org", contract.org_id),
                    ("user", contract.solver_id), ("org", contract.solver_org_id)):
        if subject[1]:
            credit.append(*subject, credit.CONTRACT_CANCELLED, data, at=contract.cancelled_at)


def on_bounty_awarded(sender, *, task, winners=(), **_):
    for winner in winners or ():
        user_ids = list(winner.get("user_ids") or [])
        share = int(winner.get("amount") or 0)
        for uid in user_ids:
            reviews.open_engagement("bounty", task, poster_id=task.poster_id, solver_id=uid,
                                    amount=share // max(len(user_ids), 1), currency=task.currency,
                                    poster_org_id=task.org_id)


def on_piece_accepted(sender, *, task, submission, amount=0, **_):
    reviews.open_engagement("bounty", task, poster_id=task.poster_id, solver_id=submission.solver_id,
                            amount=amount, currency=task.currency, poster_org_id=task.org_id)


def dispute_lost(side: str, solver_share_bps: int) -> bool:
    """Docs/credit.md: the solver lost when it got less than half, the poster (or the winner whose
    prize an entrant disputed) when the solver got more than half; an even split is lost by nobody."""
    if side == "solver":
        return solver_share_bps < 5000
    return solver_share_bps > 5000


def _dispute_orgs(subject: str, subject_id: int) -> tuple[int | None, int | None]:
    """The organisations on the poster and solver sides of a disputed milestone, claim or bounty."""
    contract = None
    if subject == "milestone":
        milestone = db.session.get(Milestone, subject_id)
        contract = db.session.get(Contract, milestone.contract_id) if milestone else None
    elif subject == "claim":
        contract = db.session.get(Contract, subject_id)
    if contract is not None:
        return contract.org_id, contract.solver_org_id
    if subject == "bounty":
        task = db.session.get(Task, subject_id)
        return (task.org_id if task else None), None
    return None, None


def on_dispute_decided(sender, *, dispute, poster_id, solver_id, solver_share_bps, subject, subject_id,
                       amount, respondent_id=None, **_):
    bps = int(solver_share_bps or 0)
    poster_org, solver_org = _dispute_orgs(subject, subject_id)
    sides = (("poster", poster_id, poster_org), ("solver", solver_id, solver_org))
    if respondent_id is not None:  # a held prize between two entrants: the poster's money is not in it
        sides = (("respondent", respondent_id, None), ("solver", solver_id, None))
    for side, uid, org_id in sides:
        data = {"dispute_id": dispute.id, "subject": subject, "subject_id": subject_id, "role": side,
                "solver_share_bps": bps, "amount": int(amount or 0), "lost": dispute_lost(side, bps)}
        for subject_type, subject_key in (("user", uid), ("org", org_id)):
            if subject_key:
                credit.append(subject_type, subject_key, credit.DISPUTE_DECIDED, data)


def on_verification_approved(sender, *, request, **_):
    if request.subject == "organisation" and request.org_id:
        credit.append("org", request.org_id, credit.VERIFICATION_APPROVED, {"subject": "organisation"})
    else:
        credit.append("user", request.user_id, credit.VERIFICATION_APPROVED, {"subject": "individual"})
    experts.on_verified(request)


def on_blocklisted(sender, *, user, reason, by=None, at=None, **_):
    credit.append("user", user.id, credit.VIOLATION, {"reason": reason, "by": getattr(by, "id", None)}, at=at)


def on_blocklist_lifted(sender, *, user, reason, by=None, at=None, **_):
    credit.append("user", user.id, credit.BLOCKLIST_LIFTED, {"reason": reason, "by": getattr(by, "id", None)},
                  at=at)


def user_summaries(sender, *, user_ids, **_) -> dict[int, dict]:
    """accounts.user_summaries receiver: one query for all the ids."""
    rows = db.session.execute(
        db.select(CreditStanding.subject_id, CreditStanding.plain_rating, CreditStanding.reviews,
                  CreditStanding.completed, CreditStanding.score, CreditStanding.level)
        .where(CreditStanding.subject_type == "user", CreditStanding.subject_id.in_(list(user_ids)))).all()
    return {uid: {"rating": rating, "reviews": count, "completed": completed, "score": score, "level": level}
            for uid, rating, count, completed, score, level in rows}


def user_summary_columns(sender, *, user_id, **_) -> dict:
    """accounts.user_summary_columns receiver: the user's completed engagements and credit score
    inside a query (one row of credit_standings, found through its unique key); NULL without one."""
    standing = db.select(CreditStanding).where(CreditStanding.subject_type == "user",
                                               CreditStanding.subject_id == user_id)
    return {"completed": standing.with_only_columns(CreditStanding.completed).scalar_subquery(),
            "score": standing.with_only_columns(CreditStanding.score).scalar_subquery()}


def connect() -> None:
    pairs = [
        (contract_events.contract_completed, on_contract_completed),
        (contract_events.claim_confirmed, on_contract_completed),
        (contract_events.claim_abandoned, on_claim_abandoned),
        (contract_events.contract_cancelled, on_contract_cancelled),
        (verification_events.verification_approved, on_verification_approved),
        (account_events.user_blocklisted, on_blocklisted),
        (account_events.user_blocklist_lifted, on_blocklist_lifted),
        (account_events.user_summaries, user_summaries),
        (account_events.user_summary_columns, user_summary_columns),
        (bounty_events.bounty_awarded, on_bounty_awarded),
        (bounty_events.piece_accepted, on_piece_accepted),
        (dispute_events.dispute_decided, on_dispute_decided),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, weak=False)

