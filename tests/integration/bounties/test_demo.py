"""The bounty demo loads on top of the earlier domains' demos (one bounty of each structure with
entries in several states, and awarded ones whose prizes are held), twice without change, with a clean ledger."""
from __future__ import annotations

import importlib

from marketplace import DOMAINS
from marketplace.bounties.models import BountyPrize, Submission
from marketplace.core.db import commit
from marketplace.extensions import db
from marketplace.tasks.models import Task
from tests.factories_bounties import verify_ledger


def _load():
    context: dict = {}
    for name in DOMAINS[:DOMAINS.index("bounties") + 1]:
        try:
            module = importlib.import_module(f"marketplace.{name}.demo")
        except ModuleNotFoundError:
            continue
        module.load(context)
        commit()


def _snapshot():
    rows = db.session.execute(db.select(Task.prize_structure, Task.status, Submission.status)
                              .join(Submission, Submission.task_id == Task.id)
                              .order_by(Task.id, Submission.id)).all()
    return [tuple(r) for r in rows]


def test_demo_bounties_of_each_structure_with_entries_in_several_states(app):
    _load()
    first = _snapshot()
    by_structure = {}
    for structure, task_status, entry_status in first:
        by_structure.setdefault((structure, task_status), set()).add(entry_status)
    assert by_structure[("ranked", "open")] == {"withdrawn", "submitted", "eligible", "ineligible"}
    assert by_structure[("single", "awarded")] == {"winner", "submitted"}
    assert by_structure[("piece", "open")] == {"accepted", "rejected"}
    assert by_structure[("ranked", "awarded")] == {"winner"}
    # The awarded bounties' prizes are held for the dispute window, still in escrow.
    prizes = db.session.scalars(db.select(BountyPrize).order_by(BountyPrize.id)).all()
    assert [(p.rank, p.status) for p in prizes] == [(1, "held"), (1, "held"), (2, "held")]
    _load()
    assert _snapshot() == first
    verify_ledger(app)
