"""payout_accounts: the bank account payouts are sent to

Revision ID: d4e5f6a7b8c9
Revises: 7a0de83d1ec0
Create Date: 2026-11-30 01:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd4e5f6a7b8c9'
down_revision = '7a0de83d1ec0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'payout_accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_type', sa.String(length=8), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('bank_name', sa.String(length=100), nullable=False),
        sa.Column('holder_name', sa.String(length=100), nullable=False),
        sa.Column('account_number', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("owner_type in ('user', 'org')", name=op.f('ck_payout_accounts_owner_type_known')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_accounts')),
        sa.UniqueConstraint('owner_type', 'owner_id', name=op.f('uq_payout_accounts_owner_type_owner_id')),
    )


def downgrade():
    op.drop_table('payout_accounts')
