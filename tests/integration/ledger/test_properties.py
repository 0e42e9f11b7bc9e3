"""Random sequences of ledger operations, with retries of the same idempotency key, never break an
invariant: verify() is clean after every step, money is conserved, nothing goes negative, and every
balance matches a simple model of what should have happened."""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import text

from marketplace.core.errors import ValidationFailed, WrongState
from marketplace.core.money import fee_for, split_largest_remainder
from marketplace.extensions import db
from marketplace.ledger import service
from marketplace.ledger.models import (
    Hold,
    HoldResolution,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Reversal,
)
from marketplace.ledger.verify import verify

OWNERS = [("user", 1), ("user", 2), ("user", 3), ("org", 1)]
FEE_BPS = 1000
amounts = st.integers(min_value=1, max_value=50_000)
owners = st.sampled_from(OWNERS)


def _empty_ledger():
    tables = [m.__tablename__ for m in (Reversal, HoldResolution, Hold, LedgerEntry, LedgerTransaction,
                                        LedgerAccount)]
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def start(self):
        _empty_ledger()
        self.keys = itertools.count(1)
        self.wallets = dict.fromkeys(OWNERS, 0)
        self.pending = dict.fromkeys(OWNERS, 0)
        self.revenue = 0
        self.outside = 0  # money that came in from card/bank minus money paid out or refunded to them
        self.holds: dict[str, tuple[int, tuple, str]] = {}  # open escrow holds: ref -> (amount, payer, channel)
        self.resolved: list[str] = []
        self.payouts: dict[str, tuple[int, tuple]] = {}
        self.done_payouts: list[str] = []
        self.calls: list = []  # (fn, result id) for retries
        self.n = itertools.count(1)

    def _call(self, fn):
        result = fn()
        db.session.commit()
        self.calls.append((fn, result.id))
        return result

    @rule(owner=owners, amount=amounts, channel=st.sampled_from(["card", "bank"]))
    def fund_wallet(self, owner, amount, channel):
        k = f"k{next(self.keys)}"
        self._call(lambda: service.fund_wallet(owner, amount, channel=channel, idempotency_key=k))
        self.wallets[owner] += amount
        self.outside += amount

    @rule(payer=owners, parts=st.lists(amounts, min_size=1, max_size=3),
          channel=st.sampled_from(["card", "bank", "wallet"]))
    def fund_escrow(self, payer, parts, channel):
        ref = f"bounty:{next(self.n)}"
        holds = [(f"{ref}:prize:{i}", a) for i, a in enumerate(parts, 1)]
        k = f"k{next(self.keys)}"
        total = sum(parts)
        if channel == "wallet" and total > self.wallets[payer]:
            try:
                service.fund_escrow(ref, payer, total, channel=channel, idempotency_key=k, holds=holds)
            except ValidationFailed as exc:
                assert "amount" in exc.errors
                db.session.rollback()
                return
            raise AssertionError("overdraft accepted")
        self._call(lambda: service.fund_escrow(ref, payer, total, channel=channel, idempotency_key=k,
                                               holds=holds))
        if channel == "wallet":
            self.wallets[payer] -= total
        else:
            self.outside += total
        for hold_ref, amount in holds:
            self.holds[hold_ref] = (amount, payer, channel)

    def _pick(self, data, pool):
        return data.draw(st.sampled_from(sorted(pool)))

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), solver=owners)
    def release(self, data, solver):
        ref = self._pick(data, self.holds)
        amount, _payer, _channel = self.holds.pop(ref)
        k = f"k{next(self.keys)}"
        self._call(lambda: service.release(ref, solver, idempotency_key=k, fee_bps=FEE_BPS))
        fee = fee_for(amount, FEE_BPS)
        self.wallets[solver] += amount - fee
        self.revenue += fee
        self.resolved.append(ref)

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), to_channel=st.booleans())
    def refund(self, data, to_channel):
        ref = self._pick(data, self.holds)
        amount, payer, channel = self.holds.pop(ref)
        to = channel if to_channel and channel != "wallet" else "wallet"
        k = f"k{next(self.keys)}"
        self._call(lambda: service.refund(ref, idempotency_key=k, to=to))
        if to == "wallet":
            self.wallets[payer] += amount
        else:
            self.outside -= amount
        self.resolved.append(ref)

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), solver=owners, percent=st.integers(0, 100))
    def split(self, data, solver, percent):
        ref = self._pick(data, self.holds)
        amount, payer, _channel = self.holds.pop(ref)
        k = f"k{next(self.keys)}"
        self._call(lambda: service.split(ref, solver, percent, idempotency_key=k, fee_bps=FEE_BPS))
        solver_part, payer_part = split_largest_remainder(amount, [percent, 100 - percent])
        fee = fee_for(solver_part, FEE_BPS)
        self.wallets[solver] += solver_part - fee
        self.wallets[payer] += payer_part
        self.revenue += fee
        self.resolved.append(ref)

    @precondition(lambda self: self.resolved)
    @rule(data=st.data())
    def resolve_again(self, data):
        ref = data.draw(st.sampled_from(self.resolved))
        try:
            service.refund(ref, idempotency_key=f"k{next(self.keys)}")
        except WrongState:
            db.session.rollback()
            return
        raise AssertionError("a hold resolved twice")

    @rule(owner=owners, amount=amounts)
    def request_payout(self, owner, amount):
        ref = f"payout:{next(self.n)}"
        k = f"k{next(self.keys)}"
        if amount > self.wallets[owner]:
            try:
                service.request_payout(owner, amount, payout_ref=ref, idempotency_key=k)
            except ValidationFailed as exc:
                assert "amount" in exc.errors
                db.session.rollback()
                return
            raise AssertionError("overdraft accepted")
        self._call(lambda: service.request_payout(owner, amount, payout_ref=ref, idempotency_key=k))
        self.wallets[owner] -= amount
        self.pending[owner] += amount
        self.payouts[ref] = (amount, owner)

    @precondition(lambda self: self.payouts)
    @rule(data=st.data(), paid=st.booleans())
    def finish_payout(self, data, paid):
        ref = self._pick(data, self.payouts)
        amount, owner = self.payouts.pop(ref)
        k = f"k{next(self.keys)}"
        if paid:
            self._call(lambda: service.complete_payout(ref, channel="bank", idempotency_key=k))
            self.outside -= amount
        else:
            self._call(lambda: service.fail_payout(ref, idempotency_key=k))
            self.wallets[owner] += amount
        self.pending[owner] -= amount
        self.done_payouts.append(ref)

    @precondition(lambda self: self.calls)
    @rule(data=st.data())
    def retry_same_key(self, data):
        fn, txn_id = data.draw(st.sampled_from(self.calls))
        before = db.session.query(LedgerEntry).count()
        assert fn().id == txn_id
        db.session.commit()
        assert db.session.query(LedgerEntry).count() == before

    @rule(owner=owners)
    def wallet_summary_matches(self, owner):
        assert service.wallet_summary(owner) == {
            "currency": "CNY", "available": self.wallets[owner], "pending_payout": self.pending[owner],
            "held": sum(a for a, p, _c in self.holds.values() if p == owner)}

    @invariant()
    def ledger_is_clean_and_matches_the_model(self):
        report = verify()
        assert report.ok, report.format()
        balances = dict(db.session.execute(
            db.select(LedgerAccount.code, db.func.sum(LedgerEntry.amount))
            .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
            .group_by(LedgerAccount.code)).all())
        # The maintained balance of every account is the sum of its entries (0 without any).
        maintained = dict(db.session.execute(db.select(LedgerAccount.code, LedgerAccount.balance)
                                             .where(LedgerAccount.kind.not_in(("cash", "revenue")))).all())
        assert maintained == {code: balances.get(code, 0) for code in maintained}
        assert service.balance(service._find_account("revenue:fees", "CNY")) == self.revenue \
            if service._find_account("revenue:fees", "CNY") else self.revenue == 0
        for (kind, oid), amount in self.wallets.items():
            assert service.wallet_balance((kind, oid)) == amount
            assert amount >= 0 and balances.get(f"wallet:{kind}:{oid}", 0) == amount
        for (kind, oid), amount in self.pending.items():
            assert amount >= 0 and balances.get(f"payout:{kind}:{oid}", 0) == amount
        assert balances.get("revenue:fees", 0) == self.revenue
        escrows = sum(v for code, v in balances.items() if code.startswith("escrow:"))
        assert escrows == sum(a for a, _p, _c in self.holds.values())
        # Money is conserved: what came in from outside is exactly what the ledger owes or earned.
        assert -(balances.get("cash:stripe", 0) + balances.get("cash:bank", 0)) == self.outside
        assert (sum(self.wallets.values()) + sum(self.pending.values()) + escrows + self.revenue
                == self.outside)


LedgerMachine.TestCase.settings = settings(
    max_examples=15, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
test_random_operations_never_break_an_invariant = LedgerMachine.TestCase
