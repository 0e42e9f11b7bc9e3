"""Demo money for `flask demo load` (idempotent): posters get wallet balance through the real
bank-transfer path (a reference, then an operator confirming the exact amount), one bank transfer
is left waiting, one verified solver and one verified organisation (its owner asking, to the
organisation's corporate account) have a payout request waiting, so the operator queue shows them."""
from __future__ import annotations

from flask import current_app

from ..core.ids import resident_id_check_char
from ..extensions import db
from ..verification import service as verification
from . import payout_accounts, service
from .models import Funding, Payout

TOP_UPS = {"poster_org": 2_000_000, "poster_home": 300_000}  # ¥20,000 and ¥3,000
PENDING_TRANSFER = ("poster_org", 1_500_000)
SOLVER = "solver_li"
SOLVER_BALANCE = 120_000
PAYOUT = 80_000
# org key, owner key, wallet top-up, payout, (bank, account number, holder)
ORG_PAYOUT = ("chuguang", "fibre_owner", 3_000_000, 1_200_000,
              ("汉口银行光谷支行", "570210002233445566", "楚光光纤科技有限公司"))


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
    _org_payout(context, operator)
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


def _org_payout(context: dict, operator) -> None:
    """A verified organisation with money in its wallet, its payout account and a payout waiting."""
    org_key, owner_key, balance, amount, (bank, number, holder) = ORG_PAYOUT
    org = (context.get("orgs") or {}).get(org_key)
    owner = (context.get("users") or {}).get(owner_key)
    if org is None or owner is None or not service.is_org_verified(org):
        return
    topped = db.session.execute(
        db.select(Funding.id).where(Funding.subject_kind == "org_wallet", Funding.subject_id == str(org.id),
                                    Funding.status == "succeeded").limit(1)).first()
    if topped is None:
        funding = service.start_funding(owner, "org_wallet", org.id, "bank_transfer", amount=balance)
        db.session.flush()
        service.confirm_bank_transfer(operator, funding.id, balance)
    if payout_accounts.payout_account_of(org) is None:
        payout_accounts.save_payout_account(owner, org, bank_name=bank, account_number=number,
                                            holder_name=holder)
    waiting = db.session.execute(
        db.select(Payout.id).where(Payout.org_id == org.id, Payout.status == "requested")).first()
    if waiting is None:
        with current_app.test_request_context():  # its notifications link to pages
            service.request_org_payout(owner, org, amount)
    db.session.flush()
