"""`flask demo load` leaves posters with wallet money (through confirmed bank transfers), one
bank transfer and one payout waiting in the operator queue, and loading twice changes nothing."""
from __future__ import annotations

from marketplace.accounts import demo as accounts_demo
from marketplace.core.db import commit
from marketplace.extensions import db
from marketplace.ledger import service as ledger
from marketplace.ledger.verify import verify
from marketplace.operator import queue
from marketplace.payments import demo
from marketplace.payments.models import Funding, Payout


def load_twice():
    for _ in range(2):
        context: dict = {}
        accounts_demo.load(context)
        demo.load(context)
        commit()
    return context["users"]


def test_demo_money_and_waiting_queue_items():
    users = load_twice()
    assert ledger.wallet_balance(users["poster_org"]) == demo.TOP_UPS["poster_org"]
    assert ledger.wallet_balance(users["poster_home"]) == demo.TOP_UPS["poster_home"]
    assert ledger.wallet_summary(users["solver_li"]) == {
        "currency": "CNY", "available": demo.SOLVER_BALANCE - demo.PAYOUT, "held": 0,
        "pending_payout": demo.PAYOUT}
    data = queue.as_json()
    assert [(t["user_id"], t["amount"]) for t in data["bank_transfers"]] == [
        (users["poster_org"].id, demo.PENDING_TRANSFER[1])]
    assert [(p["user_id"], p["amount"]) for p in data["payouts"]] == [(users["solver_li"].id, demo.PAYOUT)]
    assert db.session.query(Funding).filter_by(status="succeeded").count() == 3
    assert db.session.query(Payout).count() == 1
    assert verify().ok
