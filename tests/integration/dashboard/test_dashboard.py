"""The dashboard lists my tasks, bids and contracts with the next action, in a constant number of
queries whatever the number of rows."""
from __future__ import annotations

from sqlalchemy import event

from marketplace.contracts import service
from marketplace.extensions import db
from tests.factories import login, make_user
from tests.factories_contracts import fund_milestone, make_bid, make_contract, make_solver
from tests.factories_tasks import make_task


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self)


def _populate(user, n):
    """n tasks posted by user (each with a bid and a contract), n bids by user, contracts both ways."""
    for _ in range(n):
        task = make_task(poster=user)
        make_contract(task, make_solver())
        other = make_task(poster=make_user())
        make_bid(other, user)
        mine = make_task(poster=make_user())
        make_contract(mine, user, accept=False)


def _queries_for_dashboard(client, user):
    login(client, user)
    client.get("/dashboard/")  # warm-up: per-process caches, first login
    with QueryCounter() as counter:
        response = client.get("/dashboard/")
    assert response.status_code == 200
    return counter.count, response.get_data(as_text=True)


def test_dashboard_runs_a_constant_number_of_queries(client, app):
    few = make_user()
    _populate(few, 2)
    many = make_user()
    _populate(many, 9)
    count_few, _ = _queries_for_dashboard(client, few)
    count_many, html = _queries_for_dashboard(app.test_client(), many)
    assert count_few == count_many
    assert html.count('data-testid="my-contracts"') == 1


def test_dashboard_shows_state_next_action_and_deadline(client):
    poster, solver = make_user(), make_solver()
    task = make_task(poster=poster, title="设计一个齿轮箱")
    contract = make_contract(task, solver, amount=100_000, milestones=[("Drawings", 40_000), ("Model", 60_000)])
    first = service.milestones_of(contract)[0]
    client.set_cookie("lang", "en")
    login(client, poster)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "设计一个齿轮箱" in html and "Fund “Drawings”" in html
    fund_milestone(first)
    service.deliver_milestone(solver, first, "Drawings attached")
    db.session.commit()
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Review “Drawings”" in html
    login(client, solver)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Waiting for review of “Drawings”" in html


def test_dashboard_bids_and_proposed_contract(client):
    client.set_cookie("lang", "en")
    solver = make_solver()
    open_task = make_task(title="Open tender")
    make_bid(open_task, solver)
    awarded = make_task(title="Awarded tender")
    make_contract(awarded, solver, accept=False)
    login(client, solver)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Open tender" in html and "Waiting for the poster" in html
    assert "Accept the contract" in html


def test_dashboard_needs_login(client):
    response = client.get("/dashboard/")
    assert response.status_code in (302, 401)


def test_managers_see_their_organisations_tasks(client):
    from tests.factories_orgs import make_org
    owner, manager, member = make_user(), make_user(), make_user()
    org = make_org(owner, members={manager: "manager", member: "member"})
    make_task(poster=owner, org_id=org.id, title="机构任务")
    login(client, manager)
    assert "机构任务" in client.get("/dashboard/").get_data(as_text=True)
    login(client, member)
    assert "机构任务" not in client.get("/dashboard/").get_data(as_text=True)
