"""organisation payouts: payouts.org_id, Stripe connected accounts of organisations

Revision ID: b7c1e2d3f4a5
Revises: 29fe8712ec3d
Create Date: 2026-11-30 03:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7c1e2d3f4a5'
down_revision = '29fe8712ec3d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_payouts_org_id_organisations'), 'organisations',
                                    ['org_id'], ['id'])
        batch_op.create_index('ix_payouts_org_created', ['org_id', 'created_at'], unique=False)
    with op.batch_alter_table('stripe_connected_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_stripe_connected_accounts_org_id'), ['org_id'])
        batch_op.create_foreign_key(batch_op.f('fk_stripe_connected_accounts_org_id_organisations'),
                                    'organisations', ['org_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_stripe_connected_accounts_one_owner'),
                                         '(user_id is null) <> (org_id is null)')


def downgrade():
    with op.batch_alter_table('stripe_connected_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_stripe_connected_accounts_one_owner'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_stripe_connected_accounts_org_id_organisations'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_stripe_connected_accounts_org_id'), type_='unique')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('org_id')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index('ix_payouts_org_created')
        batch_op.drop_constraint(batch_op.f('fk_payouts_org_id_organisations'), type_='foreignkey')
        batch_op.drop_column('org_id')
