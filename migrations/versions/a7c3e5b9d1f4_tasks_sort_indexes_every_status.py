"""tasks: one index per list sort for status=all (every status but drafts; and per prefecture, for
the city filter) and one per sort after the status (lists of one non-open status), so those lists
walk an index in sort order too

Revision ID: a7c3e5b9d1f4
Revises: f3c5d7e9a1b2
Create Date: 2026-11-30 07:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a7c3e5b9d1f4'
down_revision = 'f3c5d7e9a1b2'
branch_labels = None
depends_on = None

LISTED_ONLY = "status <> 'draft'"
LISTED = (("ix_tasks_listed_newest", ["listed_at", "id"]),
          ("ix_tasks_listed_deadline", ["sort_deadline", "id"]),
          ("ix_tasks_listed_amount", ["sort_amount", "id"]),
          ("ix_tasks_listed_place_newest", ["listed_prefecture", "listed_at", "id"]),
          ("ix_tasks_listed_place_deadline", ["listed_prefecture", "sort_deadline", "id"]),
          ("ix_tasks_listed_place_amount", ["listed_prefecture", "sort_amount", "id"]))
BY_STATUS = (("ix_tasks_status_newest", ["status", "listed_at", "id"]),
             ("ix_tasks_status_deadline", ["status", "sort_deadline", "id"]),
             ("ix_tasks_status_amount", ["status", "sort_amount", "id"]))


def upgrade():
    for name, columns in LISTED:
        op.create_index(name, "tasks", columns, unique=False, sqlite_where=sa.text(LISTED_ONLY),
                        postgresql_where=sa.text(LISTED_ONLY))
    for name, columns in BY_STATUS:
        op.create_index(name, "tasks", columns, unique=False)


def downgrade():
    for name, _columns in LISTED + BY_STATUS:
        op.drop_index(name, table_name="tasks")
