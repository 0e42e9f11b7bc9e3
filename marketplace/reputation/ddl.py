"""PostgreSQL trigger that keeps credit records append-only (as the ledger's do): UPDATE and
DELETE are refused, so history can only grow. `flask credit verify` catches what gets past it."""

IMMUTABLE_FUNCTION = """
CREATE OR REPLACE FUNCTION credit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'restrict_violation',
        MESSAGE = 'credit records are append-only (' || TG_OP || ')';
END;
$$
"""

RECORDS_IMMUTABLE_TRIGGER = """
CREATE TRIGGER credit_records_immutable
    BEFORE UPDATE OR DELETE ON credit_records
    FOR EACH ROW EXECUTE FUNCTION credit_refuse_change()
"""

ALL = (IMMUTABLE_FUNCTION, RECORDS_IMMUTABLE_TRIGGER)
DROP_ALL = ("DROP TRIGGER IF EXISTS credit_records_immutable ON credit_records",
            "DROP FUNCTION IF EXISTS credit_refuse_change()")
