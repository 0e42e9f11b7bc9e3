"""Operators manage the negative list in the console: add/replace/remove rules with a reason
(audited), and see what each rule blocked — including posts refused on the page."""
from __future__ import annotations

from marketplace.core.audit import AuditEntry
from marketplace.extensions import db
from marketplace.moderation.models import NegativeListHit, NegativeRule
from marketplace.tasks.models import Task
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_tasks import make_task


def test_an_operator_adds_a_rule_that_blocks_posts_and_sees_what_it_blocked(client):
    operator, poster = make_operator(), make_user()
    ops = api_headers(operator)
    r = client.post("/api/v1/operator/negative-list", headers=ops,
                    json={"name": "pyramid_selling", "label": "传销", "words": ["传销", "拉人头"],
                          "reason": "Supervisor notice 2026-11"})
    assert r.status_code == 201, r.json
    assert r.json["source"] == "custom" and r.json["words"] == ["传销", "拉人头"] and r.json["blocked"] == 0

    task = make_task(poster=poster, status="draft", title="招募拉人头团队")
    r = client.post(f"/api/v1/tasks/{task.id}/publish", headers=api_headers(poster))
    assert r.status_code == 422 and "title" in r.json["errors"] and "传销" in r.json["errors"]["title"][0]
    assert db.session.get(Task, task.id).status == "draft"
    hits = client.get("/api/v1/operator/negative-list/pyramid_selling/hits", headers=ops).json["items"]
    assert [(h["word"], h["field"], h["user_id"]) for h in hits] == [("拉人头", "title", poster.id)]

    login(client, operator)
    page = client.get("/operator/negative-list")
    assert page.status_code == 200 and 'data-rule="pyramid_selling"' in page.text
    assert client.get("/operator/negative-list/pyramid_selling").text.count("拉人头") >= 2

    r = client.post("/api/v1/operator/negative-list/pyramid_selling/remove", headers=ops, json={"reason": ""})
    assert r.status_code == 422 and "reason" in r.json["errors"]
    r = client.post("/api/v1/operator/negative-list/pyramid_selling/remove", headers=ops,
                    json={"reason": "Notice withdrawn"})
    assert r.status_code == 200 and r.json["active"] is False
    r = client.post(f"/api/v1/tasks/{task.id}/publish", headers=api_headers(poster))
    assert r.status_code == 200, r.json
    actions = [(e.action, e.details["reason"]) for e in db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action.startswith("negative_list.")).order_by(AuditEntry.id))]
    assert actions == [("negative_list.set", "Supervisor notice 2026-11"), ("negative_list.remove", "Notice withdrawn")]


def test_switching_off_a_configured_rule_and_page_refusals_are_counted(client):
    operator, poster = make_operator(), make_user()
    task = make_task(poster=poster, status="draft", title="博彩推广")
    login(client, poster)
    client.post(f"/tasks/{task.id}/publish")
    assert db.session.scalar(db.select(db.func.count(NegativeListHit.id)).where(NegativeListHit.rule == "gambling")) == 1
    login(client, operator)
    r = client.post("/operator/negative-list/gambling/remove", data={"reason": "Lottery pilot approved"})
    assert r.status_code == 303
    assert db.session.scalars(db.select(NegativeRule)).one().status == "removed"
    login(client, poster)
    r = client.post(f"/tasks/{task.id}/publish")
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "open"


def test_bad_input_names_fields_and_only_operators_manage(client):
    operator = make_operator()
    r = client.post("/api/v1/operator/negative-list", headers=api_headers(operator),
                    json={"name": "Bad Name!", "words": [], "reason": ""})
    assert r.status_code == 422 and set(r.json["errors"]) == {"name", "words", "reason"}
    assert db.session.scalar(db.select(db.func.count(NegativeRule.id))) == 0
    member = make_user()
    assert client.get("/api/v1/operator/negative-list", headers=api_headers(member)).status_code == 403
    login(client, member)
    assert client.get("/operator/negative-list").status_code == 403
    assert client.post("/operator/negative-list", data={"name": "x1", "words": "a", "reason": "r"}).status_code == 403
    login(client, operator)
    r = client.post("/operator/negative-list", data={"name": "x", "words": "", "reason": ""})
    assert r.status_code == 422
