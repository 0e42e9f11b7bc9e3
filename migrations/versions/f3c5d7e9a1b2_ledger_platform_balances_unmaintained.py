"""ledger balances: cash and revenue accounts are not maintained

Every posting touches a cash or the revenue account; keeping a running total there queued all
postings behind one row lock until commit. The balance trigger now skips them (their balance is
the sum of their entries) and their `balance` column is reset to 0.

Revision ID: f3c5d7e9a1b2
Revises: 5a1c2e7d9f30
Create Date: 2026-11-30 05:15:00

"""
from alembic import op


revision = 'f3c5d7e9a1b2'
down_revision = '5a1c2e7d9f30'
branch_labels = None
depends_on = None

OLD_SQLITE_TRIGGER = """
CREATE TRIGGER ledger_entries_apply
    AFTER INSERT ON ledger_entries
    FOR EACH ROW BEGIN
        UPDATE ledger_accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id;
    END
"""


def _set_platform_balances(value_sql: str):
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE ledger_accounts DISABLE TRIGGER ledger_accounts_balance_guard")
    op.execute(f"UPDATE ledger_accounts SET balance = {value_sql} WHERE kind IN ('cash', 'revenue')")
    if postgres:
        op.execute("ALTER TABLE ledger_accounts ENABLE TRIGGER ledger_accounts_balance_guard")


def upgrade():
    from marketplace.ledger import ddl

    if op.get_bind().dialect.name == "postgresql":
        op.execute("LOCK TABLE ledger_entries IN SHARE MODE")
        op.execute(ddl.APPLY_FUNCTION)
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_apply")
        op.execute(ddl.SQLITE_APPLY_TRIGGER)
    _set_platform_balances("0")


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("LOCK TABLE ledger_entries IN SHARE MODE")
        op.execute(
            "CREATE OR REPLACE FUNCTION ledger_apply_entries() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE d record; BEGIN FOR d IN SELECT n.account_id, SUM(n.amount) AS delta "
            "FROM inserted_entries n JOIN ledger_accounts a ON a.id = n.account_id GROUP BY n.account_id, a.kind "
            "HAVING SUM(n.amount) <> 0 ORDER BY CASE a.kind WHEN 'wallet' THEN 0 WHEN 'revenue' THEN 2 "
            "WHEN 'cash' THEN 3 ELSE 1 END, n.account_id LOOP "
            "UPDATE ledger_accounts SET balance = balance + d.delta WHERE id = d.account_id; END LOOP; "
            "RETURN NULL; END; $$")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_apply")
        op.execute(OLD_SQLITE_TRIGGER)
    _set_platform_balances("COALESCE((SELECT SUM(e.amount) FROM ledger_entries e "
                           "WHERE e.account_id = ledger_accounts.id), 0)")
