"""tasks.publish_when_funded: a household job posted and paid in one step opens once funded

Revision ID: b3c1a2e4f5d6
Revises: a1c0de5ea7c1
Create Date: 2026-11-30 00:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3c1a2e4f5d6'
down_revision = 'a1c0de5ea7c1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publish_when_funded', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('publish_when_funded')
