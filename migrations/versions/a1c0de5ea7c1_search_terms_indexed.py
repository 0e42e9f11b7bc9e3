"""search terms indexed: tasks.search_terms (tsvector + GIN on PostgreSQL, FTS5 on SQLite), list
sort keys with one partial index per sort of open tasks, kept term counts; task_terms dropped

Revision ID: a1c0de5ea7c1
Revises: cec3401becb3
Create Date: 2026-11-30 00:45:00

The terms of existing tasks are recomputed from their text with the same tokenizer
(marketplace/tasks/terms.py), in batches.
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = 'a1c0de5ea7c1'
down_revision = 'cec3401becb3'
branch_labels = None
depends_on = None

FAR_FUTURE = dt.datetime(9999, 12, 31)
OPEN_ONLY = "status = 'open'"
BATCH = 2000


def _terms_type(dialect):
    return TSVECTOR() if dialect == "postgresql" else sa.Text()


def _backfill_terms(bind):
    from marketplace.tasks.models import terms_literal
    from marketplace.tasks.terms import index_terms

    tasks = sa.table("tasks", sa.column("id"), sa.column("title"), sa.column("description"),
                     sa.column("skills", sa.JSON), sa.column("search_terms"))
    last = 0
    while True:
        rows = bind.execute(sa.select(tasks.c.id, tasks.c.title, tasks.c.description, tasks.c.skills)
                            .where(tasks.c.id > last).order_by(tasks.c.id).limit(BATCH)).all()
        if not rows:
            return
        updates = [{"task_id": r.id, "terms": terms_literal(sorted(index_terms(
            r.title, r.description, " ".join(str(s) for s in (r.skills or [])))), bind.dialect.name)}
            for r in rows]
        value = (sa.cast(sa.bindparam("terms"), TSVECTOR) if bind.dialect.name == "postgresql"
                 else sa.bindparam("terms"))
        bind.execute(tasks.update().where(tasks.c.id == sa.bindparam("task_id"))
                     .values(search_terms=value), updates)
        last = rows[-1].id


def upgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name
    op.create_table('search_term_counts',
    sa.Column('term', sa.String(length=64), nullable=False),
    sa.Column('tasks', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('term', name=op.f('pk_search_term_counts'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sort_deadline', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sort_amount', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('search_terms', _terms_type(dialect), nullable=True))
    op.execute(sa.text("UPDATE tasks SET listed_at = coalesce(published_at, created_at), "
                       "sort_deadline = coalesce(listed_deadline, :far), sort_amount = coalesce(listed_amount, 0)")
               .bindparams(far=FAR_FUTURE))
    _backfill_terms(bind)
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        for name, columns in (("ix_tasks_open_newest", ["listed_at", "id"]),
                              ("ix_tasks_open_deadline", ["sort_deadline", "id"]),
                              ("ix_tasks_open_amount", ["sort_amount", "id"])):
            batch_op.create_index(name, columns, unique=False, sqlite_where=sa.text(OPEN_ONLY),
                                  postgresql_where=sa.text(OPEN_ONLY))
    if dialect == "postgresql":
        op.create_index("ix_tasks_search_terms", "tasks", ["search_terms"], postgresql_using="gin")
    else:
        from marketplace.tasks.models import SQLITE_FTS
        for statement in SQLITE_FTS:
            op.execute(statement)
        op.execute("INSERT INTO task_fts(task_fts) VALUES ('rebuild')")
    with op.batch_alter_table('task_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_task_terms_term')
    op.drop_table('task_terms')


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_index("ix_tasks_search_terms", table_name="tasks", postgresql_using="gin")
    else:
        from marketplace.tasks.models import SQLITE_FTS_DROP
        for statement in SQLITE_FTS_DROP:
            op.execute(statement)
    for name in ("ix_tasks_open_amount", "ix_tasks_open_deadline", "ix_tasks_open_newest"):
        op.drop_index(name, table_name="tasks")
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 too): a batch copy of tasks would trip over
    # the many tables that reference it.
    for name in ("search_terms", "sort_amount", "sort_deadline", "listed_at"):
        op.execute(f"ALTER TABLE tasks DROP COLUMN {name}")
    op.drop_table('search_term_counts')
    op.create_table('task_terms',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_terms_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'term', name=op.f('pk_task_terms'))
    )
    with op.batch_alter_table('task_terms', schema=None) as batch_op:
        batch_op.create_index('ix_task_terms_term', ['term', 'task_id'], unique=False)
    from marketplace.tasks.terms import index_terms
    tasks = sa.table("tasks", sa.column("id"), sa.column("title"), sa.column("description"),
                     sa.column("skills", sa.JSON))
    terms_table = sa.table("task_terms", sa.column("task_id"), sa.column("term"))
    last = 0
    while True:
        rows = bind.execute(sa.select(tasks.c.id, tasks.c.title, tasks.c.description, tasks.c.skills)
                            .where(tasks.c.id > last).order_by(tasks.c.id).limit(BATCH)).all()
        if not rows:
            break
        values = [{"task_id": r.id, "term": t} for r in rows
                  for t in sorted(index_terms(r.title, r.description, " ".join(str(s) for s in (r.skills or []))))]
        if values:
            bind.execute(terms_table.insert(), values)
        last = rows[-1].id
