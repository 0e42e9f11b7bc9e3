"""JSON shapes of bounty entries (API.md "Submission"), receipts, results and reviews."""
from __future__ import annotations

from ..core.db import iso
from ..extensions import db
from ..tasks.models import Task
from . import policies
from .review import review_age_hours, review_due_at, review_sla_hours, review_sla_state


def serialize_file(f) -> dict:
    return {"id": f.public_id, "name": f.name, "size": f.size, "sha256": f.sha256, "mime": f.mime,
            "url": f"/api/v1/submission-files/{f.public_id}"}


def serialize_submission(sub, task, user) -> dict:
    """The entry as `user` may see it: authors and the poster's side see the content; the
    private note and shortlist only the poster's side."""
    data = {"id": sub.public_id, "task_id": sub.task_id, "solver_id": sub.solver_id, "text": sub.text,
            "files": [serialize_file(f) for f in sub.files], "sha256": sub.sha256,
            "received_at": iso(sub.received_at), "status": sub.status, "rank": sub.rank,
            "piece_no": sub.piece_no, "reason": sub.reason,
            "paid": {"amount": sub.paid_amount, "currency": task.currency} if sub.paid_amount else None,
            "coauthors": [{"user_id": a.user_id, "share_bps": a.share_bps} for a in sub.authors],
            "withdrawn_at": iso(sub.withdrawn_at)}
    if policies.poster_side(user, task):
        data["note"] = sub.note
        data["shortlisted"] = sub.shortlisted
    return data


def serialize_receipt(sub) -> dict:
    return {"id": sub.public_id, "sha256": sub.sha256, "received_at": iso(sub.received_at)}


def serialize_result(sub, task, prize=None) -> dict:
    """A public result; a single or ranked prize also says whether it is held for the dispute
    window (until when), in dispute, paid, or divided by a dispute."""
    payment = ({"status": prize.status, "held_until": iso(prize.held_until), "paid_at": iso(prize.paid_at)}
               if prize is not None else None)
    return {"payment": payment, "rank": sub.rank, "piece_no": sub.piece_no, "solver_id": sub.solver_id,
            "solver_name": sub.solver.display_name,
            "authors": [{"user_id": a.user_id, "display_name": a.user.display_name, "share_bps": a.share_bps}
                        for a in sub.authors],
            "prize": {"amount": sub.paid_amount, "currency": task.currency}}


def serialize_review(review, task=None) -> dict:
    """A bounty review (the queue's "reviews-due" item): when it is due and how close that is."""
    if task is None:
        task = db.session.get(Task, review.task_id)
    data = {"id": review.id, "task_id": review.task_id, "user_id": task.poster_id, "title": task.title,
            "status": review.status, "opened_at": iso(review.opened_at),
            "reward": {"amount": task.escrow_amount, "currency": task.currency}}
    if review.status == "open":
        data.update(due_at=iso(review_due_at(review)), age_hours=round(review_age_hours(review), 1),
                    sla_hours=review_sla_hours(), sla=review_sla_state(review))
    return data
