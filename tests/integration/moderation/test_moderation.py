"""Negative list on publish, reports, operators hiding tasks."""
import pytest

from marketplace.core.audit import AuditEntry
from marketplace.core.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.moderation.models import Report
from marketplace.notifications.models import Notification
from marketplace.tasks.models import Task
from marketplace.tasks.service import publish_task
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_tasks import make_task


def test_publish_refuses_a_banned_title_naming_the_rule():
    poster = make_user()
    task = make_task(poster=poster, status="draft", title="淘宝刷单兼职")
    with pytest.raises(ValidationFailed) as info:
        publish_task(poster, task)
    assert "title" in info.value.errors
    assert "fake_reviews" in str(info.value.message)
    assert "刷单" in info.value.errors["title"][0]


def test_publish_refuses_a_banned_description_on_the_description_field(client):
    poster = make_user()
    task = make_task(poster=poster, status="draft", title="论文辅导", description="提供**代写论文**服务")
    r = client.post(f"/api/v1/tasks/{task.id}/publish", headers=api_headers(poster))
    assert r.status_code == 422
    body = r.get_json()
    assert list(body["errors"]) == ["description"] and "ghost_writing" in body["title"]
    assert db.session.get(Task, task.id).status == "draft"


def test_closed_categories_from_configuration(app):
    poster = make_user()
    task = make_task(poster=poster, status="draft", category="encyclopedia_qa")
    app.config["NEGATIVE_LIST_CATEGORIES"] = "encyclopedia_qa"
    try:
        with pytest.raises(ValidationFailed) as info:
            publish_task(poster, task)
        assert "category" in info.value.errors
    finally:
        app.config["NEGATIVE_LIST_CATEGORIES"] = ""


def test_editing_an_open_task_into_banned_content_is_refused_on_the_page(client):
    poster = make_user()
    task = make_task(poster=poster, title="跑腿")
    login(client, poster)
    r = client.post(f"/tasks/{task.id}/edit", data={"title": "网络赌博推广", "description": "", "skills": ""})
    assert r.status_code == 422 and 'data-field="title"' in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Task, task.id).title == "跑腿"


def test_report_a_task_through_the_api_and_the_operator_queue(client):
    poster, reporter, operator = make_user(), make_user(), make_operator()
    task = make_task(poster=poster, title="可疑任务")
    r = client.post("/api/v1/reports", json={"task_id": task.id, "reason": "像是刷单"}, headers=api_headers(reporter))
    assert r.status_code == 201
    assert r.get_json()["status"] == "open" and r.get_json()["user_id"] == poster.id
    again = client.post("/api/v1/reports", json={"task_id": task.id, "reason": "again"},
                        headers=api_headers(reporter))
    assert again.status_code == 409
    queue = client.get("/api/v1/operator/queue", headers=api_headers(operator)).get_json()
    assert [item["task_id"] for item in queue["reports"]] == [task.id]
    assert {"id", "user_id"} <= set(queue["reports"][0])


def test_report_needs_a_reason_and_a_subject(client):
    reporter = make_user()
    task = make_task()
    r = client.post("/api/v1/reports", json={"task_id": task.id, "reason": " "}, headers=api_headers(reporter))
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = client.post("/api/v1/reports", json={"reason": "bad"}, headers=api_headers(reporter))
    assert r.status_code == 422 and "subject" in r.get_json()["errors"]
    assert client.post("/api/v1/reports", json={"task_id": 99999, "reason": "x"},
                       headers=api_headers(reporter)).status_code == 404
    assert db.session.scalar(db.select(db.func.count(Report.id))) == 0


def test_report_a_user(client):
    reporter, bad = make_user(), make_user()
    r = client.post("/api/v1/reports", json={"user_id": bad.id, "reason": "骚扰"}, headers=api_headers(reporter))
    assert r.status_code == 201 and r.get_json()["subject"] == "user" and r.get_json()["user_id"] == bad.id
    assert client.post("/api/v1/reports", json={"user_id": reporter.id, "reason": "x"},
                       headers=api_headers(reporter)).status_code == 422


def test_report_button_on_the_task_page(client):
    reporter = make_user()
    task = make_task(title="可疑任务")
    login(client, reporter)
    assert 'data-testid="report"' in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert client.post(f"/tasks/{task.id}/report", data={"reason": "违法内容"}).status_code == 303
    report = db.session.scalars(db.select(Report)).one()
    assert (report.task_id, report.reporter_id, report.status) == (task.id, reporter.id, "open")


def test_operator_hides_a_task_audited_and_poster_notified(client):
    poster, reporter, operator = make_user(), make_user(), make_operator()
    task = make_task(poster=poster, title="违规任务")
    client.post("/api/v1/reports", json={"task_id": task.id, "reason": "违规"}, headers=api_headers(reporter))
    r = client.post(f"/api/v1/operator/tasks/{task.id}/hide", json={"reason": "违反负面清单"},
                    headers=api_headers(operator))
    assert r.status_code == 200 and r.get_json()["hidden"] is True
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "task.hide")).one()
    assert entry.actor_id == operator.id and entry.target_id == str(task.id) and entry.details["reason"] == "违反负面清单"
    notes = db.session.scalars(db.select(Notification).where(Notification.user_id == poster.id)).all()
    assert [n.kind for n in notes] == ["task.hidden"] and notes[0].params["reason"] == "违反负面清单"
    assert db.session.scalars(db.select(Report.status)).all() == ["resolved"]
    # Hidden from others, still visible to its poster (with the reason) and operators.
    assert client.get(f"/api/v1/tasks/{task.id}", headers=api_headers(reporter)).status_code == 404
    assert task.id not in [t["id"] for t in client.get("/api/v1/tasks").get_json()["items"]]
    mine = client.get(f"/api/v1/tasks/{task.id}", headers=api_headers(poster)).get_json()
    assert mine["hidden"] is True and mine["hidden_reason"] == "违反负面清单"
    assert client.get(f"/api/v1/tasks/{task.id}", headers=api_headers(operator)).status_code == 200


def test_only_operators_hide_and_a_reason_is_needed(client):
    task = make_task()
    assert client.post(f"/api/v1/operator/tasks/{task.id}/hide", json={"reason": "x"},
                       headers=api_headers(make_user())).status_code == 403
    r = client.post(f"/api/v1/operator/tasks/{task.id}/hide", json={"reason": ""},
                    headers=api_headers(make_operator()))
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    assert db.session.get(Task, task.id).hidden_at is None


def test_operator_hides_from_the_task_page(client):
    operator = make_operator()
    task = make_task(title="待处理")
    login(client, operator)
    assert 'data-testid="operator-hide"' in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert client.post(f"/operator/tasks/{task.id}/hide", data={"reason": "spam"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Task, task.id).hidden_reason == "spam"
    login(client, make_user())
    assert client.post(f"/operator/tasks/{task.id}/unhide").status_code == 403


def test_operator_resolves_a_report(client):
    reporter, operator = make_user(), make_operator()
    task = make_task()
    rid = client.post("/api/v1/reports", json={"task_id": task.id, "reason": "x"},
                      headers=api_headers(reporter)).get_json()["id"]
    r = client.post(f"/api/v1/operator/reports/{rid}/resolve", json={"resolution": "内容无问题"},
                    headers=api_headers(operator))
    assert r.status_code == 200 and r.get_json()["status"] == "resolved"
    assert db.session.scalars(db.select(AuditEntry.action)).all() == ["report.resolve"]
    assert client.post(f"/api/v1/operator/reports/{rid}/resolve", json={"resolution": "again"},
                       headers=api_headers(operator)).status_code == 409


def test_reports_section_on_the_operator_page(client):
    from marketplace.core.templating import nav_url
    make_task(title="被举报的任务")
    reporter, operator = make_user(), make_operator()
    task = db.session.scalars(db.select(Task)).one()
    client.post("/api/v1/reports", json={"task_id": task.id, "reason": "违规内容"}, headers=api_headers(reporter))
    login(client, operator)
    with client.application.test_request_context():
        url = nav_url("operator.queue")
    html = client.get(url).get_data(as_text=True)
    assert 'data-testid="queue-reports"' in html and "违规内容" in html and "被举报的任务" in html


def test_publish_refused_on_the_page_sends_the_poster_to_the_edit_form(client):
    poster = make_user()
    task = make_task(poster=poster, status="draft", title="博彩推广")
    login(client, poster)
    r = client.post(f"/tasks/{task.id}/publish")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/tasks/{task.id}/edit")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "gambling" in html and "博彩" in html
    assert db.session.get(Task, task.id).status == "draft"
