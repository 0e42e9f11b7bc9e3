"""The task API: shapes, problems, permissions."""
import datetime as dt

from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.tasks.models import Task
from tests.factories import api_headers, make_user
from tests.factories_orgs import make_org, make_verification
from tests.factories_tasks import make_task


def _future(days=7):
    return (utcnow() + dt.timedelta(days=days)).replace(tzinfo=dt.timezone.utc).isoformat()


TENDER = {"mode": "tender", "title": "光纤传感器研发", "description": "Design a **sensor**.", "category": "rd_challenge",
          "skills": ["光学", "FPGA"], "city": "wuhan-donghu", "budget_min": 100_000, "budget_max": 300_000}


def _tender(**over):
    body = dict(TENDER, bid_deadline=_future())
    body.update(over)
    return body


def test_create_draft_returns_the_task_shape(client):
    poster = make_user()
    r = client.post("/api/v1/tasks", json=_tender(), headers=api_headers(poster))
    assert r.status_code == 201, r.get_json()
    data = r.get_json()
    for key in ("id", "mode", "status", "title", "description", "category", "skills", "city", "visibility",
                "ip_terms", "org_id", "poster_id", "currency", "escrow", "created_at", "budget_min", "budget_max",
                "bid_deadline"):
        assert key in data, key
    assert data["status"] == "draft" and data["mode"] == "tender"
    assert data["escrow"] == {"funded": False, "amount": 0}
    assert data["skills"] == ["光学", "FPGA"] and data["budget_min"] == 100_000
    assert data["poster_id"] == poster.id and data["currency"] == "CNY"
    assert data["bid_deadline"].endswith("+00:00")
    assert db.session.get(Task, data["id"]).title == "光纤传感器研发"


def test_create_names_every_bad_field_and_writes_nothing(client):
    body = {"mode": "tender", "title": "  ", "category": "nope", "city": "atlantis", "budget_min": 500,
            "budget_max": 400, "bid_deadline": "2001-01-01T00:00:00+00:00"}
    r = client.post("/api/v1/tasks", json=body, headers=api_headers(make_user()))
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    errors = r.get_json()["errors"]
    assert {"title", "category", "city", "budget_min", "bid_deadline"} <= set(errors)
    assert db.session.scalar(db.select(db.func.count(Task.id))) == 0


def test_create_refuses_zero_and_malformed_amounts(client):
    r = client.post("/api/v1/tasks", json=_tender(budget_min=0, budget_max="lots"), headers=api_headers(make_user()))
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) >= {"budget_min", "budget_max"}


def test_create_without_token_is_401(client):
    r = client.post("/api/v1/tasks", json=_tender())
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"


def test_unknown_mode_is_422(client):
    r = client.post("/api/v1/tasks", json=_tender(mode="auction"), headers=api_headers(make_user()))
    assert r.status_code == 422 and "mode" in r.get_json()["errors"]


def test_patch_edits_a_draft_and_rebuilds_search_terms(client):
    poster = make_user()
    task = make_task(poster=poster, status="draft", title="Old title")
    r = client.patch(f"/api/v1/tasks/{task.id}", json={"title": "激光雷达标定", "budget_max": 500_000},
                     headers=api_headers(poster))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["title"] == "激光雷达标定" and r.get_json()["budget_max"] == 500_000
    found = client.get("/api/v1/tasks?q=雷达&status=all&mine=1", headers=api_headers(poster)).get_json()["items"]
    assert [t["id"] for t in found] == [task.id]


def test_poster_cannot_act_on_someone_elses_task(client):
    owner, other = make_user(), make_user()
    draft = make_task(poster=owner, status="draft")
    tender = make_task(poster=owner)
    headers = api_headers(other)
    # A draft of someone else is invisible (404); an open task is visible but not yours (403).
    assert client.post(f"/api/v1/tasks/{draft.id}/publish", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/tasks/{tender.id}", json={"title": "mine"}, headers=headers).status_code == 403
    assert client.post(f"/api/v1/tasks/{tender.id}/cancel", headers=headers).status_code == 403
    assert client.get(f"/api/v1/tasks/{tender.id}/recommended-solvers", headers=headers).status_code == 403
    assert client.post(f"/api/v1/tasks/{tender.id}/invites", json={"solver_id": other.id},
                       headers=headers).status_code == 403
    assert db.session.get(Task, tender.id).status == "open"


def test_publish_tender_and_refuse_publishing_twice(client):
    poster = make_user()
    task = make_task(poster=poster, status="draft")
    headers = api_headers(poster)
    r = client.post(f"/api/v1/tasks/{task.id}/publish", headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "open"
    again = client.post(f"/api/v1/tasks/{task.id}/publish", headers=headers)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"


def test_unfunded_claim_publish_is_409(client):
    poster = make_user()
    task = make_task(poster=poster, mode="claim", status="draft")
    r = client.post(f"/api/v1/tasks/{task.id}/publish", headers=api_headers(poster))
    assert r.status_code == 409
    assert db.session.get(Task, task.id).status == "draft"


def test_unverified_poster_cannot_publish_above_the_limit(client, app):
    poster = make_user()
    limit = app.config["UNVERIFIED_PUBLISH_LIMIT"]
    task = make_task(poster=poster, status="draft", budget_min=None, budget_max=limit + 1)
    r = client.post(f"/api/v1/tasks/{task.id}/publish", headers=api_headers(poster))
    assert r.status_code == 403
    assert "budget_max" in r.get_json()["errors"]
    at_limit = make_task(poster=poster, status="draft", budget_min=None, budget_max=limit)
    assert client.post(f"/api/v1/tasks/{at_limit.id}/publish", headers=api_headers(poster)).status_code == 200
    make_verification(poster, status="approved")
    assert client.post(f"/api/v1/tasks/{task.id}/publish", headers=api_headers(poster)).status_code == 200


def test_claim_address_only_for_poster_and_claimant(client):
    poster, claimant, stranger = make_user(), make_user(), make_user()
    task = make_task(poster=poster, mode="claim", address="珞喻路1037号 华中科技大学")
    assert client.get(f"/api/v1/tasks/{task.id}").get_json().get("address") is None
    assert "address" not in client.get(f"/api/v1/tasks/{task.id}", headers=api_headers(stranger)).get_json()
    assert client.get(f"/api/v1/tasks/{task.id}", headers=api_headers(poster)).get_json()["address"] == \
        "珞喻路1037号 华中科技大学"
    task.claimant_id = claimant.id
    db.session.commit()
    assert client.get(f"/api/v1/tasks/{task.id}", headers=api_headers(claimant)).get_json()["address"] == \
        "珞喻路1037号 华中科技大学"
    listed = client.get("/api/v1/tasks?mode=claim", headers=api_headers(stranger)).get_json()["items"]
    assert listed and all("address" not in t for t in listed)


def test_invite_only_task_is_404_for_others_and_visible_to_invitees(client):
    poster, invitee, stranger = make_user(), make_user(), make_user()
    task = make_task(poster=poster, visibility="invite")
    assert client.get(f"/api/v1/tasks/{task.id}", headers=api_headers(stranger)).status_code == 404
    assert client.get(f"/api/v1/tasks/{task.id}").status_code == 404
    r = client.post(f"/api/v1/tasks/{task.id}/invites", json={"solver_id": invitee.id}, headers=api_headers(poster))
    assert r.status_code == 201 and r.get_json()["solver_id"] == invitee.id
    assert client.get(f"/api/v1/tasks/{task.id}", headers=api_headers(invitee)).status_code == 200
    ids = [t["id"] for t in client.get("/api/v1/tasks", headers=api_headers(invitee)).get_json()["items"]]
    assert task.id in ids
    ids = [t["id"] for t in client.get("/api/v1/tasks", headers=api_headers(stranger)).get_json()["items"]]
    assert task.id not in ids
    again = client.post(f"/api/v1/tasks/{task.id}/invites", json={"solver_id": invitee.id}, headers=api_headers(poster))
    assert again.status_code == 409


def test_invite_notifies_the_solver(client):
    from marketplace.notifications.models import Notification
    poster, solver = make_user(), make_user()
    task = make_task(poster=poster)
    client.post(f"/api/v1/tasks/{task.id}/invites", json={"solver_id": solver.id}, headers=api_headers(poster))
    kinds = db.session.scalars(db.select(Notification.kind).where(Notification.user_id == solver.id)).all()
    assert kinds == ["task.invited"]


def test_org_member_without_manager_role_cannot_post_for_the_org(client):
    owner, member, manager = make_user(), make_user(), make_user()
    org = make_org(owner, members={member: "member", manager: "manager"})
    r = client.post("/api/v1/tasks", json=_tender(org_id=org.id), headers=api_headers(member))
    assert r.status_code == 403 and "org_id" in r.get_json()["errors"]
    assert db.session.scalar(db.select(db.func.count(Task.id))) == 0
    r = client.post("/api/v1/tasks", json=_tender(org_id=org.id), headers=api_headers(manager))
    assert r.status_code == 201 and r.get_json()["org_id"] == org.id
    # The owner manages the organisation's task too; the plain member does not.
    task_id = r.get_json()["id"]
    assert client.patch(f"/api/v1/tasks/{task_id}", json={"title": "由业主修改"},
                        headers=api_headers(owner)).status_code == 200
    assert client.patch(f"/api/v1/tasks/{task_id}", json={"title": "x"},
                        headers=api_headers(member)).status_code == 404


def test_questions_and_answers(client):
    poster, solver = make_user(), make_user()
    task = make_task(poster=poster)
    r = client.post(f"/api/v1/tasks/{task.id}/questions", json={"text": "交付格式？"}, headers=api_headers(solver))
    assert r.status_code == 201
    qid = r.get_json()["id"]
    assert client.post(f"/api/v1/tasks/{task.id}/questions", json={"text": ""},
                       headers=api_headers(solver)).status_code == 422
    assert client.post(f"/api/v1/tasks/{task.id}/questions/{qid}/answer", json={"answer": "PDF"},
                       headers=api_headers(solver)).status_code == 403
    r = client.post(f"/api/v1/tasks/{task.id}/questions/{qid}/answer", json={"answer": "PDF 报告"},
                    headers=api_headers(poster))
    assert r.status_code == 200 and r.get_json()["answer"] == "PDF 报告"
    shown = client.get(f"/api/v1/tasks/{task.id}").get_json()["questions"]
    assert shown[0]["text"] == "交付格式？" and shown[0]["answer"] == "PDF 报告"


def test_recommended_solvers_by_skills(client):
    poster = make_user()
    fit = make_user(skills=["FPGA", "光学"], city="wuhan-donghu")
    make_user(skills=["cooking"], city="shiyan")
    task = make_task(poster=poster, skills=["光学", "fpga"], city="wuhan-donghu")
    items = client.get(f"/api/v1/tasks/{task.id}/recommended-solvers", headers=api_headers(poster)).get_json()["items"]
    assert [i["user_id"] for i in items] == [fit.id]
    assert sorted(items[0]["shared_skills"]) == ["fpga", "光学"]


def test_bad_list_parameters_are_422(client):
    assert client.get("/api/v1/tasks?mode=auction").status_code == 422
    assert client.get("/api/v1/tasks?sort=random").status_code == 422
    assert client.get("/api/v1/tasks?limit=500").status_code == 422
    assert client.get("/api/v1/tasks?min_amount=abc").status_code == 422
    assert client.get("/api/v1/tasks?cursor=@@@").status_code == 422


def test_openapi_describes_the_task_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/tasks/{task_id}/publish",
                 "/api/v1/tasks/{task_id}/funding", "/api/v1/reports"):
        assert any(p.replace("<id:task_id>", "{task_id}") == path for p in doc["paths"]) or path in doc["paths"], path


def test_single_task_shows_the_posters_verification(client):
    from tests.factories_tasks import approve_identity
    poster = approve_identity(make_user())
    task = make_task(poster=poster)
    data = client.get(f"/api/v1/tasks/{task.id}").get_json()
    assert data["poster_verified"] is True and data["attachments"] == [] and data["questions"] == []


def test_recommended_tasks_api(client):
    solver = make_user(skills=["翻译"], city="wuhan")
    fit = make_task(title="英译中", skills=["翻译"])
    make_task(title="焊接", skills=["焊接"], city="shiyan")
    items = client.get("/api/v1/tasks/recommended", headers=api_headers(solver)).get_json()["items"]
    assert [t["id"] for t in items] == [fit.id]
    assert client.get("/api/v1/tasks/recommended").status_code == 401
