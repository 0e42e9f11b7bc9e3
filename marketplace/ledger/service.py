"""Ledger use cases: the only functions that write money rows (this module gathers them; each lives
in its own module: `writers`, `readers`, `fees`, `posting`, `accounts`).

Writers (each returns the `LedgerTransaction` it posted, never commits, and takes an
`idempotency_key`: the same key with the same parameters returns the first transaction and writes
nothing; with other parameters it raises `ValidationFailed` naming ``idempotency_key``):

- `fund_escrow(ref, payer, amount, currency, channel=, idempotency_key=, holds=)`: card/bank
  cash (or the payer's wallet) -> escrow of `ref`, creating one hold per purpose.
- `move_wallet_to_escrow(...)`: `fund_escrow` with channel "wallet".
- `fund_wallet(owner, amount, currency, channel=, idempotency_key=)`: card/bank cash -> wallet.
- `release(hold_ref, solver, idempotency_key=)`: the hold -> solver's wallet minus the fee,
  fee -> revenue:fees.
- `release_shared(hold_ref, [(owner, share_bps), ...], idempotency_key=)`: like `release`, the
  rest after the fee divided among co-authors by the largest remainder method.
- `refund(hold_ref, idempotency_key=, to="wallet")`: the hold -> payer's wallet (or back to the
  card/bank channel it came from, when `to` names that channel).
- `refund_escrow(escrow_ref, idempotency_key=)`: every open hold of an escrow, in one transaction.
- `split(hold_ref, solver, solver_percent, idempotency_key=)`: an operator decision; the solver's
  part (largest remainder) minus the fee on that part -> solver, the rest -> payer.
- `split_parts(hold_refs, [(owner, amount), ...], payer_amount=, idempotency_key=)`: holds of one
  escrow divided in exact gross parts, each minus the fee on it; `payer_amount` back to the payers.
- `request_payout` / `complete_payout` / `fail_payout`: wallet -> payout account -> cash (paid),
  or back to the wallet (failed).
- `reverse(transaction, idempotency_key=)`: the exact opposite of a wallet funding made by mistake.

Readers: `balance`, `paid_out_to_cash`, `lock_wallet` (a lock helper), `wallet_account`, `wallet_balance`, `wallet_summary`, `wallet_lines`,
`escrow_balance`, `escrow_account`, `get_hold`, `escrow_holds`, `transaction_for_key`,
`fee_bps_for`.

Concurrency: resolutions lock the escrow account and the hold (SELECT ... FOR UPDATE) and flip the
hold with a conditional UPDATE; the unique `HoldResolution.hold_id` is the last line. Wallet debits
lock the wallet account row and read its maintained balance (a CHECK constraint on it is the last
line). The idempotency key is unique; a concurrent insert
of the same key is caught inside a SAVEPOINT and answered with the winner's transaction.
"""
from .accounts import (
    CASH_ACCOUNTS,
    FUNDING_CHANNELS,
    PAYOUT_CHANNELS,
    REFUND_TARGETS,
    REVENUE_FEES,
    _find_account,
    owner_key,
)
from .fees import fee_bps_for
from .readers import (
    WalletLine,
    balance,
    escrow_account,
    escrow_balance,
    escrow_holds,
    get_hold,
    lock_wallet,
    paid_out_to_cash,
    transaction_for_key,
    wallet_account,
    wallet_balance,
    wallet_lines,
    wallet_summary,
)
from .writers import (
    REVERSIBLE_KINDS,
    complete_payout,
    fail_payout,
    fund_escrow,
    fund_wallet,
    move_wallet_to_escrow,
    refund,
    refund_escrow,
    release,
    release_shared,
    request_payout,
    reverse,
    split,
    split_parts,
)

__all__ = [
    "CASH_ACCOUNTS",
    "FUNDING_CHANNELS",
    "PAYOUT_CHANNELS",
    "REFUND_TARGETS",
    "REVENUE_FEES",
    "REVERSIBLE_KINDS",
    "WalletLine",
    "_find_account",
    "balance",
    "complete_payout",
    "escrow_account",
    "escrow_balance",
    "escrow_holds",
    "lock_wallet",
    "paid_out_to_cash",
    "fail_payout",
    "fee_bps_for",
    "fund_escrow",
    "fund_wallet",
    "get_hold",
    "move_wallet_to_escrow",
    "owner_key",
    "refund",
    "refund_escrow",
    "release",
    "release_shared",
    "request_payout",
    "reverse",
    "split",
    "split_parts",
    "transaction_for_key",
    "wallet_account",
    "wallet_balance",
    "wallet_lines",
    "wallet_summary",
]
