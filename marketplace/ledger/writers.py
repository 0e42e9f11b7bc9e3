"""Ledger writers: every function that posts money (see `service` for the list). Each returns the
`LedgerTransaction` it posted, never commits, and takes an `idempotency_key`."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.db import utcnow
from ..core.errors import NotFound, WrongState
from ..core.money import check_minor_amount, fee_for, split_largest_remainder
from ..extensions import db
from .accounts import (
    CASH_ACCOUNTS,
    FUNDING_CHANNELS,
    PAYOUT_CHANNELS,
    REFUND_TARGETS,
    _account_ids,
    _bad,
    _cash_spec,
    _check_choice,
    _check_currency,
    _check_fee_bps,
    _check_key,
    _check_ref,
    _escrow_spec,
    _find_account,
    _lock_account,
    _lock_accounts,
    _payout_spec,
    _revenue_spec,
    _wallet_spec,
    owner_key,
)
from .models import Hold, LedgerEntry, LedgerTransaction, Reversal
from .posting import (
    _close_escrow_if_done,
    _debit_wallet_check,
    _fingerprint,
    _locked_open_holds,
    _open_hold,
    _post,
    _refund_target,
    _replay,
    _resolve,
)


def fund_escrow(ref: str, payer, amount: int, currency: str = "CNY", *, channel: str,
                idempotency_key: str, actor=None,
                holds: list[tuple[str, int]] | None = None) -> LedgerTransaction:
    """Put `amount` into the escrow of the funded object `ref` ("milestone:12", "bounty:3").

    channel "card" (from cash:stripe) or "bank" (from cash:bank): the payer paid from outside;
    channel "wallet": from the payer's wallet, which must hold enough (422 on `amount` otherwise).
    `holds` splits the amount into purposes [(hold_ref, amount), ...] whose refs are `ref` or start
    with `ref + ":"` and whose amounts sum to `amount`; by default one hold with ref `ref`.
    An escrow may be funded again while open (new hold refs); funding a closed one is WrongState.
    """
    key = _check_key(idempotency_key)
    _check_ref(ref)
    amount = check_minor_amount(amount)
    currency = _check_currency(currency)
    channel = _check_choice(channel, FUNDING_CHANNELS, "channel")
    payer_kind, payer_id = owner_key(payer)
    holds = [(ref, amount)] if holds is None else list(holds)
    if not holds:
        raise _bad("holds", _l("Name at least one purpose for the money."))
    seen = set()
    for hold_ref, hold_amount in holds:
        _check_ref(hold_ref, "holds", max_length=120)
        if hold_ref != ref and not hold_ref.startswith(ref + ":") or hold_ref in seen:
            raise _bad("holds", _l("Not a valid reference."))
        seen.add(hold_ref)
        check_minor_amount(hold_amount, "holds")
    if sum(a for _r, a in holds) != amount:
        raise _bad("amount", _l("The amounts held must add up to the amount funded."))
    request_hash = _fingerprint("fund_escrow", dict(
        ref=ref, payer=[payer_kind, payer_id], amount=amount, currency=currency, channel=channel,
        holds=holds))

    existing = _replay(key, request_hash)
    if existing is not None:
        return existing
    if channel == "wallet":
        # Lock the wallet and check it before anything is written (wallet before escrow, always).
        existing = _debit_wallet_check(payer, amount, currency, key, request_hash,
                                       _l("The wallet balance is not enough."))
        if existing is not None:
            return existing
    source_spec = (_wallet_spec(payer, currency) if channel == "wallet"
                   else _cash_spec(channel, currency))
    escrow_id, wallet_id, source_id = _account_ids(
        _escrow_spec(ref, currency), _wallet_spec(payer, currency), source_spec)
    escrow = _lock_account(escrow_id)
    existing = _replay(key, request_hash)  # a twin may have committed while we waited
    if existing is not None:
        return existing
    if escrow.status != "open":
        raise WrongState(_l("This escrow is closed."))
    now = utcnow()

    def add_holds(txn):
        db.session.execute(db.insert(Hold), [
            dict(ref=hold_ref, kind="escrow", account_id=escrow_id, payer_account_id=wallet_id,
                 channel=channel, amount=hold_amount, currency=currency, status="open",
                 funding_transaction_id=txn.id, created_at=now)
            for hold_ref, hold_amount in holds])

    return _post("fund_escrow", ref, key, request_hash, actor,
                 [(source_id, -amount, currency), (escrow_id, amount, currency)], after=add_holds)


def move_wallet_to_escrow(ref: str, payer, amount: int, currency: str = "CNY", *,
                          idempotency_key: str, actor=None,
                          holds: list[tuple[str, int]] | None = None) -> LedgerTransaction:
    """Fund the escrow of `ref` from the payer's wallet (422 on `amount` if it holds too little)."""
    return fund_escrow(ref, payer, amount, currency, channel="wallet", idempotency_key=idempotency_key,
                       actor=actor, holds=holds)


def fund_wallet(owner, amount: int, currency: str = "CNY", *, channel: str, idempotency_key: str,
                actor=None, ref: str | None = None) -> LedgerTransaction:
    """Credit a wallet with money received from outside: channel "card" (cash:stripe) or "bank"
    (cash:bank). `ref` names the business object (e.g. "payment:9"); default the wallet's code."""
    key = _check_key(idempotency_key)
    amount = check_minor_amount(amount)
    currency = _check_currency(currency)
    channel = _check_choice(channel, tuple(CASH_ACCOUNTS), "channel")
    wallet = _wallet_spec(owner, currency)
    ref = wallet.code if ref is None else _check_ref(ref)
    request_hash = _fingerprint("fund_wallet", dict(
        owner=[wallet.owner_type, wallet.owner_id], amount=amount, currency=currency, channel=channel,
        ref=ref))
    # No lock and no read first: the key's unique index answers a retry, and the accounts are
    # found by code inside the INSERT (two statements for a transfer between known accounts).
    return _post("fund_wallet", ref, key, request_hash, actor,
                 [(_cash_spec(channel, currency), -amount, currency), (wallet, amount, currency)])


def release(hold_ref: str, solver, *, idempotency_key: str, actor=None, category: str | None = None,
            fee_bps: int | None = None) -> LedgerTransaction:
    """Pay a hold to the solver's wallet, minus the platform fee (to revenue:fees).

    The fee is `fee_bps` if given, else `fee_bps_for(category)`, of the hold, rounded down to 1 分.
    NotFound if no such hold; WrongState if it is already resolved.
    """
    key = _check_key(idempotency_key)
    _check_ref(hold_ref, "hold", max_length=120)
    solver_kind, solver_id = owner_key(solver)
    bps = _check_fee_bps(fee_bps, category)
    # The fee as asked for (not as configured now), so a retry after a fee change still matches.
    request_hash = _fingerprint("release", dict(hold=hold_ref, solver=[solver_kind, solver_id],
                                                fee_bps=fee_bps, category=category))
    existing, hold, escrow = _open_hold(
        key, request_hash, hold_ref, wallets=lambda _payer, cur: _account_ids(_wallet_spec(solver, cur)))
    if existing is not None:
        return existing
    currency = hold.currency
    fee = fee_for(hold.amount, bps)
    solver_wallet, revenue = _account_ids(_wallet_spec(solver, currency), _revenue_spec(currency))
    now = utcnow()

    def resolve(txn):
        _resolve([hold], "released", txn, now)
        _close_escrow_if_done(escrow.id, now)

    return _post("release", escrow.ref, key, request_hash, actor, [
        (escrow.id, -hold.amount, currency),
        (solver_wallet, hold.amount - fee, currency),
        (revenue, fee, currency),
    ], after=resolve)


def release_shared(hold_ref: str, recipients: list[tuple[object, int]], *, idempotency_key: str,
                   actor=None, category: str | None = None, fee_bps: int | None = None) -> LedgerTransaction:
    """Pay a hold to several wallets (co-authors of a bounty entry), minus the platform fee.

    recipients: [(owner, share_bps), ...] with distinct owners and shares (> 0) summing to 10000.
    The fee is taken from the whole hold (as `release` does); what is left is divided by the
    largest remainder method, so the parts always add up to the hold minus the fee exactly.
    """
    key = _check_key(idempotency_key)
    _check_ref(hold_ref, "hold", max_length=120)
    owners = [owner_key(owner) for owner, _share in recipients]
    shares = [share for _owner, share in recipients]
    if (not recipients or len(set(owners)) != len(owners)
            or any(isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in shares)
            or sum(shares) != 10000):
        raise _bad("shares", _l("The shares must be whole basis points above zero that add up to 100%."))
    bps = _check_fee_bps(fee_bps, category)
    request_hash = _fingerprint("release_shared", dict(
        hold=hold_ref, recipients=[[k, i, s] for (k, i), s in zip(owners, shares, strict=True)],
        fee_bps=fee_bps, category=category))
    existing, hold, escrow = _open_hold(key, request_hash, hold_ref, wallets=lambda _payer, cur: _account_ids(
        *(_wallet_spec(owner, cur) for owner, _share in recipients)))
    if existing is not None:
        return existing
    currency = hold.currency
    fee = fee_for(hold.amount, bps)
    parts = split_largest_remainder(hold.amount - fee, shares)
    wallets = _account_ids(*(_wallet_spec(owner, currency) for owner, _share in recipients))
    (revenue,) = _account_ids(_revenue_spec(currency))
    now = utcnow()

    def resolve(txn):
        _resolve([hold], "released", txn, now)
        _close_escrow_if_done(escrow.id, now)

    legs = [(escrow.id, -hold.amount, currency), (revenue, fee, currency)]
    legs += [(wallet, part, currency) for wallet, part in zip(wallets, parts, strict=True)]
    return _post("release", escrow.ref, key, request_hash, actor, legs, after=resolve)


def refund(hold_ref: str, *, idempotency_key: str, actor=None, to: str = "wallet") -> LedgerTransaction:
    """Return a hold to the payer: to their wallet (default), or to "card"/"bank" when the money
    came in that way (payments then returns it through that channel after commit)."""
    key = _check_key(idempotency_key)
    _check_ref(hold_ref, "hold", max_length=120)
    to = _check_choice(to, REFUND_TARGETS, "to")
    request_hash = _fingerprint("refund", dict(hold=hold_ref, to=to))
    existing, hold, escrow = _open_hold(key, request_hash, hold_ref,
                                        wallets=lambda payer, _cur: [payer] if to == "wallet" else [])
    if existing is not None:
        return existing
    target = _refund_target(hold, to, hold.currency)
    now = utcnow()

    def resolve(txn):
        _resolve([hold], "refunded", txn, now)
        _close_escrow_if_done(escrow.id, now)

    return _post("refund", escrow.ref, key, request_hash, actor, [
        (escrow.id, -hold.amount, hold.currency), (target, hold.amount, hold.currency)], after=resolve)


def refund_escrow(escrow_ref: str, *, idempotency_key: str, actor=None,
                  to: str = "wallet") -> LedgerTransaction:
    """Refund every open hold of an escrow in one transaction (e.g. a bounty's unclaimed prizes).
    WrongState if nothing is left to refund."""
    key = _check_key(idempotency_key)
    _check_ref(escrow_ref)
    to = _check_choice(to, REFUND_TARGETS, "to")
    request_hash = _fingerprint("refund_escrow", dict(escrow=escrow_ref, to=to))
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing
    found = _find_account(f"escrow:{escrow_ref}")
    if found is None or found.kind != "escrow":
        raise NotFound(_l("No money is held for this."))
    if to == "wallet":  # the payers' wallets before the escrow, as everywhere
        _lock_accounts(db.session.execute(
            select(Hold.payer_account_id).where(Hold.account_id == found.id, Hold.status == "open")).scalars())
    escrow = _lock_account(found.id)
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing
    holds = [h for h in _locked_open_holds(escrow, None) if h.is_open]
    if not holds:
        raise WrongState(_l("This money has already been released or refunded."))
    legs = []
    for hold in holds:
        legs.append((escrow.id, -hold.amount, hold.currency))
        legs.append((_refund_target(hold, to, hold.currency), hold.amount, hold.currency))
    now = utcnow()

    def resolve(txn):
        _resolve(holds, "refunded", txn, now)
        _close_escrow_if_done(escrow.id, now)

    return _post("refund", escrow_ref, key, request_hash, actor, legs, after=resolve)


def split(hold_ref: str, solver, solver_percent: int | None = None, *, idempotency_key: str,
          actor=None, solver_amount: int | None = None, category: str | None = None,
          fee_bps: int | None = None, to: str = "wallet") -> LedgerTransaction:
    """Divide a hold by an operator decision: `solver_percent` (0..100) of it, by the largest
    remainder method, or exactly `solver_amount` (<= the hold), goes to the solver minus the fee
    on that part; the rest goes back to the payer (wallet, or the card/bank channel via `to`)."""
    key = _check_key(idempotency_key)
    _check_ref(hold_ref, "hold", max_length=120)
    solver_kind, solver_id = owner_key(solver)
    if (solver_percent is None) == (solver_amount is None):
        raise _bad("solver_percent", _l("Give either a percentage or an amount for the solver."))
    if solver_percent is not None and (isinstance(solver_percent, bool) or not isinstance(solver_percent, int)
                                       or not 0 <= solver_percent <= 100):
        raise _bad("solver_percent", _l("The percentage must be a whole number from 0 to 100."))
    if solver_amount is not None and (isinstance(solver_amount, bool) or solver_amount != 0):
        check_minor_amount(solver_amount)  # 0 is allowed: everything back to the payer
    to = _check_choice(to, REFUND_TARGETS, "to")
    bps = _check_fee_bps(fee_bps, category)
    request_hash = _fingerprint("split", dict(
        hold=hold_ref, solver=[solver_kind, solver_id], percent=solver_percent, amount=solver_amount,
        fee_bps=fee_bps, category=category, to=to))
    if solver_amount is not None:  # refused before the solver's wallet is created (a hold's amount never changes)
        held = db.session.execute(select(Hold.amount).where(Hold.ref == hold_ref, Hold.kind == "escrow")).scalar()
        if held is not None and solver_amount > held:
            raise _bad("amount", _l("The amount is more than the money held."))
    existing, hold, escrow = _open_hold(key, request_hash, hold_ref, wallets=lambda payer, cur: [
        *_account_ids(_wallet_spec(solver, cur)), *([payer] if to == "wallet" else [])])
    if existing is not None:
        return existing
    if solver_amount is not None:
        if solver_amount > hold.amount:
            raise _bad("amount", _l("The amount is more than the money held."))
        solver_part, payer_part = solver_amount, hold.amount - solver_amount
    else:
        solver_part, payer_part = split_largest_remainder(hold.amount, [solver_percent, 100 - solver_percent])
    currency = hold.currency
    fee = fee_for(solver_part, bps)
    solver_wallet, revenue = _account_ids(_wallet_spec(solver, currency), _revenue_spec(currency))
    target = _refund_target(hold, to, currency) if payer_part else hold.payer_account_id
    now = utcnow()

    def resolve(txn):
        _resolve([hold], "split", txn, now)
        _close_escrow_if_done(escrow.id, now)

    return _post("split", escrow.ref, key, request_hash, actor, [
        (escrow.id, -hold.amount, currency),
        (solver_wallet, solver_part - fee, currency),
        (revenue, fee, currency),
        (target, payer_part, currency),
    ], after=resolve)


def split_parts(hold_refs: list[str], parts: list[tuple[object, int]], *, idempotency_key: str, actor=None,
                payer_amount: int = 0, category: str | None = None,
                fee_bps: int | None = None) -> LedgerTransaction:
    """Divide the holds of one escrow (a prize and its top-ups) in exact gross parts: each
    [(owner, amount), ...] goes to that owner's wallet minus the fee on it (rounded down to 1 分),
    `payer_amount` back to the payers' wallets without a fee. The parts and `payer_amount` must add
    up to the holds exactly. Used when a dispute divides a held bounty prize between entrants."""
    key = _check_key(idempotency_key)
    if not hold_refs or len(set(hold_refs)) != len(hold_refs):
        raise _bad("hold", _l("Not a valid reference."))
    for ref in hold_refs:
        _check_ref(ref, "hold", max_length=120)
    owners = [owner_key(owner) for owner, _amount in parts]
    amounts = [amount for _owner, amount in parts]
    if (len(set(owners)) != len(owners)
            or any(isinstance(a, bool) or not isinstance(a, int) or a < 0 for a in amounts)
            or isinstance(payer_amount, bool) or not isinstance(payer_amount, int) or payer_amount < 0):
        raise _bad("amount", _l("The parts must be whole amounts of zero or more."))
    bps = _check_fee_bps(fee_bps, category)
    request_hash = _fingerprint("split_parts", dict(
        holds=list(hold_refs), parts=[[k, i, a] for (k, i), a in zip(owners, amounts, strict=True)],
        payer=payer_amount, fee_bps=fee_bps, category=category))
    paid = [(owner, amount) for owner, amount in parts if amount > 0]

    def paid_wallets(_payer, currency):  # every wallet the division pays into, locked before the escrow
        payers = db.session.execute(select(Hold.payer_account_id).where(Hold.ref.in_(hold_refs))).scalars()
        return [*_account_ids(*(_wallet_spec(owner, currency) for owner, _amount in paid)),
                *(payers if payer_amount else [])]

    existing, first, escrow = _open_hold(key, request_hash, hold_refs[0], wallets=paid_wallets)
    if existing is not None:
        return existing
    holds = _locked_open_holds(escrow, list(hold_refs))
    if len(holds) != len(hold_refs):
        raise NotFound(_l("No money is held for this."))
    if any(not h.is_open for h in holds):
        raise WrongState(_l("This money has already been released or refunded."))
    total = sum(h.amount for h in holds)
    if sum(amounts) + payer_amount != total:
        raise _bad("amount", _l("The parts must add up to the money held."))
    currency = first.currency
    legs = [(escrow.id, -total, currency)]
    fees = 0
    wallets = _account_ids(*(_wallet_spec(owner, currency) for owner, _amount in paid)) if paid else []
    for wallet, (_owner, amount) in zip(wallets, paid, strict=True):
        fee = fee_for(amount, bps)
        fees += fee
        legs.append((wallet, amount - fee, currency))
    if fees:
        (revenue,) = _account_ids(_revenue_spec(currency))
        legs.append((revenue, fees, currency))
    left = payer_amount
    for hold in holds:  # the payers' part, hold by hold
        part = min(left, hold.amount)
        if part:
            legs.append((hold.payer_account_id, part, currency))
            left -= part
    now = utcnow()

    def resolve(txn):
        _resolve(holds, "split", txn, now)
        _close_escrow_if_done(escrow.id, now)

    return _post("split", escrow.ref, key, request_hash, actor, legs, after=resolve)


def request_payout(owner, amount: int, currency: str = "CNY", *, payout_ref: str, idempotency_key: str,
                   actor=None) -> LedgerTransaction:
    """Move `amount` from the owner's wallet to its payout account, held under `payout_ref`
    ("payout:45") until `complete_payout` or `fail_payout`. 422 on `amount` above the balance."""
    key = _check_key(idempotency_key)
    amount = check_minor_amount(amount)
    currency = _check_currency(currency)
    _check_ref(payout_ref, "payout_ref", max_length=120)
    kind, oid = owner_key(owner)
    request_hash = _fingerprint("payout_request", dict(
        owner=[kind, oid], amount=amount, currency=currency, payout=payout_ref))
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing
    existing = _debit_wallet_check(owner, amount, currency, key, request_hash,
                                   _l("The amount is more than your available balance."))
    if existing is not None:
        return existing
    wallet_id, payout_id = _account_ids(_wallet_spec(owner, currency), _payout_spec(owner, currency))
    now = utcnow()

    def add_hold(txn):
        db.session.execute(db.insert(Hold), [dict(
            ref=payout_ref, kind="payout", account_id=payout_id, payer_account_id=wallet_id,
            channel="wallet", amount=amount, currency=currency, status="open",
            funding_transaction_id=txn.id, created_at=now)])

    return _post("payout_request", payout_ref, key, request_hash, actor,
                 [(wallet_id, -amount, currency), (payout_id, amount, currency)], after=add_hold)


def complete_payout(payout_ref: str, *, channel: str = "bank", idempotency_key: str,
                    actor=None) -> LedgerTransaction:
    """Record that a requested payout was sent out ("bank" transfer or "card" = Stripe):
    payout account -> cash of that channel."""
    key = _check_key(idempotency_key)
    _check_ref(payout_ref, "payout_ref", max_length=120)
    channel = _check_choice(channel, PAYOUT_CHANNELS, "channel")
    request_hash = _fingerprint("payout_complete", dict(payout=payout_ref, channel=channel))
    return _resolve_payout(payout_ref, key, request_hash, actor, "paid", channel)


def fail_payout(payout_ref: str, *, idempotency_key: str, actor=None) -> LedgerTransaction:
    """A requested payout could not be sent (rejected or bounced): the money returns to the wallet."""
    key = _check_key(idempotency_key)
    _check_ref(payout_ref, "payout_ref", max_length=120)
    request_hash = _fingerprint("payout_fail", dict(payout=payout_ref))
    return _resolve_payout(payout_ref, key, request_hash, actor, "failed", None)


def _resolve_payout(payout_ref, key, request_hash, actor, outcome, channel) -> LedgerTransaction:
    existing, hold, account = _open_hold(
        key, request_hash, payout_ref, kind="payout",
        resolved=_l("This payout has already been completed or failed."),
        wallets=lambda payer, _cur: [payer] if outcome == "failed" else [])
    if existing is not None:
        return existing
    target = (hold.payer_account_id if outcome == "failed"
              else _account_ids(_cash_spec(channel, hold.currency))[0])
    now = utcnow()
    return _post("payout_complete" if outcome == "paid" else "payout_fail", payout_ref, key, request_hash,
                 actor, [(account.id, -hold.amount, hold.currency), (target, hold.amount, hold.currency)],
                 after=lambda txn: _resolve([hold], outcome, txn, now))


REVERSIBLE_KINDS = ("fund_wallet",)


def reverse(transaction: LedgerTransaction | int, *, idempotency_key: str, actor=None) -> LedgerTransaction:
    """Post the exact opposite of a wallet funding recorded by mistake (e.g. a bank transfer
    confirmed twice). Entries are never edited; this is the only way to undo one. Money that moved
    through holds is undone by refund/fail instead (WrongState here). A transaction is reversed at
    most once; the wallet must still hold the money (422 on amount otherwise)."""
    key = _check_key(idempotency_key)
    txn_id = transaction if isinstance(transaction, int) else transaction.id
    request_hash = _fingerprint("reversal", dict(transaction=txn_id))
    existing = _replay(key, request_hash)
    if existing is not None:
        return existing
    original = db.session.get(LedgerTransaction, txn_id)
    if original is None:
        raise NotFound(_l("No such ledger transaction."))
    if original.kind not in REVERSIBLE_KINDS:
        raise WrongState(_l("This transaction cannot be reversed; refund or fail it instead."))
    if db.session.execute(select(Reversal.id).where(Reversal.original_id == txn_id)).first():
        raise WrongState(_l("This transaction has already been reversed."))
    entries = list(db.session.execute(
        select(LedgerEntry).where(LedgerEntry.transaction_id == txn_id).order_by(LedgerEntry.id)).scalars())
    debited = sorted({e.account_id for e in entries if e.amount > 0})
    for account_id in debited:  # the accounts the reversal takes money from
        account = _lock_account(account_id)
        if account.kind in ("wallet", "escrow", "payout", "revenue"):
            needed = sum(e.amount for e in entries if e.account_id == account_id)
            existing = _replay(key, request_hash)
            if existing is not None:
                return existing
            if account.balance < needed:
                raise _bad("amount", _l("The wallet no longer holds this money."))
    if db.session.execute(select(Reversal.id).where(Reversal.original_id == txn_id)).first():
        raise WrongState(_l("This transaction has already been reversed."))  # while we waited

    def link(txn):
        db.session.execute(db.insert(Reversal), [dict(original_id=txn_id, reversal_id=txn.id,
                                                      created_at=utcnow())])

    return _post("reversal", original.ref, key, request_hash, actor,
                 [(e.account_id, -e.amount, e.currency) for e in entries], after=link)
