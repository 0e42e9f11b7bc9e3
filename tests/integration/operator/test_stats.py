"""Supervisor statistics: exact figures by mode, category, city and month; the page with SVG charts;
CSV exports; operators only."""
from __future__ import annotations

import csv
import io

from marketplace.contracts import service as contracts
from marketplace.core.db import commit, utcnow
from marketplace.disputes import service as disputes
from marketplace.operator import stats
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_tasks import make_task
from tests.integration.disputes.helpers import delivered_milestone


def _world():
    """Two tender contracts (one accepted, one decided 37%), a draft and an open claim."""
    poster, solver, task, contract, milestone = delivered_milestone(100_000)
    contracts.accept_milestone(poster, milestone)
    commit()
    p2, s2, task2, c2, m2 = delivered_milestone(100_000)
    d = disputes.open_dispute(s2, milestone_id=m2.id, amount=100_000, reason="Unpaid")
    disputes.decide(make_operator(), d, 3700, "Part done")
    commit()
    make_task(mode="tender", status="draft")
    make_task(mode="claim", city="yichang", price=5_000)
    return task, task2


def test_figures_by_dimension():
    task, task2 = _world()
    month = utcnow().strftime("%Y-%m")
    tasks_by_mode = {r["key"]: r for r in stats.table("tasks", "mode")}
    assert tasks_by_mode["tender"]["posted"] == 2 and tasks_by_mode["tender"]["completed"] == 2
    assert tasks_by_mode["claim"]["posted"] == 1 and tasks_by_mode["claim"]["completed"] == 0
    assert [r["key"] for r in stats.table("tasks", "month")] == [month]
    money = stats.table("money", "mode")
    assert money == [{"key": "tender", "escrowed": 200_000, "released": 100_000 + 37_000, "refunded": 63_000}]
    by_city = {r["key"]: r["posted"] for r in stats.table("tasks", "city")}
    assert by_city["yichang"] == 1
    d = stats.table("disputes", "category")
    assert d == [{"key": task2.category, "opened": 1, "open": 0, "settled": 0, "decided": 1, "withdrawn": 0,
                  "avg_solver_share_bps": 3700}]
    users = stats.table("users", "month")
    assert users[0]["posters"] == 3 and users[0]["solvers"] == 2 and users[0]["active_users"] == 5


def test_page_api_and_csv(client):
    _world()
    operator = make_operator()
    r = client.get("/api/v1/operator/stats", headers=api_headers(operator))
    assert r.status_code == 200 and r.json["tables"]["money"]["mode"][0]["released"] == 137_000
    r = client.get("/api/v1/operator/stats?format=csv&table=money&by=mode", headers=api_headers(operator))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows == [["mode", "escrowed", "released", "refunded"], ["tender", "200000", "137000", "63000"]]
    r = client.get("/api/v1/operator/stats?format=csv&table=nope&by=week", headers=api_headers(operator))
    assert r.status_code == 422 and set(r.json["errors"]) == {"table", "by"}
    assert client.get("/api/v1/operator/stats", headers=api_headers(make_user())).status_code == 403

    login(client, operator)
    page = client.get("/operator/stats?by=category")
    assert page.status_code == 200 and page.text.count("<svg") >= 8 and "cdn" not in page.text.lower()
    assert client.get("/operator/stats.csv?table=tasks&by=city").status_code == 200
    login(client, make_user())
    assert client.get("/operator/stats").status_code == 403
