"""Set-ups shared by the dispute tests."""
from __future__ import annotations

from marketplace.contracts import service as contracts
from marketplace.core.db import commit
from tests.factories import make_user
from tests.factories_contracts import fund_claim_escrow, fund_milestone, make_contract, make_solver
from tests.factories_tasks import make_task


def delivered_milestone(amount: int = 100_000, *, deliver: bool = True, poster=None, solver=None):
    """A tender contract with one funded (and by default delivered) milestone of `amount`."""
    poster = poster or make_user()
    solver = solver or make_solver()
    task = make_task(poster=poster, budget_min=amount, budget_max=amount)
    contract = make_contract(task, solver, amount=amount)
    milestone = contracts.milestones_of(contract)[0]
    fund_milestone(milestone, poster)
    if deliver:
        contracts.deliver_milestone(solver, milestone, "Here is the work.")
        commit()
    return poster, solver, task, contract, milestone


def done_claim(price: int = 5_000):
    poster = make_user()
    task = make_task(poster=poster, mode="claim", price=price, category="delivery")
    fund_claim_escrow(task, poster)
    solver = make_solver(city="wuhan-wuchang")
    contract = contracts.claim_task(solver, task)
    milestone = contracts.milestones_of(contract)[0]
    contracts.deliver_milestone(solver, milestone, "Delivered to the door.")
    commit()
    return poster, solver, task, contract, milestone
