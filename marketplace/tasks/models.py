"""Tasks: the thing a poster publishes, in one of three modes (tender, claim, bounty), with its
attachments, invitations (邀标), public questions and the search terms (Task.search_terms)."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import DDL, event, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import deferred, query_expression
from sqlalchemy.types import Text, TypeDecorator

from ..accounts.models import SKILL_KEY_LENGTH, sync_skill_rows
from ..core.db import utcnow
from ..extensions import db

MODES = ("tender", "claim", "bounty")
STATUSES = ("draft", "open", "awarded", "in_progress", "selecting", "review", "completed",
            "cancelled", "expired", "refunded")
VISIBILITIES = ("public", "invite")
IP_TERMS = ("solver_keeps", "license", "transfer")
PRIZE_STRUCTURES = ("single", "ranked", "piece")
ELIGIBILITIES = ("anyone", "verified", "invited")

# Statuses in which a task is still looking for solvers (shown first in lists and searches).
OPEN_STATUSES = ("open",)
# Statuses after which nothing more happens to the task.
FINAL_STATUSES = ("completed", "cancelled", "expired", "refunded")


# Sort keys of tasks without a deadline or amount (see Task.sort_deadline / sort_amount).
FAR_FUTURE = dt.datetime(9999, 12, 31)
OPEN_ONLY = "status = 'open'"
LISTED_ONLY = "status <> 'draft'"
# The column each list sort walks (newest, deadline, amount), then id.
SORT_KEYS = {"newest": "listed_at", "deadline": "sort_deadline", "amount": "sort_amount"}


def _sort_indexes(name: str, condition: str) -> list:
    """ix_tasks_<name>_<sort> and ix_tasks_<name>_place_<sort> (within one prefecture) for each
    sort, over the rows `condition` admits."""
    where = dict(sqlite_where=text(condition), postgresql_where=text(condition))
    return ([db.Index(f"ix_tasks_{name}_{sort}", key, "id", **where) for sort, key in SORT_KEYS.items()]
            + [db.Index(f"ix_tasks_{name}_place_{sort}", "listed_prefecture", key, "id", **where)
               for sort, key in SORT_KEYS.items()])


class TermVector(TypeDecorator):
    """A task's search terms (see terms.py): a `tsvector` of the terms as lexemes on PostgreSQL
    (GIN-indexed), space-separated text on SQLite (indexed by the FTS5 table `task_fts`).
    Bound as a set/list of terms; read back as the stored text."""
    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        terms = value.split() if isinstance(value, str) else sorted(value)
        return terms_literal(terms, dialect.name)


def terms_literal(terms, dialect_name: str) -> str:
    """The stored form of a list of terms for one database."""
    if dialect_name == "postgresql":
        return " ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)
    return " ".join(terms)


def _in(column: str, values) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


def _null_or(column: str, condition: str) -> str:
    return f"{column} IS NULL OR {condition}"


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        db.CheckConstraint(_in("mode", MODES), name="mode_known"),
        db.CheckConstraint(_in("status", STATUSES), name="status_known"),
        db.CheckConstraint(_in("visibility", VISIBILITIES), name="visibility_known"),
        db.CheckConstraint(_in("ip_terms", IP_TERMS), name="ip_terms_known"),
        db.CheckConstraint(_null_or("prize_structure", _in("prize_structure", PRIZE_STRUCTURES)),
                           name="prize_structure_known"),
        db.CheckConstraint(_null_or("eligibility", _in("eligibility", ELIGIBILITIES)),
                           name="eligibility_known"),
        db.CheckConstraint(_null_or("budget_min", "budget_min > 0"), name="budget_min_positive"),
        db.CheckConstraint(_null_or("budget_max", "budget_max > 0"), name="budget_max_positive"),
        db.CheckConstraint("budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max",
                           name="budget_range_ordered"),
        db.CheckConstraint(_null_or("price", "price > 0"), name="price_positive"),
        db.CheckConstraint(_null_or("unit_price", "unit_price > 0"), name="unit_price_positive"),
        db.CheckConstraint(_null_or("max_pieces", "max_pieces > 0"), name="max_pieces_positive"),
        db.CheckConstraint(_null_or("selection_days", "selection_days > 0"), name="selection_days_positive"),
        db.CheckConstraint("escrow_amount >= 0", name="escrow_amount_not_negative"),
        db.CheckConstraint("window_start IS NULL OR window_end IS NULL OR window_end > window_start",
                           name="window_ordered"),
        db.Index("ix_tasks_status_mode", "status", "mode"),
        db.Index("ix_tasks_status_listed_amount", "status", "listed_amount"),
        db.Index("ix_tasks_status_listed_deadline", "status", "listed_deadline"),
        # One partial index per list sort of open tasks (newest, deadline, amount), and the same
        # sorts within one prefecture (the city filter of lists and searches): a list page walks
        # the first rows of one of them instead of sorting every open task.
        *_sort_indexes("open", OPEN_ONLY),
        # Lists of every status (status=all): the same over all but drafts (the condition every
        # visibility rule starts with; hidden and invite-only tasks are tested per row).
        *_sort_indexes("listed", LISTED_ONLY),
        # Lists of one other status (completed, expired, ...): the status, then the sort.
        *(db.Index(f"ix_tasks_status_{sort}", "status", key, "id") for sort, key in SORT_KEYS.items()),
        # The term index on PostgreSQL (SQLite has the FTS5 table task_fts instead).
        db.Index("ix_tasks_search_terms", "search_terms", postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id = db.Column(db.Integer, primary_key=True)
    mode = db.Column(db.String(10), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="draft")
    title = db.Column(db.String(200), nullable=False)
    description = db.Column(db.Text, nullable=False, default="")  # Markdown source
    category = db.Column(db.String(40), nullable=False, index=True)  # slug from core.catalogue
    skills = db.Column(db.JSON, nullable=False, default=list)  # list of tag strings
    city = db.Column(db.String(16), nullable=True, index=True)  # code from core.catalogue
    visibility = db.Column(db.String(10), nullable=False, default="public")
    ip_terms = db.Column(db.String(16), nullable=False, default="solver_keeps")
    # The organisation the task is posted on behalf of (its managers may act on it).
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=True, index=True)
    poster_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    currency = db.Column(db.String(3), nullable=False, default="CNY")
    escrow_funded = db.Column(db.Boolean, nullable=False, default=False)
    escrow_amount = db.Column(db.BigInteger, nullable=False, default=0)
    # Posted and paid in one step (a household job): the task opens by itself once the escrow is
    # funded, e.g. when an operator confirms the bank transfer.
    publish_when_funded = db.Column(db.Boolean, nullable=False, default=False,
                                    server_default=db.false())
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    published_at = db.Column(db.DateTime, nullable=True)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    cancelled_at = db.Column(db.DateTime, nullable=True)
    # Set by an operator; a hidden task is shown only to its poster and operators.
    hidden_at = db.Column(db.DateTime, nullable=True)
    hidden_reason = db.Column(db.Text, nullable=True)

    # tender
    budget_min = db.Column(db.BigInteger, nullable=True)
    budget_max = db.Column(db.BigInteger, nullable=True)
    bid_deadline = db.Column(db.DateTime, nullable=True)

    # claim
    price = db.Column(db.BigInteger, nullable=True)
    address = db.Column(db.String(300), nullable=True)  # shown to the poster and the claimant only
    district = db.Column(db.String(16), nullable=True)  # code from core.catalogue
    window_start = db.Column(db.DateTime, nullable=True)
    window_end = db.Column(db.DateTime, nullable=True)
    claimant_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True, index=True)

    # bounty
    prize_structure = db.Column(db.String(10), nullable=True)
    prizes = db.Column(db.JSON, nullable=True)  # list of amounts (single: one; ranked: 1st..nth)
    unit_price = db.Column(db.BigInteger, nullable=True)
    max_pieces = db.Column(db.Integer, nullable=True)
    submission_deadline = db.Column(db.DateTime, nullable=True)
    selection_days = db.Column(db.Integer, nullable=True)
    eligibility = db.Column(db.String(10), nullable=True)
    criteria = db.Column(db.Text, nullable=True)  # how entries are judged (shown to solvers)

    # Derived on every write (see _derive_listing): the amount and deadline lists sort and
    # filter on, whatever the mode.
    listed_amount = db.Column(db.BigInteger, nullable=True)
    listed_deadline = db.Column(db.DateTime, nullable=True)
    # The list sort keys, never NULL so that one partial index serves each sort: newest
    # (published, else created), deadline (FAR_FUTURE when none), amount (0 when none).
    listed_at = db.Column(db.DateTime, nullable=True)
    sort_deadline = db.Column(db.DateTime, nullable=True)
    sort_amount = db.Column(db.BigInteger, nullable=True)
    # The prefecture of the district (else the city): "wuhan" for "wuhan-hongshan".
    listed_prefecture = db.Column(db.String(16), nullable=True)
    # CJK unigrams and bigrams and Latin words of title, description and skills (terms.py),
    # written by tasks.posting.reindex. Only the search's SQL reads them, so they are not loaded
    # with a task (on a list page they were the largest column); reading the attribute loads them.
    search_terms = deferred(db.Column(TermVector, nullable=True))
    # What a list shows beside each task, read in the list's own query when it asks
    # (listing.page_options); None when the task was loaded without them.
    page_poster_verified = query_expression()
    page_org_verified = query_expression()
    page_org_name = query_expression()
    page_poster_name = query_expression()
    # Whether the task has attachments, questions (loading.task_page_options): the task page skips
    # reading them when it has none (most tasks). None when not read.
    has_attachments = query_expression()
    has_questions = query_expression()

    poster = db.relationship("User", foreign_keys=[poster_id], lazy="raise")
    claimant = db.relationship("User", foreign_keys=[claimant_id], lazy="raise")
    attachments = db.relationship("TaskAttachment", back_populates="task", lazy="raise",
                                  order_by="TaskAttachment.id", cascade="all, delete-orphan")
    invites = db.relationship("TaskInvite", back_populates="task", lazy="raise",
                              order_by="TaskInvite.id", cascade="all, delete-orphan")
    questions = db.relationship("TaskQuestion", back_populates="task", lazy="raise",
                                order_by="TaskQuestion.id", cascade="all, delete-orphan")

    @property
    def reward_total(self) -> int | None:
        """What the task pays in total when fully used: the claim price, the bounty's prizes
        (sum of prizes, or unit price × max pieces); for a tender the top of the budget."""
        if self.mode == "claim":
            return self.price
        if self.mode == "bounty":
            if self.prize_structure == "piece":
                if self.unit_price and self.max_pieces:
                    return self.unit_price * self.max_pieces
                return None
            prizes = [int(p) for p in (self.prizes or []) if isinstance(p, int) and not isinstance(p, bool)]
            return sum(prizes) if prizes else None
        return self.budget_max

    @property
    def deadline(self):
        if self.mode == "tender":
            return self.bid_deadline
        if self.mode == "claim":
            return self.window_start
        return self.submission_deadline

    @property
    def needs_escrow(self) -> bool:
        """Claims and bounties open only once their whole reward is in escrow."""
        return self.mode in ("claim", "bounty")

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.mode} {self.status}>"


@event.listens_for(Task, "before_insert")
@event.listens_for(Task, "before_update")
def _derive_listing(mapper, connection, task: Task) -> None:
    task.listed_amount = task.reward_total
    task.listed_deadline = task.deadline
    task.listed_at = task.published_at or task.created_at or utcnow()
    task.sort_deadline = task.listed_deadline or FAR_FUTURE
    task.sort_amount = task.listed_amount or 0
    place = task.district or task.city
    task.listed_prefecture = place.split("-", 1)[0] if place else None


class TaskAttachment(db.Model):
    """A file attached to a task by its poster (stored by core.files.store_upload)."""
    __tablename__ = "task_attachments"

    id = db.Column(db.Integer, primary_key=True)
    # Opaque id for download URLs, so attachments of invite-only tasks cannot be enumerated.
    public_id = db.Column(db.String(32), nullable=False, unique=True,
                          default=lambda: secrets.token_urlsafe(16))
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    path = db.Column(db.String(255), nullable=False)  # relative to UPLOAD_DIR
    name = db.Column(db.String(200), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    mime = db.Column(db.String(80), nullable=False)
    uploaded_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    task = db.relationship("Task", back_populates="attachments", lazy="raise")


class TaskInvite(db.Model):
    """A poster's invitation of one solver (邀标); invite-only tasks are visible to invitees."""
    __tablename__ = "task_invites"
    __table_args__ = (db.UniqueConstraint("task_id", "solver_id"),)

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    solver_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    invited_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    task = db.relationship("Task", back_populates="invites", lazy="raise")
    solver = db.relationship("User", foreign_keys=[solver_id], lazy="raise")


class TaskQuestion(db.Model):
    """A public question on a task and the poster's answer."""
    __tablename__ = "task_questions"

    id = db.Column(db.Integer, primary_key=True)
    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True)
    asker_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    text = db.Column(db.Text, nullable=False)
    answer = db.Column(db.Text, nullable=True)
    answered_at = db.Column(db.DateTime, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    task = db.relationship("Task", back_populates="questions", lazy="raise")
    asker = db.relationship("User", lazy="raise")


class TaskSkill(db.Model):
    """One skill of a task in matching form (accounts.models.skill_keys), kept in step with
    `Task.skills`: the tasks recommended to a solver are found through the index on skill."""
    __tablename__ = "task_skills"
    __table_args__ = (db.Index("ix_task_skills_skill_task", "skill", "task_id"),)

    task_id = db.Column(db.Integer, db.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    skill = db.Column(db.String(SKILL_KEY_LENGTH), primary_key=True)


@event.listens_for(Task, "after_insert")
def _task_skills_inserted(mapper, connection, task: Task) -> None:
    sync_skill_rows(connection, TaskSkill.__table__, "task_id", task, replace=False)


@event.listens_for(Task, "after_update")
def _task_skills_updated(mapper, connection, task: Task) -> None:
    sync_skill_rows(connection, TaskSkill.__table__, "task_id", task, replace=True)


class SearchTermCount(db.Model):
    """How many tasks have each search term, kept by `flask tasks search-stats` (run daily, and
    by the scale generator): the search plans by it (walk a sort index for common terms, the term
    index for rare ones). The row with the empty term holds the number of tasks."""
    __tablename__ = "search_term_counts"

    term = db.Column(db.String(64), primary_key=True)
    tasks = db.Column(db.Integer, nullable=False)


# SQLite: an external-content FTS5 table over tasks.search_terms, kept in step by triggers.
# The unicode61 tokenizer splits on spaces only here, since the stored terms are already words.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS task_fts USING fts5(search_terms, content='tasks', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS tasks_fts_insert AFTER INSERT ON tasks BEGIN "
    "INSERT INTO task_fts(rowid, search_terms) VALUES (new.id, coalesce(new.search_terms, '')); END",
    "CREATE TRIGGER IF NOT EXISTS tasks_fts_delete AFTER DELETE ON tasks BEGIN "
    "INSERT INTO task_fts(task_fts, rowid, search_terms) VALUES ('delete', old.id, coalesce(old.search_terms, '')); END",
    "CREATE TRIGGER IF NOT EXISTS tasks_fts_update AFTER UPDATE OF search_terms ON tasks BEGIN "
    "INSERT INTO task_fts(task_fts, rowid, search_terms) VALUES ('delete', old.id, coalesce(old.search_terms, '')); "
    "INSERT INTO task_fts(rowid, search_terms) VALUES (new.id, coalesce(new.search_terms, '')); END",
)
SQLITE_FTS_DROP = (
    "DROP TRIGGER IF EXISTS tasks_fts_update",
    "DROP TRIGGER IF EXISTS tasks_fts_delete",
    "DROP TRIGGER IF EXISTS tasks_fts_insert",
    "DROP TABLE IF EXISTS task_fts",
)

for _statement in SQLITE_FTS:
    event.listen(Task.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_FTS_DROP:
    event.listen(Task.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
