"""Factories for bids, contracts and claims. Each commits, so requests and other threads see the rows.

    solver = make_solver()                             # verified, in Wuhan
    bid = make_bid(task, solver, amount=200_000)
    contract = make_contract(task, solver, milestones=[("Design", 80_000), ("Build", 120_000)])
    fund(contract.milestones...)                       # through payments, from the poster's wallet
"""
from __future__ import annotations

import itertools

from marketplace.bids.models import Bid
from marketplace.contracts import service
from marketplace.extensions import db

from .factories import make_user
from .factories_ledger import fund_escrow, fund_wallet
from .factories_orgs import make_verification, resident_id

_seq = itertools.count(1)


def make_solver(*, city: str = "wuhan-hongshan", verified: bool = True, **fields):
    user = make_user(city=city, **fields)
    if verified:
        n = next(_seq)
        make_verification(user, status="approved", number=resident_id(f"420102199003{n:05d}"))
    return user


def make_bid(task, solver=None, *, amount: int = 200_000, days: int = 10, proposal: str = "I will do it well.",
             status: str = "submitted") -> Bid:
    solver = solver or make_solver()
    bid = Bid(task_id=task.id, solver_id=solver.id, amount=amount, currency=task.currency, days=days,
              proposal=proposal, status=status)
    db.session.add(bid)
    db.session.commit()
    return bid


def make_contract(task, solver=None, *, amount: int = 200_000, milestones=None, accept: bool = True):
    """An awarded (and by default accepted) tender contract, through the services."""
    bid = make_bid(task, solver, amount=amount)
    from marketplace.accounts.models import User
    poster = db.session.get(User, task.poster_id)
    contract = service.award_bid(poster, bid, milestones)
    db.session.commit()
    if accept:
        service.accept_contract(db.session.get(User, bid.solver_id), contract)
        db.session.commit()
    return contract


def fund_milestone(milestone, poster=None):
    """Fund one milestone from the poster's wallet through payments (tops the wallet up first)."""
    from marketplace.accounts.models import User
    from marketplace.payments.service import start_funding
    contract = service.contract_of(milestone)
    poster = poster or db.session.get(User, contract.poster_id)
    fund_wallet(poster, milestone.amount)
    funding = start_funding(poster, "milestone", milestone.id, "wallet")
    db.session.commit()
    return funding


def fund_claim_escrow(task, poster=None):
    """Put a claim task's price into its escrow hold ("task:<id>"), as its funding would."""
    from marketplace.accounts.models import User
    poster = poster or db.session.get(User, task.poster_id)
    return fund_escrow(f"task:{task.id}", poster, task.price, channel="card")
