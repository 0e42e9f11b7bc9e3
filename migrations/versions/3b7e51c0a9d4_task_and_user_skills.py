"""task_skills and user_skills: the skills of tasks and users in matching form, one row each,
indexed by skill (recommended tasks and suggested solvers rank their candidates in SQL)

Revision ID: 3b7e51c0a9d4
Revises: f619517af879
Create Date: 2026-11-30 03:50:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7e51c0a9d4'
down_revision = 'f619517af879'
branch_labels = None
depends_on = None

BATCH = 5000


def _keys(skills):
    # accounts.models.skill_keys, as it stood when this migration was written.
    if isinstance(skills, str):
        try:
            skills = json.loads(skills)
        except ValueError:
            skills = []
    if not isinstance(skills, list):
        skills = []
    keys = (str(s).strip().casefold()[:64] for s in skills)
    return sorted({k for k in keys if k})


def _backfill(source: str, table: sa.Table, owner_column: str) -> None:
    bind = op.get_bind()
    rows = []
    for owner_id, skills in bind.execute(sa.text(f"SELECT id, skills FROM {source} ORDER BY id")):
        rows.extend({owner_column: owner_id, "skill": key} for key in _keys(skills))
        if len(rows) >= BATCH:
            bind.execute(table.insert(), rows)
            rows = []
    if rows:
        bind.execute(table.insert(), rows)


def upgrade():
    task_skills = op.create_table('task_skills',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_skills_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'skill', name=op.f('pk_task_skills'))
    )
    user_skills = op.create_table('user_skills',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_skills_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'skill', name=op.f('pk_user_skills'))
    )
    _backfill("tasks", task_skills, "task_id")
    _backfill("users", user_skills, "user_id")
    op.create_index('ix_task_skills_skill_task', 'task_skills', ['skill', 'task_id'], unique=False)
    op.create_index('ix_user_skills_skill_user', 'user_skills', ['skill', 'user_id'], unique=False)


def downgrade():
    op.drop_index('ix_user_skills_skill_user', table_name='user_skills')
    op.drop_index('ix_task_skills_skill_task', table_name='task_skills')
    op.drop_table('user_skills')
    op.drop_table('task_skills')
