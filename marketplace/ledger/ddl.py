"""Triggers guarding the ledger, as SQL constants.

`models.py` attaches them with `after_create` DDL events (so `create_all()` installs them) and the
migrations execute the same constants. The statements avoid the percent sign so they can be
passed through SQLAlchemy's DDL() and Alembic's op.execute() unchanged.

Maintained balances (both dialects): `ledger_accounts.balance` is the sum of the account's entries,
added by the database in the statement that inserts the entries, so no writer (nor a hand-written
INSERT) can forget it and a debit never sums the account's history.

- APPLY_FUNCTION / APPLY_TRIGGER (PostgreSQL): after each INSERT statement on ledger_entries, add
  the inserted amounts to their accounts, one UPDATE per account. The accounts are locked in one
  order everywhere (wallets, then escrow and payout accounts, then revenue, then cash; by id within
  a kind), the order the writers lock them in too, so postings touching the same accounts queue
  instead of deadlocking. The CHECK constraint ``balance_not_negative`` on ledger_accounts refuses
  an UPDATE that would take a wallet, escrow, payout or revenue account below zero, so two racing
  debits can never overdraw an account even past the writers' own checks.
- GUARD_FUNCTION / GUARD_TRIGGER (PostgreSQL): refuse a balance written by hand (an UPDATE of
  balance, or an INSERT of an account with a balance other than 0) outside the apply trigger.
- SQLITE_APPLY_TRIGGER: the same bookkeeping on SQLite, one UPDATE per inserted entry.

Platform accounts (cash and revenue) are not maintained: nearly every posting touches one of them,
and a running total there would queue every posting behind one row lock until commit. Their
`balance` stays 0; their balance is the sum of their entries (`readers.balance` sums them; they are
read rarely and never on a debit path).

- BALANCE_FUNCTION / BALANCE_TRIGGER: a deferred constraint trigger that checks, at commit, that
  every transaction touched by an inserted entry sums to zero per currency.
- IMMUTABLE_FUNCTION / ENTRIES_IMMUTABLE_TRIGGER / TRANSACTIONS_IMMUTABLE_TRIGGER: refuse UPDATE
  and DELETE of entries and transactions (TRUNCATE stays possible: it fires no row triggers).
"""

BALANCE_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT currency, SUM(amount) AS total INTO bad
      FROM ledger_entries
     WHERE transaction_id = NEW.transaction_id
     GROUP BY currency
    HAVING SUM(amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = 'ledger transaction ' || NEW.transaction_id || ' does not balance in '
                      || bad.currency || ' (sum ' || bad.total || ')';
    END IF;
    RETURN NULL;
END;
$$
"""

BALANCE_TRIGGER = """
CREATE CONSTRAINT TRIGGER ledger_entries_balanced
    AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()
"""

IMMUTABLE_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'restrict_violation',
        MESSAGE = TG_TABLE_NAME || ' rows are immutable (' || TG_OP || '); post a reversal instead';
END;
$$
"""

ENTRIES_IMMUTABLE_TRIGGER = """
CREATE TRIGGER ledger_entries_immutable
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
"""

TRANSACTIONS_IMMUTABLE_TRIGGER = """
CREATE TRIGGER ledger_transactions_immutable
    BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
"""

# In the order a migration executes them (after the tables exist).
ALL = (BALANCE_FUNCTION, BALANCE_TRIGGER, IMMUTABLE_FUNCTION, ENTRIES_IMMUTABLE_TRIGGER,
       TRANSACTIONS_IMMUTABLE_TRIGGER)

APPLY_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_apply_entries() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    FOR d IN
        SELECT n.account_id, SUM(n.amount) AS delta
          FROM inserted_entries n JOIN ledger_accounts a ON a.id = n.account_id
         WHERE a.kind NOT IN ('cash', 'revenue')
         GROUP BY n.account_id, a.kind
        HAVING SUM(n.amount) <> 0
         ORDER BY CASE a.kind WHEN 'wallet' THEN 0 WHEN 'revenue' THEN 2 WHEN 'cash' THEN 3 ELSE 1 END,
                  n.account_id
    LOOP
        UPDATE ledger_accounts SET balance = balance + d.delta WHERE id = d.account_id;
    END LOOP;
    RETURN NULL;
END;
$$
"""

APPLY_TRIGGER = """
CREATE TRIGGER ledger_entries_apply
    AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS inserted_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_entries()
"""

GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_guard_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() > 1 THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.balance <> 0 THEN
            RAISE EXCEPTION USING
                ERRCODE = 'restrict_violation',
                MESSAGE = 'a new ledger account starts with balance 0; post entries instead';
        END IF;
    ELSIF NEW.balance IS DISTINCT FROM OLD.balance THEN
        RAISE EXCEPTION USING
            ERRCODE = 'restrict_violation',
            MESSAGE = 'ledger_accounts.balance is kept by the ledger_entries_apply trigger; post entries instead';
    END IF;
    RETURN NEW;
END;
$$
"""

GUARD_TRIGGER = """
CREATE TRIGGER ledger_accounts_balance_guard
    BEFORE INSERT OR UPDATE OF balance ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_guard_balance()
"""

SQLITE_APPLY_TRIGGER = """
CREATE TRIGGER ledger_entries_apply
    AFTER INSERT ON ledger_entries
    FOR EACH ROW BEGIN
        UPDATE ledger_accounts SET balance = balance + NEW.amount
         WHERE id = NEW.account_id AND kind NOT IN ('cash', 'revenue');
    END
"""

# Maintained balances, in the order a migration executes them (after the balance column exists
# and has been filled from the entries).
BALANCES_POSTGRESQL = (APPLY_FUNCTION, APPLY_TRIGGER, GUARD_FUNCTION, GUARD_TRIGGER)
BALANCES_SQLITE = (SQLITE_APPLY_TRIGGER,)
DROP_BALANCES_POSTGRESQL = (
    "DROP TRIGGER IF EXISTS ledger_accounts_balance_guard ON ledger_accounts",
    "DROP TRIGGER IF EXISTS ledger_entries_apply ON ledger_entries",
    "DROP FUNCTION IF EXISTS ledger_guard_balance()",
    "DROP FUNCTION IF EXISTS ledger_apply_entries()",
)
DROP_BALANCES_SQLITE = ("DROP TRIGGER IF EXISTS ledger_entries_apply",)

DROP_ALL = (
    "DROP TRIGGER IF EXISTS ledger_transactions_immutable ON ledger_transactions",
    "DROP TRIGGER IF EXISTS ledger_entries_immutable ON ledger_entries",
    "DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_entries",
    "DROP FUNCTION IF EXISTS ledger_refuse_change()",
    "DROP FUNCTION IF EXISTS ledger_check_balanced()",
)
