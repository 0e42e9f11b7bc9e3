"""users: email_confirmed_at (registration is confirmed by a mailed link)

Every account that exists when this runs counts as confirmed (it was created before confirmation
was asked for), so the column is filled with its creation time.

Revision ID: a1c3e5f7b9d2
Revises: e2b4c6d8f0a1
Create Date: 2026-11-30 03:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1c3e5f7b9d2'
down_revision = 'e2b4c6d8f0a1'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (no batch copy): SQLite would have to drop `users`, which others reference.
    op.add_column('users', sa.Column('email_confirmed_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE users SET email_confirmed_at = created_at WHERE email_confirmed_at IS NULL")


def downgrade():
    op.drop_column('users', 'email_confirmed_at')  # SQLite 3.35+ drops a plain column in place
