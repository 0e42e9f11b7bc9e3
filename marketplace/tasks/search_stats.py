"""The term counts search plans by (`SearchTermCount`): how many tasks have each term.

`refresh()` recounts from the term index itself (PostgreSQL: `ts_stat` over the tsvectors;
SQLite: the FTS5 vocabulary) and replaces the table in one transaction. Counts may lag the tasks
by a day without harm: they only choose between two plans that give the same rows. Run by
`flask tasks search-stats` (cron, daily) and by `flask demo scale` after loading.
"""
from __future__ import annotations

from sqlalchemy import text

from ..extensions import db
from .models import SearchTermCount, Task


def refresh() -> int:
    """Recount every term; returns the number of distinct terms. Does not commit."""
    dialect = db.session.get_bind().dialect.name
    db.session.execute(db.delete(SearchTermCount))
    if dialect == "postgresql":
        db.session.execute(text(
            "INSERT INTO search_term_counts (term, tasks) "
            "SELECT word, ndoc FROM ts_stat('SELECT search_terms FROM tasks WHERE search_terms IS NOT NULL') "
            "WHERE length(word) <= 64"))
    else:
        db.session.execute(text(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.task_fts_vocab USING fts5vocab(main, task_fts, 'row')"))
        db.session.execute(text(
            "INSERT INTO search_term_counts (term, tasks) "
            "SELECT term, doc FROM temp.task_fts_vocab WHERE length(term) <= 64"))
    total = db.session.scalar(db.select(db.func.count(Task.id)))
    db.session.add(SearchTermCount(term="", tasks=total))
    db.session.flush()
    return db.session.scalar(db.select(db.func.count()).select_from(SearchTermCount)) - 1
