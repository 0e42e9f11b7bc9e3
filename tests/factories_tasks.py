"""Task factories. Each commits, so requests and other threads see the rows.

    task = make_task(poster=alice)                      # an open tender
    claim = make_task(poster=alice, mode="claim")       # an open, escrow-funded claim
    draft = make_task(poster=alice, status="draft")
    bounty = make_task(poster=alice, mode="bounty", prize_structure="ranked", prizes=[50000, 30000])

Fields are written as given (no validation), so tests may build tasks with past deadlines.
Claims and bounties that are not drafts are marked escrow-funded with their total reward unless
`escrow_funded` is given; this factory does not post ledger entries.
"""
from __future__ import annotations

import datetime as dt
import itertools

from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.tasks.models import Task
from marketplace.tasks.service import reindex

from .factories import make_user

_seq = itertools.count(1)


def _defaults(mode: str, now: dt.datetime) -> dict:
    if mode == "tender":
        return {"category": "software", "budget_min": 100_000, "budget_max": 300_000,
                "bid_deadline": now + dt.timedelta(days=14)}
    if mode == "claim":
        return {"category": "delivery", "city": "wuhan", "district": "wuhan-hongshan", "price": 5_000,
                "address": "珞喻路1037号", "window_start": now + dt.timedelta(days=1),
                "window_end": now + dt.timedelta(days=1, hours=3)}
    if mode == "bounty":
        return {"category": "micro_film", "prize_structure": "single", "prizes": [200_000],
                "submission_deadline": now + dt.timedelta(days=21), "selection_days": 7,
                "eligibility": "anyone"}
    raise ValueError(mode)


def make_task(poster=None, mode: str = "tender", *, status: str = "open", title: str | None = None,
              **fields) -> Task:
    now = utcnow()
    poster = poster or make_user()
    values = {"title": title or f"Task {next(_seq)}", "description": "", "skills": [],
              "city": "wuhan", "visibility": "public", "ip_terms": "solver_keeps", "currency": "CNY"}
    values.update(_defaults(mode, now))
    values.update(fields)
    task = Task(mode=mode, status=status, poster_id=poster.id, **values)
    if status != "draft":
        task.published_at = fields.get("published_at", now)
    if task.needs_escrow and "escrow_funded" not in fields and status != "draft":
        task.escrow_funded = True
        task.escrow_amount = task.reward_total or 0
    db.session.add(task)
    db.session.flush()
    reindex(task)
    db.session.commit()
    return task


def approve_identity(user):
    """Give `user` an approved identity verification (a fresh resident ID number each time)."""
    from .factories_orgs import make_verification
    from .factories_payments import resident_id
    make_verification(user, status="approved", number=resident_id())
    return user
