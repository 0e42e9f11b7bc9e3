"""Posting rules in the service: every field error named, nothing written, publish and cancel."""
import datetime as dt

import pytest

from marketplace.core.db import utcnow
from marketplace.core.errors import Forbidden, ValidationFailed, WrongState
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.tasks.models import Task
from marketplace.tasks.service import cancel_task, create_task, invite_solver, publish_task, update_task
from tests.factories import make_user
from tests.factories_orgs import make_org
from tests.factories_tasks import approve_identity, make_task


def _soon(days=3, hours=0):
    return utcnow() + dt.timedelta(days=days, hours=hours)


def _tender(**over):
    values = {"title": "光纤传感器研发", "category": "rd_challenge", "budget_min": 100_000, "budget_max": 200_000,
              "bid_deadline": _soon()}
    values.update(over)
    return values


def _claim(**over):
    values = {"title": "跑腿取件", "category": "delivery", "city": "wuhan", "district": "wuhan-hongshan",
              "price": 3_000, "address": "珞喻路1037号", "window_start": _soon(1), "window_end": _soon(1, 2)}
    values.update(over)
    return values


def _bounty(**over):
    values = {"title": "科普动画", "category": "animation", "prize_structure": "single", "prizes": [100_000],
              "submission_deadline": _soon(10)}
    values.update(over)
    return values


def _rows():
    return db.session.scalar(db.select(db.func.count(Task.id))), db.session.scalar(db.select(db.func.count(Task.id)).where(Task.search_terms.is_not(None)))


CASES = [
    ("tender", _tender, {"title": ""}, "title"),
    ("tender", _tender, {"title": "x" * 201}, "title"),
    ("tender", _tender, {"description": "x" * 20_001}, "description"),
    ("tender", _tender, {"category": "gambling"}, "category"),
    ("tender", _tender, {"city": "atlantis"}, "city"),
    ("tender", _tender, {"visibility": "secret"}, "visibility"),
    ("tender", _tender, {"ip_terms": "mine"}, "ip_terms"),
    ("tender", _tender, {"currency": "BTC"}, "currency"),
    ("tender", _tender, {"skills": [f"s{i}" for i in range(20)]}, "skills"),
    ("tender", _tender, {"budget_min": 300_000}, "budget_min"),
    ("tender", _tender, {"budget_min": 0}, "budget_min"),
    ("tender", _tender, {"budget_max": -5}, "budget_max"),
    ("tender", _tender, {"budget_max": None}, "budget_max"),
    ("tender", _tender, {"budget_max": 10**13}, "budget_max"),
    ("tender", _tender, {"bid_deadline": utcnow() - dt.timedelta(minutes=1)}, "bid_deadline"),
    ("tender", _tender, {"bid_deadline": None}, "bid_deadline"),
    ("claim", _claim, {"price": 0}, "price"),
    ("claim", _claim, {"city": None}, "city"),
    ("claim", _claim, {"address": " "}, "address"),
    ("claim", _claim, {"district": "yichang"}, "district"),
    ("claim", _claim, {"window_end": _soon(1, -1)}, "window_end"),
    ("claim", _claim, {"window_start": utcnow() - dt.timedelta(hours=1)}, "window_start"),
    ("bounty", _bounty, {"prize_structure": "lottery"}, "prize_structure"),
    ("bounty", _bounty, {"prizes": [100, 200]}, "prizes"),
    ("bounty", _bounty, {"prizes": [0]}, "prizes"),
    ("bounty", _bounty, {"prize_structure": "ranked", "prizes": [100, 500]}, "prizes"),
    ("bounty", _bounty, {"prize_structure": "piece", "prizes": None, "unit_price": None, "max_pieces": 3}, "unit_price"),
    ("bounty", _bounty, {"prize_structure": "piece", "prizes": None, "unit_price": 100, "max_pieces": 0}, "max_pieces"),
    ("bounty", _bounty, {"submission_deadline": utcnow()}, "submission_deadline"),
    ("bounty", _bounty, {"selection_days": 0}, "selection_days"),
    ("bounty", _bounty, {"eligibility": "friends"}, "eligibility"),
]


@pytest.mark.parametrize("mode,base,change,field", CASES, ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_each_bad_field_is_named_and_nothing_is_written(mode, base, change, field):
    poster = make_user()
    with pytest.raises(ValidationFailed) as info:
        create_task(poster, mode, **base(**change))
    assert field in info.value.errors
    db.session.rollback()
    assert _rows() == (0, 0)


def test_several_errors_are_reported_together():
    with pytest.raises(ValidationFailed) as info:
        create_task(make_user(), "claim", **_claim(title="", price=-1, address="", window_end=_soon(0, 1)))
    assert {"title", "price", "address", "window_end"} <= set(info.value.errors)


def test_fields_of_other_modes_are_cleared():
    task = create_task(make_user(), "tender", **_tender(price=5_000, address="x"))
    assert task.price is None and task.address is None and task.listed_amount == 200_000


def test_skills_are_trimmed_and_deduplicated():
    task = create_task(make_user(), "tender", **_tender(skills=" Python ,python，光学 ,, "))
    assert task.skills == ["Python", "光学"]


def test_tender_publishes_and_invitees_are_notified():
    poster, solver = make_user(), make_user()
    task = create_task(poster, "tender", **_tender(visibility="invite"))
    invite_solver(poster, task, solver)
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(Notification.user_id == solver.id)) == 0
    publish_task(poster, task)
    db.session.commit()
    assert db.session.get(Task, task.id).status == "open" and task.published_at is not None
    assert db.session.scalars(db.select(Notification.kind).where(Notification.user_id == solver.id)).all() == \
        ["task.invited"]


def test_publishing_a_draft_whose_deadline_passed_names_the_field():
    poster = make_user()
    task = make_task(poster=poster, status="draft", bid_deadline=utcnow() - dt.timedelta(hours=1))
    with pytest.raises(ValidationFailed) as info:
        publish_task(poster, task)
    assert "bid_deadline" in info.value.errors


def test_unfunded_claim_and_bounty_are_409():
    poster = make_user()
    for mode in ("claim", "bounty"):
        task = make_task(poster=poster, mode=mode, status="draft")
        with pytest.raises(WrongState):
            publish_task(poster, task)


def test_unverified_limit_counts_the_whole_bounty(app):
    poster = make_user()
    limit = app.config["UNVERIFIED_PUBLISH_LIMIT"]
    task = make_task(poster=poster, mode="bounty", status="draft", prize_structure="ranked",
                     prizes=[limit, 1], escrow_funded=True, escrow_amount=limit + 1)
    with pytest.raises(Forbidden) as info:
        publish_task(poster, task)
    assert "prizes" in info.value.errors
    approve_identity(poster)
    assert publish_task(poster, task).status == "open"


def test_only_drafts_publish_and_only_drafts_or_open_cancel():
    poster = make_user()
    task = make_task(poster=poster, status="awarded")
    with pytest.raises(WrongState):
        publish_task(poster, task)
    with pytest.raises(WrongState):
        cancel_task(poster, task)


def test_open_task_edits_only_text_and_rechecks_the_negative_list():
    poster = make_user()
    task = make_task(poster=poster)
    with pytest.raises(ValidationFailed) as info:
        update_task(poster, task, budget_max=900_000)
    assert "budget_max" in info.value.errors
    with pytest.raises(ValidationFailed) as info:
        update_task(poster, task, description="顺便招募刷单人员")
    assert "description" in info.value.errors and "刷单" in info.value.errors["description"][0]
    db.session.rollback()
    update_task(poster, task, title="光纤传感器研发（二期）")
    db.session.commit()
    assert db.session.get(Task, task.id).title == "光纤传感器研发（二期）"


def test_org_member_cannot_post_for_the_org_but_a_manager_can():
    owner, member, manager = make_user(), make_user(), make_user()
    org = make_org(owner, members={member: "member", manager: "manager"})
    with pytest.raises(Forbidden) as info:
        create_task(member, "tender", **_tender(org_id=org.id))
    assert "org_id" in info.value.errors
    task = create_task(manager, "tender", **_tender(org_id=org.id))
    publish_task(owner, task)  # the owner acts for the organisation too
    assert task.status == "open"
    with pytest.raises(ValidationFailed):
        create_task(manager, "tender", **_tender(org_id=org.id + 999))


def test_others_cannot_act_on_a_task():
    task = make_task(poster=make_user(), status="draft")
    stranger = make_user()
    for action in (lambda: publish_task(stranger, task), lambda: cancel_task(stranger, task),
                   lambda: update_task(stranger, task, title="mine")):
        with pytest.raises(Forbidden):
            action()


def test_cancelling_an_open_task_tells_the_invitees():
    poster, solver = make_user(), make_user()
    task = make_task(poster=poster)
    invite_solver(poster, task, solver)
    cancel_task(poster, task)
    db.session.commit()
    kinds = db.session.scalars(db.select(Notification.kind).where(Notification.user_id == solver.id)
                               .order_by(Notification.id)).all()
    assert kinds == ["task.invited", "task.cancelled"]
    assert db.session.get(Task, task.id).status == "cancelled"
