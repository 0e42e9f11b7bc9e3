"""PostgreSQL triggers guarding the ledger, as SQL constants.

`models.py` attaches them with `after_create` DDL events (so `create_all()` installs them) and the
migration executes the same constants. The statements avoid the percent sign so they can be
passed through SQLAlchemy's DDL() and Alembic's op.execute() unchanged.

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

DROP_ALL = (
    "DROP TRIGGER IF EXISTS ledger_transactions_immutable ON ledger_transactions",
    "DROP TRIGGER IF EXISTS ledger_entries_immutable ON ledger_entries",
    "DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_entries",
    "DROP FUNCTION IF EXISTS ledger_refuse_change()",
    "DROP FUNCTION IF EXISTS ledger_check_balanced()",
)
