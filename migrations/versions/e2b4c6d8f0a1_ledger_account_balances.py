"""ledger_accounts.balance: the maintained sum of each account's entries

Adds the column, fills it from the entries, adds the CHECK constraint that keeps every non-cash
balance >= 0, and installs the triggers that add each inserted entry to its account's balance
(marketplace/ledger/ddl.py). On PostgreSQL the entries are locked against inserts (SHARE) from the
fill until the trigger exists, so no posting slips between them. A negative wallet, escrow, payout
or revenue sum makes the upgrade fail: `flask ledger verify` names it; repair it first.

Revision ID: e2b4c6d8f0a1
Revises: 3b7e51c0a9d4
Create Date: 2026-11-30 03:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e2b4c6d8f0a1'
down_revision = '3b7e51c0a9d4'
branch_labels = None
depends_on = None

CHECK = "kind = 'cash' or balance >= 0"


def upgrade():
    from marketplace.ledger import ddl

    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("LOCK TABLE ledger_entries IN SHARE MODE")
        op.add_column('ledger_accounts', sa.Column('balance', sa.BigInteger(), server_default=sa.text('0'),
                                                   nullable=False))
        op.execute("UPDATE ledger_accounts a SET balance = s.total FROM ("
                   "SELECT account_id, SUM(amount) AS total FROM ledger_entries GROUP BY account_id) s "
                   "WHERE a.id = s.account_id")
        op.create_check_constraint(op.f('ck_ledger_accounts_balance_not_negative'), 'ledger_accounts', CHECK)
        for statement in ddl.BALANCES_POSTGRESQL:
            op.execute(statement)
    else:
        # SQLite adds a column with its CHECK constraint without rebuilding the table.
        op.execute("ALTER TABLE ledger_accounts ADD COLUMN balance BIGINT DEFAULT 0 NOT NULL "
                   f"CONSTRAINT ck_ledger_accounts_balance_not_negative CHECK ({CHECK})")
        op.execute("UPDATE ledger_accounts SET balance = COALESCE((SELECT SUM(e.amount) FROM ledger_entries e "
                   "WHERE e.account_id = ledger_accounts.id), 0)")
        for statement in ddl.BALANCES_SQLITE:
            op.execute(statement)


def downgrade():
    from marketplace.ledger import ddl

    if op.get_bind().dialect.name == "postgresql":
        for statement in ddl.DROP_BALANCES_POSTGRESQL:
            op.execute(statement)
        op.drop_constraint(op.f('ck_ledger_accounts_balance_not_negative'), 'ledger_accounts', type_='check')
        op.drop_column('ledger_accounts', 'balance')
    else:
        for statement in ddl.DROP_BALANCES_SQLITE:
            op.execute(statement)
        # The CHECK belongs to the column (added with it above): SQLite drops both in place.
        op.execute("ALTER TABLE ledger_accounts DROP COLUMN balance")
