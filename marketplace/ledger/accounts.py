"""Ledger accounts: codes and kinds, owner keys, input checks, creating accounts race-safely."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..core.db import utcnow
from ..core.errors import ValidationFailed
from ..core.money import SUPPORTED_CURRENCIES
from ..extensions import db
from .fees import fee_bps_for
from .models import OWNER_TYPES, LedgerAccount, LedgerEntry

CASH_ACCOUNTS = {"card": "cash:stripe", "bank": "cash:bank"}
REVENUE_FEES = "revenue:fees"
FUNDING_CHANNELS = ("card", "bank", "wallet")
REFUND_TARGETS = ("wallet", "card", "bank")
PAYOUT_CHANNELS = ("bank", "card")

_REF = re.compile(r"^[a-z][a-z0-9_]*(:[A-Za-z0-9_.-]+)+$")


def _bad(field: str, message) -> ValidationFailed:
    return ValidationFailed(errors={field: [message]})


def _check_currency(value, field: str = "currency") -> str:
    if value not in SUPPORTED_CURRENCIES:
        raise _bad(field, _l("Unsupported currency."))
    return value


def _check_ref(value, field: str = "ref", max_length: int = 80) -> str:
    if not isinstance(value, str) or len(value) > max_length or not _REF.match(value):
        raise _bad(field, _l("Not a valid reference."))
    return value


def _check_key(value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise _bad("idempotency_key", _l("Give an idempotency key of 1 to 200 characters."))
    return value


def _check_choice(value, choices, field: str) -> str:
    if value not in choices:
        raise _bad(field, _l("Not a valid choice."))
    return value


def _check_fee_bps(fee_bps, category) -> int:
    if fee_bps is None:
        return fee_bps_for(category)
    if isinstance(fee_bps, bool) or not isinstance(fee_bps, int) or not 0 <= fee_bps <= 10000:
        raise _bad("fee_bps", _l("The fee must be between 0 and 10000 basis points."))
    return fee_bps


def owner_key(owner) -> tuple[str, int]:
    """("user"|"org", id) for a User, an Organisation or such a tuple."""
    if isinstance(owner, tuple):
        if (len(owner) == 2 and owner[0] in OWNER_TYPES and isinstance(owner[1], int)
                and not isinstance(owner[1], bool)):
            return owner
        raise TypeError(f"not a ledger owner: {owner!r}")
    table = getattr(owner, "__tablename__", None)
    kind = {"users": "user", "organisations": "org"}.get(table)
    if kind is None or getattr(owner, "id", None) is None:
        raise TypeError(f"not a ledger owner (or not flushed): {owner!r}")
    return kind, owner.id


def _actor_id(actor) -> int | None:
    if actor is None or isinstance(actor, int):
        return actor
    return actor.id


# ---------------------------------------------------------------------------------------------
# Accounts


@dataclass(frozen=True)
class _Spec:
    code: str
    currency: str
    kind: str
    owner_type: str | None = None
    owner_id: int | None = None
    ref: str | None = None


def _wallet_spec(owner, currency: str) -> _Spec:
    kind, oid = owner_key(owner)
    return _Spec(f"wallet:{kind}:{oid}", currency, "wallet", kind, oid)


def _payout_spec(owner, currency: str) -> _Spec:
    kind, oid = owner_key(owner)
    return _Spec(f"payout:{kind}:{oid}", currency, "payout", kind, oid)


def _cash_spec(channel: str, currency: str) -> _Spec:
    return _Spec(CASH_ACCOUNTS[channel], currency, "cash")


def _revenue_spec(currency: str) -> _Spec:
    return _Spec(REVENUE_FEES, currency, "revenue")


def _escrow_spec(ref: str, currency: str) -> _Spec:
    return _Spec(f"escrow:{ref}", currency, "escrow", ref=ref)


def _insert_ignoring_conflicts(model, index_elements=None):
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model).on_conflict_do_nothing(index_elements=index_elements)


def _account_ids(*specs: _Spec) -> list[int]:
    """Ids of the accounts named by specs, creating missing ones (race-safe, one round trip when
    they all exist)."""
    wanted = {(s.code, s.currency) for s in specs}
    codes = sorted({s.code for s in specs})
    rows = db.session.execute(
        select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.currency)
        .where(LedgerAccount.code.in_(codes))
    ).all()
    found = {(code, cur): aid for aid, code, cur in rows if (code, cur) in wanted}
    escrow_codes = {s.code for s in specs if s.kind == "escrow"}
    if any(code in escrow_codes and (code, cur) not in wanted for _aid, code, cur in rows):
        raise _bad("currency", _l("This escrow holds another currency."))
    missing = [s for s in dict.fromkeys(specs) if (s.code, s.currency) not in found]
    if missing:
        now = utcnow()
        db.session.execute(_insert_ignoring_conflicts(LedgerAccount), [
            dict(code=s.code, currency=s.currency, kind=s.kind, owner_type=s.owner_type,
                 owner_id=s.owner_id, ref=s.ref, status="open", created_at=now) for s in missing])
        rows = db.session.execute(
            select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.currency)
            .where(LedgerAccount.code.in_([s.code for s in missing]))
        ).all()
        found.update({(code, cur): aid for aid, code, cur in rows if (code, cur) in wanted})
    for s in specs:
        if (s.code, s.currency) not in found:
            # Only an escrow can be refused: it already exists in another currency.
            raise _bad("currency", _l("This escrow holds another currency."))
    return [found[(s.code, s.currency)] for s in specs]


def _lock_account(account_id: int) -> LedgerAccount:
    """Lock an account row and reload it. FOR NO KEY UPDATE: the lock the balance trigger's UPDATE
    takes too, and one that does not block the foreign-key checks of rows that merely point at the
    account (entries, holds), which would otherwise queue a posting behind a lock held by a request
    that is itself waiting for that posting."""
    return db.session.execute(
        select(LedgerAccount).where(LedgerAccount.id == account_id)
        .with_for_update(key_share=True).execution_options(populate_existing=True)
    ).scalar_one()


def _lock_accounts(account_ids) -> None:
    """Lock several accounts (SELECT ... FOR UPDATE) in id order. Writers lock the wallets a
    posting will touch this way before its escrow or payout account, the order the balance trigger
    takes them in (ddl.py), so that postings sharing accounts wait for each other instead of
    deadlocking."""
    ids = sorted(set(account_ids))
    if ids:
        db.session.execute(select(LedgerAccount.id).where(LedgerAccount.id.in_(ids))
                           .order_by(LedgerAccount.id).with_for_update(key_share=True)).all()


UNMAINTAINED_KINDS = ("cash", "revenue")  # platform accounts: balance = sum of entries (ddl.py)


def _balance(account_id: int) -> int:
    """The account's balance: for wallets, escrows and payout accounts the maintained column (one
    primary-key read, however long the history); for cash and revenue the sum of the entries."""
    kind, kept = db.session.execute(
        select(LedgerAccount.kind, LedgerAccount.balance).where(LedgerAccount.id == account_id)).one()
    if kind not in UNMAINTAINED_KINDS:
        return int(kept)
    return int(db.session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.account_id == account_id)
    ).scalar_one())


def _find_account(code: str, currency: str | None = None) -> LedgerAccount | None:
    query = select(LedgerAccount).where(LedgerAccount.code == code)
    if currency is not None:
        query = query.where(LedgerAccount.currency == currency)
    return db.session.execute(query.limit(1)).scalar_one_or_none()
