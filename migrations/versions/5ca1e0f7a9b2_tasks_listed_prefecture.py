"""tasks.listed_prefecture with one partial index per list sort of open tasks within a prefecture
(the city filter of lists and searches walks them); on SQLite the FTS5 triggers restored

Revision ID: 5ca1e0f7a9b2
Revises: d4e5f6a7b8c9
Create Date: 2026-11-30 01:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5ca1e0f7a9b2'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None

OPEN_ONLY = "status = 'open'"
INDEXES = (("ix_tasks_open_place_newest", ["listed_prefecture", "listed_at", "id"]),
           ("ix_tasks_open_place_deadline", ["listed_prefecture", "sort_deadline", "id"]),
           ("ix_tasks_open_place_amount", ["listed_prefecture", "sort_amount", "id"]))


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed_prefecture', sa.String(length=16), nullable=True))
    place = "coalesce(district, city)"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"UPDATE tasks SET listed_prefecture = split_part({place}, '-', 1) WHERE {place} IS NOT NULL")
    else:
        op.execute(f"UPDATE tasks SET listed_prefecture = CASE WHEN instr({place}, '-') > 0 "
                   f"THEN substr({place}, 1, instr({place}, '-') - 1) ELSE {place} END")
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        for name, columns in INDEXES:
            batch_op.create_index(name, columns, unique=False, sqlite_where=sa.text(OPEN_ONLY),
                                  postgresql_where=sa.text(OPEN_ONLY))
    if op.get_bind().dialect.name == "sqlite":
        # A batch migration that copied tasks into a new table (publish_when_funded) dropped the
        # triggers that keep the FTS5 index of search terms in step: recreate them and rebuild.
        from marketplace.tasks.models import SQLITE_FTS
        for statement in SQLITE_FTS:
            op.execute(statement)
        op.execute("INSERT INTO task_fts(task_fts) VALUES ('rebuild')")


def downgrade():
    for name, _columns in INDEXES:
        op.drop_index(name, table_name="tasks")
    op.execute("ALTER TABLE tasks DROP COLUMN listed_prefecture")
