"""The double-entry ledger: the only writer of money rows.

Model
-----
- **Accounts** (`LedgerAccount`), one per (code, currency):
  ``cash:stripe`` and ``cash:bank`` (platform cash per funding channel), ``revenue:fees``,
  ``wallet:user:<id>`` / ``wallet:org:<id>`` (one wallet per user or organisation and currency),
  ``payout:user:<id>`` / ``payout:org:<id>`` (money requested out of a wallet, not yet paid) and
  ``escrow:<ref>`` (one escrow per funded object, e.g. ``escrow:milestone:12``; one currency).
  A balance is the sum of the account's entries, maintained in `LedgerAccount.balance` by a
  database trigger on the entries (`ddl.py`); wallets, escrows, payout accounts and revenue are
  never negative (a CHECK constraint on that balance), cash accounts are the counterpart of outside
  money.
- **Transactions** (`LedgerTransaction`): kind, unique idempotency key, the business object's ref,
  actor, created_at, and a hash of the call's parameters. **Entries** (`LedgerEntry`): account,
  signed non-zero amount, currency; every transaction sums to zero per currency. Entries and
  transactions are never updated or deleted (on PostgreSQL triggers refuse it, and a deferred
  constraint trigger refuses any unbalanced transaction at commit; see `ddl.py`).
- **Holds** (`Hold`): an amount reserved for one purpose, resolved at most once
  (`HoldResolution.hold_id` is unique). Escrow holds are created by funding
  (`fund_escrow(ref="bounty:3", holds=[("bounty:3:prize:1", 50000), ...])`; by default one hold
  whose ref is the escrow's ref) and resolved by `release`, `refund` or `split`. Payout holds
  (``payout:<id>``) are created by `request_payout` and resolved by `complete_payout` or
  `fail_payout`. An escrow closes when its last open hold resolves (its balance is then zero).
- **Reversals** (`Reversal`): a wallet funding recorded by mistake is undone by `reverse`, which
  posts the opposite entries as a new transaction; each transaction is reversed at most once.
- **Parties**: an owner is a `User`, an `Organisation`, or a tuple ``("user"|"org", id)``.

Service functions (`marketplace.ledger.service`) are the only writers. Each takes an
`idempotency_key`: the same key with the same parameters returns the first transaction, with
different parameters raises `ValidationFailed` (422). They never commit. `flask ledger verify`
(`verify.py`) recomputes every invariant; other domains add checks with `verify.register_check`.
"""
from . import models  # noqa: F401  (api and models register routes and tables on import)
from .cli import ledger_cli


def init_app(app):
    app.cli.add_command(ledger_cli)
