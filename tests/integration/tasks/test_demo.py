"""`flask demo load` creates the demo tasks once."""
from marketplace.extensions import db
from marketplace.tasks.models import Task


def test_demo_tasks_are_loaded_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    tasks = {t.title: t for t in db.session.scalars(db.select(Task))}
    fibre = next(t for title, t in tasks.items() if title.startswith("光纤传感器研发"))
    assert fibre.status == "open" and fibre.mode == "tender"
    assert any(t.status == "draft" for t in tasks.values())
    assert any(t.visibility == "invite" and t.status == "open" for t in tasks.values())
    claims = [t for t in tasks.values() if t.mode == "claim"]
    # Later demo steps (contracts) may claim one of them.
    assert len(claims) == 2 and all(t.escrow_amount == t.price and t.status in ("open", "in_progress") for t in claims)
    assert {t.district for t in claims} == {"wuhan-hongshan", "wuhan-wuchang"}
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(db.select(db.func.count(Task.id))) == len(tasks)
