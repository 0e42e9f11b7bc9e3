"""The Task shape of the JSON API (see API.md "Task")."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core import links
from ..core.db import iso
from ..organisations.service import orgs_managed_by
from .listing import ListingPage


@dataclass
class Viewer:
    """Who is looking, computed once per request so a list needs no query per task."""
    user: object = None
    managed_org_ids: set = field(default_factory=set)

    @classmethod
    def of(cls, user) -> Viewer:
        if user is None or not getattr(user, "is_authenticated", False):
            return cls()
        return cls(user=user, managed_org_ids={o.id for o in orgs_managed_by(user)})

    def manages(self, task) -> bool:
        if self.user is None:
            return False
        return task.poster_id == self.user.id or (task.org_id is not None and task.org_id in self.managed_org_ids)

    def sees_address(self, task) -> bool:
        """Same rule as policies.can_see_address, without queries."""
        if self.user is None:
            return False
        return self.manages(task) or (task.claimant_id is not None and task.claimant_id == self.user.id)


def serialize_task(task, viewer: Viewer, page: ListingPage | None = None, *, link=links.task) -> dict:
    """The task as the API shows it; a list passes the page (names and badges) and
    link=links.task_link_maker() (its links built from one pattern)."""
    data = {
        "id": task.id,
        "mode": task.mode,
        "status": task.status,
        "title": task.title,
        "description": task.description,
        "category": task.category,
        "skills": list(task.skills or []),
        "city": task.city,
        "visibility": task.visibility,
        "ip_terms": task.ip_terms,
        "org_id": task.org_id,
        "poster_id": task.poster_id,
        "currency": task.currency,
        "escrow": {"funded": bool(task.escrow_funded), "amount": task.escrow_amount or 0},
        "created_at": iso(task.created_at),
        "published_at": iso(task.published_at),
        "updated_at": iso(task.updated_at),
        "deadline": iso(task.deadline),
        "amount": task.reward_total,
        "hidden": task.hidden_at is not None,
        "url": link(task.id),
    }
    if page is not None:
        data["poster_verified"] = task.poster_id in page.verified_users
        data["org_name"] = page.org_names.get(task.org_id)
        data["org_verified"] = task.org_id in page.verified_orgs
    if task.mode == "tender":
        data.update(budget_min=task.budget_min, budget_max=task.budget_max, bid_deadline=iso(task.bid_deadline))
    elif task.mode == "claim":
        data.update(price=task.price, district=task.district, window_start=iso(task.window_start),
                    window_end=iso(task.window_end), claimant_id=task.claimant_id)
        if viewer.sees_address(task):
            data["address"] = task.address
    else:
        data.update(prize_structure=task.prize_structure, prizes=list(task.prizes or []),
                    unit_price=task.unit_price, max_pieces=task.max_pieces,
                    submission_deadline=iso(task.submission_deadline), selection_days=task.selection_days,
                    eligibility=task.eligibility, total_reward=task.reward_total,
                    criteria=task.criteria)
    if viewer.manages(task) and task.hidden_at is not None:
        data["hidden_reason"] = task.hidden_reason
    return data


def serialize_attachment(attachment) -> dict:
    return {"id": attachment.public_id, "name": attachment.name, "size": attachment.size,
            "sha256": attachment.sha256, "mime": attachment.mime,
            "url": links.url("tasks.attachment", public_id=attachment.public_id)}


def serialize_question(question) -> dict:
    return {"id": question.id, "task_id": question.task_id, "asker_id": question.asker_id, "text": question.text,
            "answer": question.answer, "answered_at": iso(question.answered_at),
            "created_at": iso(question.created_at)}


def serialize_invite(invite) -> dict:
    return {"id": invite.id, "task_id": invite.task_id, "solver_id": invite.solver_id,
            "created_at": iso(invite.created_at)}


def serialize_suggestion(s) -> dict:
    return {"user_id": s.user.id, "display_name": s.user.display_name, "city": s.user.city,
            "skills": list(s.user.skills or []), "shared_skills": s.shared_skills, "same_city": s.same_city,
            "verified": s.verified, "completed": s.completed, "invited": s.invited}
