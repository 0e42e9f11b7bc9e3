"""`flask ledger verify`: recompute every ledger invariant from the rows and report drift.

Built-in checks: every maintained balance (wallets, escrows, payout accounts) equals the sum of
its entries (the one
check that reads `ledger_accounts.balance`; the others recompute balances from the entries), the
trial balance is zero per currency, every transaction is balanced (and has
entries), no wallet, escrow, payout or revenue account is negative, every closed escrow is exactly
zero, every escrow and payout account holds exactly the sum of its open holds (the holds are the
cached view of those balances), every hold's status agrees with its one resolution, and every
reversal exactly mirrors the transaction it undoes.

Other domains add checks with `register_check(name, fn)`; `fn()` yields problem strings (e.g.
payments: every succeeded Stripe payment has exactly one funding transaction).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select

from ..core.events import connect_handler, disconnect_handler, handlers
from ..extensions import db
from .events import verify_checks
from .models import Hold, HoldResolution, LedgerAccount, LedgerEntry, LedgerTransaction, Reversal

CheckFn = Callable[[], Iterable[str]]


def register_check(name: str, fn: CheckFn) -> None:
    """Add (or replace) a named check run by `verify()`; fn() yields one string per problem."""
    connect_handler(verify_checks, name, fn, replace=True)


def unregister_check(name: str) -> None:
    disconnect_handler(verify_checks, name)


@dataclass
class Report:
    results: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problems(self) -> list[str]:
        return [f"{name}: {p}" for name, problems in self.results for p in problems]

    def format(self) -> str:
        lines = []
        for name, problems in self.results:
            lines.append(f"{'ok  ' if not problems else 'FAIL'}  {name}")
            lines.extend(f"      - {p}" for p in problems)
        lines.append("ledger clean" if self.ok else f"ledger drift: {len(self.problems)} problem(s)")
        return "\n".join(lines)


def _balances():
    return (select(LedgerEntry.account_id.label("account_id"),
                   func.sum(LedgerEntry.amount).label("total"))
            .group_by(LedgerEntry.account_id).subquery())


def check_maintained_balances():
    b = _balances()
    total = func.coalesce(b.c.total, 0)
    rows = db.session.execute(
        select(LedgerAccount.code, LedgerAccount.currency, LedgerAccount.balance, total)
        .outerjoin(b, b.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind.not_in(("cash", "revenue")), LedgerAccount.balance != total)
        .order_by(LedgerAccount.id)
    ).all()
    for code, currency, kept, summed in rows:
        yield f"{code} ({currency}) has balance {kept} but its entries add up to {summed}"


def check_trial_balance():
    rows = db.session.execute(
        select(LedgerEntry.currency, func.sum(LedgerEntry.amount))
        .group_by(LedgerEntry.currency).having(func.sum(LedgerEntry.amount) != 0)
    ).all()
    for currency, total in rows:
        yield f"all entries in {currency} sum to {total}, not 0"


def check_transactions_balanced():
    rows = db.session.execute(
        select(LedgerEntry.transaction_id, LedgerEntry.currency, func.sum(LedgerEntry.amount))
        .group_by(LedgerEntry.transaction_id, LedgerEntry.currency)
        .having(func.sum(LedgerEntry.amount) != 0).order_by(LedgerEntry.transaction_id).limit(1000)
    ).all()
    for txn_id, currency, total in rows:
        yield f"transaction {txn_id} sums to {total} {currency}, not 0"
    empty = db.session.execute(
        select(LedgerTransaction.id)
        .where(~select(LedgerEntry.id).where(LedgerEntry.transaction_id == LedgerTransaction.id).exists())
        .order_by(LedgerTransaction.id).limit(1000)
    ).scalars()
    for txn_id in empty:
        yield f"transaction {txn_id} has no entries"


def check_no_negative_balances():
    b = _balances()
    rows = db.session.execute(
        select(LedgerAccount.code, LedgerAccount.currency, b.c.total)
        .join(b, b.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind.in_(("wallet", "escrow", "payout", "revenue")), b.c.total < 0)
        .order_by(LedgerAccount.id)
    ).all()
    for code, currency, total in rows:
        yield f"{code} ({currency}) is negative: {total}"


def check_closed_escrows_zero():
    b = _balances()
    rows = db.session.execute(
        select(LedgerAccount.code, LedgerAccount.currency, b.c.total)
        .join(b, b.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == "escrow", LedgerAccount.status == "closed", b.c.total != 0)
        .order_by(LedgerAccount.id)
    ).all()
    for code, currency, total in rows:
        yield f"{code} is closed but holds {total} {currency}"
    open_holds = db.session.execute(
        select(LedgerAccount.code, func.count(Hold.id))
        .join(Hold, Hold.account_id == LedgerAccount.id)
        .where(LedgerAccount.status == "closed", Hold.status == "open")
        .group_by(LedgerAccount.code)
    ).all()
    for code, count in open_holds:
        yield f"{code} is closed but has {count} open hold(s)"


def check_holds_match_balances():
    b = _balances()
    held = (select(Hold.account_id.label("account_id"), func.sum(Hold.amount).label("total"))
            .where(Hold.status == "open").group_by(Hold.account_id).subquery())
    balance = func.coalesce(b.c.total, 0)
    reserved = func.coalesce(held.c.total, 0)
    rows = db.session.execute(
        select(LedgerAccount.code, LedgerAccount.currency, balance, reserved)
        .outerjoin(b, b.c.account_id == LedgerAccount.id)
        .outerjoin(held, held.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind.in_(("escrow", "payout")), balance != reserved)
        .order_by(LedgerAccount.id)
    ).all()
    for code, currency, total, open_sum in rows:
        yield f"{code} holds {total} {currency} but its open holds add up to {open_sum}"


def check_hold_resolutions():
    rows = db.session.execute(
        select(Hold.ref, Hold.status, HoldResolution.outcome)
        .outerjoin(HoldResolution, HoldResolution.hold_id == Hold.id)
        .where(or_(and_(Hold.status == "open", HoldResolution.id.is_not(None)),
                   and_(Hold.status != "open", HoldResolution.id.is_(None)),
                   and_(HoldResolution.id.is_not(None), HoldResolution.outcome != Hold.status)))
        .order_by(Hold.id).limit(1000)
    ).all()
    for ref, status, outcome in rows:
        yield f"hold {ref} is {status} but its resolution is {outcome or 'missing'}"


def check_reversals_mirror_originals():
    legs = (select(Reversal.id.label("reversal"), LedgerEntry.account_id, LedgerEntry.amount)
            .join(LedgerEntry, or_(LedgerEntry.transaction_id == Reversal.original_id,
                                   LedgerEntry.transaction_id == Reversal.reversal_id)).subquery())
    rows = db.session.execute(
        select(Reversal.original_id, Reversal.reversal_id)
        .join(legs, legs.c.reversal == Reversal.id)
        .group_by(Reversal.original_id, Reversal.reversal_id, legs.c.account_id)
        .having(func.sum(legs.c.amount) != 0)
    ).all()
    for original, reversal in sorted(set(rows)):
        yield f"transaction {reversal} does not exactly reverse transaction {original}"


BUILTIN_CHECKS: tuple[tuple[str, CheckFn], ...] = (
    ("balances equal the sum of their entries", check_maintained_balances),
    ("trial balance is zero", check_trial_balance),
    ("every transaction balanced", check_transactions_balanced),
    ("no negative wallet, escrow, payout or revenue", check_no_negative_balances),
    ("closed escrows are zero", check_closed_escrows_zero),
    ("escrow and payout balances equal their open holds", check_holds_match_balances),
    ("holds resolved exactly once", check_hold_resolutions),
    ("reversals mirror their originals", check_reversals_mirror_originals),
)


def verify() -> Report:
    """Run every built-in and registered check; reads only."""
    report = Report()
    for name, fn in (*BUILTIN_CHECKS, *handlers(verify_checks)):
        try:
            problems = [str(p) for p in fn()]
        except Exception as exc:  # a broken check is itself drift to report, not a crash
            db.session.rollback()
            problems = [f"check failed: {exc.__class__.__name__}: {exc}"]
        report.results.append((name, problems))
    return report
