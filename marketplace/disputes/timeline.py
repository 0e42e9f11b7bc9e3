"""The case timeline: everything that happened in the engagement, built from the rows the other
domains already keep (contract, milestones, fundings, deliveries and revision requests, messages,
timers) plus the dispute's own events and evidence. Nothing is copied; the page reads it live.

Each item: {"at", "kind", "label", "who" (user id or None), "text", "files", "milestone"}.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..bounties.models import BountyPrize, Submission
from ..contracts.models import Contract, Delivery, Message, Milestone
from ..core.statuses import status_name
from ..extensions import db
from ..jobs.models import Timer
from ..payments.models import Funding
from .models import Evidence

LABELS = {
    "contract.created": _l("Contract created"),
    "contract.accepted": _l("Contract accepted by the solver"),
    "milestone.funded": _l("Milestone funded"),
    "funding.started": _l("Funding started"),
    "delivery": _l("Delivered"),
    "revision": _l("Revision requested"),
    "milestone.accepted": _l("Accepted and paid"),  # the milestones status label
    "message": _l("Message"),
    "timer.scheduled": _l("Timer started"),
    "timer.cancelled": _l("Timer stopped"),
    "timer.done": _l("Timer ran"),
    "submission": _l("Entry submitted"),
    "entry.rejected": _l("Entry rejected"),
    "prize.awarded": _l("Prize awarded and held"),
    "dispute.opened": _l("Dispute opened"),
    "evidence": _l("Evidence"),
    "dispute.settled": _l("Settled by the parties"),
    "dispute.decided": _l("Decided by an operator"),
    "dispute.withdrawn": _l("Dispute withdrawn"),
}

METHODS = {"bank_transfer": _l("Corporate bank transfer"), "wallet": _l("Wallet balance"), "card": _l("Card")}

TIMER_LABELS = {
    "milestone.auto_accept": _l("automatic acceptance"),
    "claim.auto_confirm": _l("automatic confirmation"),
    "bounty.deadline": _l("submission deadline"),
    "bounty.selection_end": _l("end of the selection window"),
    "bounty.prize_release": _l("release of the held prize"),
}


def _item(at, kind, *, who=None, text="", files=(), milestone=None, due=None) -> dict:
    return {"at": at, "kind": kind, "label": LABELS.get(kind, kind), "who": who, "text": text or "",
            "files": list(files), "milestone": milestone, "due": due}


def _file(f) -> dict:
    return {"id": f.public_id, "name": f.name, "size": f.size, "sha256": f.sha256}


def build(dispute) -> list[dict]:
    items: list[dict] = []
    contract = db.session.get(Contract, dispute.contract_id) if dispute.contract_id else None
    if contract is not None:
        items.append(_item(contract.created_at, "contract.created", who=contract.poster_id))
        if contract.accepted_at and contract.kind == "tender":
            items.append(_item(contract.accepted_at, "contract.accepted", who=contract.solver_id))
        milestones = list(db.session.scalars(db.select(Milestone).where(Milestone.contract_id == contract.id)
                                             .order_by(Milestone.position)))
        titles = {m.id: m.title for m in milestones}
        for m in milestones:
            if m.funded_at:
                items.append(_item(m.funded_at, "milestone.funded", milestone=m.title))
            if m.accepted_at and m.id != dispute.milestone_id:
                items.append(_item(m.accepted_at, "milestone.accepted", milestone=m.title))
        ids = [str(m.id) for m in milestones]
        for f in db.session.scalars(db.select(Funding).where(Funding.subject_kind == "milestone",
                                                             Funding.subject_id.in_(ids))):
            items.append(_item(f.created_at, "funding.started", who=f.payer_user_id,
                               text=f"{METHODS.get(f.method, f.method)} · {status_name('fundings', f.status)}",
                               milestone=titles.get(int(f.subject_id))))
        deliveries = db.session.scalars(
            db.select(Delivery).options(selectinload(Delivery.files))
            .where(Delivery.milestone_id.in_([m.id for m in milestones])).order_by(Delivery.id))
        for d in deliveries:
            items.append(_item(d.created_at, "delivery", who=d.solver_id, text=d.note,
                               files=[_file(f) for f in d.files], milestone=titles.get(d.milestone_id)))
            if d.revision_requested_at:
                items.append(_item(d.revision_requested_at, "revision", who=contract.poster_id,
                                   text=d.revision_reason, milestone=titles.get(d.milestone_id)))
        for msg in db.session.scalars(db.select(Message).where(
                Message.task_id == contract.task_id, Message.solver_id == contract.solver_id).order_by(Message.id)):
            items.append(_item(msg.created_at, "message", who=msg.sender_id, text=msg.body))
        refs = [f"milestone:{m.id}" for m in milestones]
        for t in db.session.scalars(db.select(Timer).where(Timer.subject_ref.in_(refs),
                                                           Timer.kind.in_(tuple(TIMER_LABELS)))):
            name = str(TIMER_LABELS[t.kind])
            items.append(_item(t.created_at, "timer.scheduled", text=name, due=t.due_at))
            if t.done_at and t.status in ("cancelled", "done"):
                items.append(_item(t.done_at, f"timer.{t.status}", text=name))
    if dispute.subject == "bounty":
        items.extend(_bounty_items(dispute))
    items.append(_item(dispute.opened_at, "dispute.opened", who=dispute.opened_by_id, text=dispute.reason))
    for e in db.session.scalars(db.select(Evidence).options(selectinload(Evidence.files))
                                .where(Evidence.dispute_id == dispute.id).order_by(Evidence.id)):
        items.append(_item(e.created_at, "evidence", who=e.author_id, text=e.text,
                           files=[_file(f) for f in e.files]))
    if dispute.closed_at:
        who = dispute.decided_by_id if dispute.status == "decided" else (
            dispute.opened_by_id if dispute.status == "withdrawn" else None)
        text = dispute.decision_reason or ""
        if dispute.solver_share_bps is not None:
            text = f"{dispute.solver_share_bps / 100:g}% · {text}".strip(" ·")
        items.append(_item(dispute.closed_at, f"dispute.{dispute.status}", who=who, text=text))
    # Stable order: by time, then by the order the rows were read (sorted is stable).
    return sorted(items, key=lambda i: i["at"])


def _timer_items(refs) -> list[dict]:
    items = []
    for t in db.session.scalars(db.select(Timer).where(Timer.subject_ref.in_(refs),
                                                       Timer.kind.in_(tuple(TIMER_LABELS)))):
        name = str(TIMER_LABELS[t.kind])
        items.append(_item(t.created_at, "timer.scheduled", text=name, due=t.due_at))
        if t.done_at and t.status in ("cancelled", "done"):
            items.append(_item(t.done_at, f"timer.{t.status}", text=name))
    return items


def _bounty_items(dispute) -> list[dict]:
    """The solver's entries of the bounty and how they were judged, and the bounty's timers."""
    items = []
    people = [i for i in (dispute.solver_id, dispute.respondent_id) if i is not None]
    for sub in db.session.scalars(db.select(Submission).options(selectinload(Submission.files))
                                  .where(Submission.task_id == dispute.task_id,
                                         Submission.solver_id.in_(people)).order_by(Submission.id)):
        items.append(_item(sub.received_at, "submission", who=sub.solver_id, text=sub.text,
                           files=[{"id": f.public_id, "name": f.name, "size": f.size, "sha256": f.sha256,
                                   "bounty": True} for f in sub.files]))
        if sub.status in ("rejected", "ineligible") and sub.decided_at:
            items.append(_item(sub.decided_at, "entry.rejected", text=sub.reason or ""))
    refs = [f"task:{dispute.task_id}"]
    if dispute.prize_id is not None:
        prize = db.session.get(BountyPrize, dispute.prize_id)
        winner = db.session.get(Submission, prize.submission_id)
        items.append(_item(prize.awarded_at, "prize.awarded", who=winner.solver_id,
                           text=_l("Prize %(rank)s, held until %(at)s", rank=prize.rank,
                                   at=prize.held_until.strftime("%Y-%m-%d %H:%M UTC"))))
        refs.append(f"bounty_prize:{prize.id}")
    items.extend(_timer_items(refs))
    return items
