"""Factories for finished engagements (through the real services, so the signals fire).

    contract = complete_contract(poster, solver, amount=100_000)   # a tender contract, completed
    contract = confirm_claim(poster, solver)                        # a claim, confirmed by the poster
"""
from __future__ import annotations

from marketplace.contracts import service
from marketplace.core.db import commit
from marketplace.extensions import db

from .factories import make_user
from .factories_contracts import fund_claim_escrow, fund_milestone, make_contract, make_solver
from .factories_ledger import fund_wallet
from .factories_tasks import make_task


def complete_contract(poster=None, solver=None, *, amount: int = 100_000, **task_fields):
    poster = poster or make_user()
    solver = solver or make_solver()
    task = make_task(poster=poster, **task_fields)
    contract = make_contract(task, solver, amount=amount)
    for milestone in service.milestones_of(contract):
        if task.org_id:  # an organisation's task is paid from the organisation's wallet
            fund_wallet(("org", task.org_id), milestone.amount)
        fund_milestone(milestone, poster)
        db.session.refresh(milestone)
        service.deliver_milestone(solver, milestone, "Done.")
        commit()
        service.accept_milestone(poster, milestone)
        commit()
    db.session.refresh(contract)
    return contract


def confirm_claim(poster=None, solver=None, *, price: int = 5_000):
    poster = poster or make_user()
    solver = solver or make_solver()
    task = make_task(poster=poster, mode="claim", price=price, category="delivery")
    fund_claim_escrow(task, poster)
    contract = service.claim_task(solver, task)
    commit()
    milestone = service.milestones_of(contract)[0]
    service.deliver_milestone(solver, milestone, "Delivered.")
    commit()
    service.accept_milestone(poster, milestone)
    commit()
    db.session.refresh(contract)
    return contract
