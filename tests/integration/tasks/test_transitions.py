"""The task state machine: the table of allowed steps per mode, and the conditional update that lets
exactly one of two racing requests take a step."""
import pytest

from marketplace.core.db import conditional_update
from marketplace.core.errors import Conflict, WrongState
from marketplace.extensions import db
from marketplace.tasks.models import STATUSES, Task
from marketplace.tasks.transitions import TRANSITIONS, allowed, can_move, move
from tests.factories_tasks import make_task


def test_the_table_names_only_known_statuses_and_every_mode():
    assert set(TRANSITIONS) == {"tender", "claim", "bounty"}
    for steps in TRANSITIONS.values():
        for source, targets in steps.items():
            assert source in STATUSES and set(targets) <= set(STATUSES)
    assert allowed("tender", "open", "awarded") and not allowed("claim", "open", "awarded")
    assert allowed("claim", "in_progress", "open")  # abandoning a claim reopens it
    assert not allowed("bounty", "completed", "open")


def test_move_writes_the_status_and_values(app):
    task = make_task(status="open")
    assert can_move(task, "awarded")
    move(task, to="awarded", expected="open")
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "awarded"


def test_a_step_the_table_refuses_is_a_programming_error_and_writes_nothing(app):
    task = make_task(mode="claim", status="open")
    with pytest.raises(ValueError):
        move(task, to="awarded", expected="open")
    assert db.session.get(Task, task.id).status == "open"


def test_the_loser_of_a_race_gets_a_409_with_the_callers_message(app):
    task = make_task(status="open")
    stale = make_task(status="open")
    # Another request moved it first: the row no longer says "open".
    db.session.execute(db.update(Task).where(Task.id == stale.id).values(status="awarded"))
    with pytest.raises(WrongState) as refused:
        move(stale, to="awarded", expected="open", message="already awarded")
    assert str(refused.value.message) == "already awarded"
    with pytest.raises(Conflict):
        move(task, to="cancelled", expected="open", where=(Task.claimant_id.is_not(None),), error=Conflict)
    assert db.session.get(Task, task.id).status == "open"


def test_conditional_update_without_a_status_uses_the_extra_conditions(app):
    task = make_task(status="open")
    conditional_update(Task, task, where=(Task.hidden_at.is_(None),), hidden_reason="spam")
    assert task.hidden_reason == "spam"
    with pytest.raises(WrongState):
        conditional_update(Task, task, where=(Task.hidden_at.is_not(None),), hidden_reason="again")
