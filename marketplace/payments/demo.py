"""Demo money for `flask demo load` (idempotent): posters get wallet balance through the real
bank-transfer path (a reference, then an operator confirming the exact amount), one bank transfer
is left waiting and one verified solver has a payout request waiting, so the operator queue shows
both."""
from __future__ import annotations

from flask import current_app

from ..core.ids import resident_id_check_char
from ..extensions import db
from ..verification import service as verification
from . import service
from .models import Funding, Payout

TOP_UPS = {"poster_org": 2_000_000, "poster_home": 300_000}  # ¥20,000 and ¥3,000
PENDING_TRANSFER = ("poster_org", 1_500_000)
SOLVER = "solver_li"
SOLVER_BALANCE = 120_000
PAYOUT = 80_000


def _succeeded_top_up(user) -> Funding | None:
    return db.session.execute(
        db.select(Funding).where(Funding.subject_kind == "wallet", Funding.subject_id == str(user.id),
                                 Funding.status == "succeeded").limit(1)).scalar_one_or_none()


def _top_up(user, amount, operator) -> None:
    if _succeeded_top_up(user) is not None:
        return
    funding = service.start_funding(user, "wallet", user.id, "bank_transfer", amount=amount)
    db.session.flush()
    service.confirm_bank_transfer(operator, funding.id, amount)


def _ensure_verified(user, operator) -> None:
    if service.is_verified(user):
        return
    first17 = "420106" + "19920315" + f"{user.id % 1000:03d}"
    with current_app.test_request_context():  # its notifications link to pages
        req = verification.submit_individual(user, real_name="李明",
                                             id_number=first17 + resident_id_check_char(first17))
        verification.approve(operator, req)


def load(context: dict) -> None:
    users = context.get("users") or {}
    operator = users.get("operator")
    if operator is None:
        return
    for key, amount in TOP_UPS.items():
        if key in users:
            _top_up(users[key], amount, operator)
    key, amount = PENDING_TRANSFER
    if key in users:
        # start_funding hands back the waiting transfer when there already is one.
        service.start_funding(users[key], "wallet", users[key].id, "bank_transfer", amount=amount)
    solver = users.get(SOLVER)
    if solver is None:
        return
    _top_up(solver, SOLVER_BALANCE, operator)
    _ensure_verified(solver, operator)
    waiting = db.session.execute(
        db.select(Payout.id).where(Payout.user_id == solver.id, Payout.status == "requested")).first()
    if waiting is None:
        service.request_payout(solver, PAYOUT)
    db.session.flush()
