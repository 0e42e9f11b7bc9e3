"""users: the time zone a user reads times in; fundings: why a payment was flagged, as a code
and its values (shown translated)

Revision ID: 5a1c2e7d9f30
Revises: a1c3e5f7b9d2
Create Date: 2026-11-30 03:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1c2e7d9f30'
down_revision = 'a1c3e5f7b9d2'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (no batch copy): SQLite would have to drop users, which others reference.
    op.add_column('users', sa.Column('timezone', sa.String(length=40), nullable=True))
    op.add_column('fundings', sa.Column('flag_code', sa.String(length=40), nullable=True))
    op.add_column('fundings', sa.Column('flag_params', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('fundings', 'flag_params')
    op.drop_column('fundings', 'flag_code')
    op.drop_column('users', 'timezone')
