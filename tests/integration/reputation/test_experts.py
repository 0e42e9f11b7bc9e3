"""The expert pool (专家库): verified individuals and organisations, searched by field, skill, city,
verification and credit, in a constant number of queries; posters invite experts to their tasks."""
from __future__ import annotations

from sqlalchemy import event

from marketplace.extensions import db
from marketplace.reputation import credit, experts
from marketplace.reputation.models import Expert
from marketplace.tasks.models import TaskInvite
from tests.factories import api_headers, login, make_user
from tests.factories_contracts import make_solver
from tests.factories_orgs import make_org, make_verification, uscc
from tests.factories_reputation import complete_contract
from tests.factories_tasks import make_task


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self)


def _expert(user=None, *, fields=(), skills=(), city="wuhan-hongshan", available=True, headline=""):
    user = user or make_solver(city=city)
    expert = experts._new_for_user(user)
    experts.update_listing(user, expert, fields=list(fields), skills=list(skills), city=city,
                           available=available, headline=headline)
    db.session.commit()
    return expert


def _org_expert(fields=("software",), city="wuhan-donghu"):
    owner = make_user(account_type="organization")
    org = make_org(owner, city=city)
    make_verification(owner, org=org, status="approved", number=uscc())
    expert = experts.ensure_listing(owner, org.id)
    experts.update_listing(owner, expert, fields=list(fields))
    db.session.commit()
    return owner, org, expert


def _names(client, **query):
    r = client.get("/api/v1/experts", query_string=query)
    assert r.status_code == 200, r.json
    return {item["name"] for item in r.json["items"]}


def test_search_filters_by_field_skill_city_verification_availability_and_credit(client):
    ai = _expert(make_solver(display_name="Ai Researcher"), fields=["rd_challenge"], skills=["Python", "PyTorch"])
    _expert(make_solver(display_name="Film Maker", city="yichang"), fields=["micro_film"],
                   skills=["剪辑"], city="yichang", available=False)
    _owner, _org, org_expert = _org_expert()
    org_expert.name = "Donghu Lab"
    db.session.commit()
    complete_contract(solver=db.session.get(type(_owner), ai.user_id), amount=500_000)

    assert _names(client) == {"Ai Researcher", "Film Maker", "Donghu Lab"}
    assert _names(client, field="micro_film") == {"Film Maker"}
    assert _names(client, field="research") == {"Ai Researcher"}  # a family matches its categories
    assert _names(client, skill="pytorch") == {"Ai Researcher"}
    assert _names(client, skill="剪辑") == {"Film Maker"}
    assert _names(client, city="wuhan") == {"Ai Researcher", "Donghu Lab"}  # prefecture covers districts
    assert _names(client, city="yichang") == {"Film Maker"}
    assert _names(client, verification="organisation") == {"Donghu Lab"}
    assert _names(client, verification="individual") == {"Ai Researcher", "Film Maker"}
    assert _names(client, available="true") == {"Ai Researcher", "Donghu Lab"}
    score = credit.standing_of("user", ai.user_id).score
    assert _names(client, min_score=score) == {"Ai Researcher"}
    assert _names(client, q="donghu") == {"Donghu Lab"}
    first = client.get("/api/v1/experts").json["items"][0]
    assert first["name"] == "Ai Researcher" and first["credit"]["completed"] == 1  # best credit first
    r = client.get("/api/v1/experts", query_string={"field": "casino", "min_score": "x", "city": "atlantis"})
    assert r.status_code == 422 and set(r.json["errors"]) == {"field", "min_score", "city"}
    page = client.get("/experts", query_string={"skill": "pytorch"}).get_data(as_text=True)
    assert "Ai Researcher" in page and "Film Maker" not in page


def test_the_expert_list_runs_a_constant_number_of_queries(client, app):
    for n in range(2):
        _expert(fields=["software"], skills=[f"skill{n}"])
    client.get("/experts")
    with QueryCounter() as few:
        assert client.get("/experts").status_code == 200
    with QueryCounter() as few_api:
        assert client.get("/api/v1/experts").status_code == 200
    for n in range(8):
        expert = _expert(fields=["software"], skills=[f"more{n}"])
        if n % 2:
            complete_contract(solver=db.session.get(type(make_user()), expert.user_id))
    _org_expert()
    with QueryCounter() as many:
        html = client.get("/experts").get_data(as_text=True)
    with QueryCounter() as many_api:
        items = client.get("/api/v1/experts").json["items"]
    assert html.count('data-testid="expert"') == 11 and len(items) == 11
    assert few.count == many.count
    assert few_api.count == many_api.count


def test_verification_lists_an_individual_and_the_expert_sets_availability(client, app):
    from marketplace.verification import service as verification
    from tests.factories import make_operator
    user = make_user(display_name="Dr Wang", skills=["CFD"])
    req = make_verification(user)
    with app.test_request_context("/"):
        verification.approve(make_operator(), req)
        db.session.commit()
    expert = db.session.execute(db.select(Expert).where(Expert.user_id == user.id)).scalar_one()
    assert expert.available and expert.skills == ["CFD"]
    r = client.put("/api/v1/me/expert", headers=api_headers(user),
                   json={"available": False, "headline": "Fluid dynamics", "fields": ["rd_challenge"]})
    assert r.status_code == 200 and r.json["available"] is False and r.json["headline"] == "Fluid dynamics"
    assert _names(client, available="false") == {"Dr Wang"}
    r = client.put("/api/v1/me/expert", headers=api_headers(user), json={"available": "no"})
    assert r.status_code == 422 and set(r.json["errors"]) == {"available"}
    r = client.put("/api/v1/me/expert", headers=api_headers(user), json={"fields": ["x"], "city": "atlantis"})
    assert r.status_code == 422 and set(r.json["errors"]) == {"fields", "city"}
    # Found by the schema fuzzer: a field that is not text was looked up in the categories (500).
    for fields in ([{}], [["rd_challenge"]], [7]):
        r = client.put("/api/v1/me/expert", headers=api_headers(user), json={"fields": fields})
        assert r.status_code == 422 and set(r.json["errors"]) == {"fields"}, fields
    # The page form works too.
    login(client, user)
    r = client.post("/experts/me", data={"headline": "CFD and more", "skills": "CFD, OpenFOAM", "city": "wuhan",
                                         "fields": ["rd_challenge"], "available": "y"})
    assert r.status_code == 303
    db.session.expire_all()
    assert expert.available and expert.skills == ["CFD", "OpenFOAM"]


def test_an_unverified_user_cannot_list_themselves(client):
    user = make_user()
    r = client.put("/api/v1/me/expert", headers=api_headers(user), json={"available": True})
    assert r.status_code == 403


def test_a_poster_invites_an_expert_to_a_tender(client):
    expert = _expert(make_solver(display_name="Invitee"))
    poster = make_user()
    task = make_task(poster=poster, status="draft")
    bounty = make_task(poster=poster, mode="bounty")
    login(client, poster)
    page = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert 'data-testid="invite-expert"' in page and task.title in page and bounty.title in page
    r = client.post(f"/experts/{expert.id}/invite", data={"task_id": str(task.id)})
    assert r.status_code == 303
    r = client.post(f"/api/v1/experts/{expert.id}/invite", headers=api_headers(poster), json={"task_id": bounty.id})
    assert r.status_code == 201, r.json
    invited = {(i.task_id, i.solver_id) for i in db.session.scalars(db.select(TaskInvite))}
    assert invited == {(task.id, expert.user_id), (bounty.id, expert.user_id)}
    # Somebody else's task: refused.
    other = make_task(poster=make_user())
    r = client.post(f"/api/v1/experts/{expert.id}/invite", headers=api_headers(poster), json={"task_id": other.id})
    assert r.status_code in (403, 404)


def test_expert_detail_shows_completed_work_and_the_credit_explanation(client):
    expert = _expert(make_solver(display_name="Busy"))
    complete_contract(solver=db.session.get(type(make_user()), expert.user_id), amount=300_000)
    r = client.get(f"/api/v1/experts/{expert.id}")
    assert r.status_code == 200 and r.json["credit"]["completed"] == 1
    assert [w["amount"]["amount"] for w in r.json["completed_work"]] == [300_000]
    assert any(line["key"] == "completed" for line in r.json["credit"]["explanation"])
    html = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert 'data-testid="credit-explanation"' in html and 'data-testid="expert-work"' in html
    assert client.get("/api/v1/experts/999999").status_code == 404
