import datetime as dt

import pytest

from marketplace.core.db import utcnow
from marketplace.core.errors import ValidationFailed, WrongState
from marketplace.extensions import db
from marketplace.tasks.models import Task
from marketplace.tasks.service import create_task, publish_task
from tests.factories import make_user
from tests.factories_tasks import make_task


def test_create_and_publish_tender():
    poster = make_user()
    task = create_task(poster, "tender", title="光纤传感器研发", category="rd_challenge",
                       budget_min=100_000, budget_max=200_000,
                       bid_deadline=utcnow() + dt.timedelta(days=3))
    assert task.status == "draft"
    publish_task(poster, task)
    db.session.commit()
    assert db.session.get(Task, task.id).status == "open"


def test_factory_builds_open_tasks():
    task = make_task(mode="claim")
    assert task.status == "open" and task.escrow_funded and task.escrow_amount == 5_000


def test_unfunded_claim_cannot_publish():
    poster = make_user()
    task = make_task(poster=poster, mode="claim", status="draft", escrow_funded=False)
    with pytest.raises(WrongState):
        publish_task(poster, task)


def test_budget_min_above_max_is_refused():
    with pytest.raises(ValidationFailed) as info:
        create_task(make_user(), "tender", title="x", category="software", budget_min=5, budget_max=4,
                    bid_deadline=utcnow() + dt.timedelta(days=1))
    assert "budget_min" in info.value.errors
