"""users sign-in throttling

Revision ID: 7a0de83d1ec0
Revises: 16bc87c837fe
Create Date: 2026-11-30 01:26:09.493925

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a0de83d1ec0'
down_revision = '16bc87c837fe'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (no batch copy): SQLite would have to drop users, which others reference.
    op.add_column('users', sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
    op.add_column('users', sa.Column('login_lock_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('users', sa.Column('login_locked_until', sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column('users', 'login_locked_until')
    op.drop_column('users', 'login_lock_count')
    op.drop_column('users', 'failed_logins')
