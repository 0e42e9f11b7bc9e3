"""`flask demo scale`: every mode, city and category, realistic Chinese text, bids, contracts and
a ledger history that `flask ledger verify` finds clean, on SQLite and PostgreSQL."""
from __future__ import annotations

from marketplace.bids.models import Bid
from marketplace.contracts.models import Contract, Milestone
from marketplace.core.catalogue import CATEGORIES, CITIES
from marketplace.extensions import db
from marketplace.ledger.models import Hold, LedgerEntry, LedgerTransaction
from marketplace.ledger.verify import verify
from marketplace.tasks.models import MODES, SearchTermCount, Task
from marketplace.tasks.search import TaskFilters, search_tasks


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_scale_generates_a_whole_marketplace_with_a_clean_ledger(app):
    output = _run(app, "demo", "scale", "--tasks", "400", "--batch", "150")
    assert "400 tasks" in output
    db.session.remove()
    tasks = db.session.scalars(db.select(Task)).all()
    assert len(tasks) == 400
    assert {t.mode for t in tasks} == set(MODES)
    assert {t.category for t in tasks} == set(CATEGORIES)
    assert {t.city for t in tasks} == set(CITIES)
    assert all(120 <= len(t.description) <= 200 for t in tasks)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t.title) for t in tasks)
    assert {t.status for t in tasks} >= {"open", "completed", "in_progress"}
    assert db.session.scalar(db.select(db.func.count(Bid.id))) > 100
    assert db.session.scalar(db.select(db.func.count(Contract.id))) > 20
    assert db.session.scalar(db.select(db.func.count(Milestone.id))) > 10
    assert db.session.scalar(db.select(db.func.count(LedgerTransaction.id))) > 200
    assert db.session.scalar(db.select(db.func.count(Hold.id)).where(Hold.status == "released")) > 10
    assert db.session.scalar(db.select(db.func.sum(LedgerEntry.amount))) == 0
    report = verify()
    assert report.ok, report.format()
    # Every funded open claim holds exactly its price in escrow.
    claim = db.session.scalars(db.select(Task).where(Task.mode == "claim", Task.status == "open").limit(1)).first()
    hold = db.session.scalars(db.select(Hold).where(Hold.ref == f"task:{claim.id}")).one()
    assert hold.amount == claim.price == claim.escrow_amount and hold.status == "open"
    # The terms are indexed and counted: search finds generated tasks.
    assert db.session.get(SearchTermCount, "").tasks == 400
    rows, _cursor = search_tasks(None, TaskFilters(q="研发"), limit=5)
    assert len(rows) == 5 and all("研发" in (r.title + r.description) for r in rows)


def test_scale_adds_to_existing_data_and_stays_clean(app):
    _run(app, "demo", "scale", "--tasks", "60", "--seed", "2")
    _run(app, "demo", "scale", "--tasks", "60", "--seed", "3")
    db.session.remove()
    assert db.session.scalar(db.select(db.func.count(Task.id))) == 120
    assert verify().ok
    # New rows continue the id sequences: an ordinary insert after the load works.
    from tests.factories_tasks import make_task
    task = make_task(title="之后发布的任务")
    assert task.id > 120
