"""A household job posted and paid in one step: the short form, the waiting state while the bank
transfer travels, the job opening by itself when the operator confirms, and the claimant shown."""
from __future__ import annotations

import datetime as dt

from marketplace.core.db import utcnow
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.payments import service as payments
from marketplace.payments.models import Funding
from marketplace.tasks.models import Task
from tests.factories import login, make_operator, make_user
from tests.factories_contracts import make_solver
from tests.factories_payments import top_up


def _form(**overrides):
    start = (utcnow() + dt.timedelta(days=2)).replace(tzinfo=dt.timezone.utc).astimezone(
        dt.timezone(dt.timedelta(hours=8)))
    data = {"title": "空调不制冷，上门维修", "category": "appliance_repair", "description": "格力挂机",
            "place": "wuhan-hongshan", "address": "珞喻路 1037 号 3 栋 502",
            "window_start": start.strftime("%Y-%m-%dT%H:%M"),
            "window_end": (start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "price": "200", "method": "bank_transfer"}
    data.update(overrides)
    return data


def test_the_short_form_offers_life_services_and_one_place_list_without_ip_terms(client):
    login(client, make_user())
    html = client.get("/tasks/new/household").get_data(as_text=True)
    assert 'name="ip_terms"' not in html and 'name="skills"' not in html
    assert 'value="appliance_repair"' in html and 'value="cleaning"' in html and 'value="moving"' in html
    assert 'value="software"' not in html  # no R&D categories
    assert "<optgroup" in html and 'value="wuhan-hongshan"' in html
    assert 'value="card"' not in html  # no Stripe configured here: card is not offered


def test_post_and_pay_by_bank_transfer_waits_then_opens_when_the_operator_confirms(client):
    household, operator = make_user(), make_operator()
    login(client, household)
    response = client.post("/tasks/new/household", data=_form())
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    task = db.session.scalars(db.select(Task)).one()
    assert task.mode == "claim" and task.status == "draft" and task.publish_when_funded
    assert task.city == "wuhan" and task.district == "wuhan-hongshan" and task.price == 20_000
    funding = db.session.scalars(db.select(Funding)).one()
    assert funding.method == "bank_transfer" and funding.status == "pending"

    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'data-testid="funding-state"' in page and funding.reference in page
    assert 'data-testid="escrow-waiting"' in page
    assert 'data-testid="funding-form"' in page and "pay-another-way" in page  # not offered as the main action
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert funding.reference in dashboard

    payments.confirm_bank_transfer(operator, funding.id, 20_000)
    db.session.commit()
    db.session.refresh(task)
    assert task.status == "open" and task.escrow_funded
    kinds = [n.kind for n in db.session.scalars(db.select(Notification).where(
        Notification.user_id == household.id))]
    assert "task.funded_and_opened" in kinds

    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'data-testid="waiting-for-claim"' in page and 'data-testid="countdown"' in page

    solver = make_solver(city="wuhan-hongshan")
    login(client, solver)
    assert client.post(f"/tasks/{task.id}/claim").status_code == 303
    login(client, household)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'data-testid="claimant"' in page and f'href="/users/{solver.id}"' in page
    assert solver.display_name in page and 'data-testid="message-claimant"' in page


def test_paid_from_the_wallet_the_job_opens_at_once(client):
    household = make_user()
    top_up(household, 50_000)
    db.session.commit()
    login(client, household)
    response = client.post("/tasks/new/household", data=_form(method="wallet"))
    assert response.status_code == 303
    task = db.session.scalars(db.select(Task)).one()
    assert task.status == "open" and task.escrow_amount == 20_000


def test_a_bad_form_is_shown_again_with_the_fields_named_and_nothing_saved(client):
    login(client, make_user())
    response = client.post("/tasks/new/household", data=_form(place="", price="abc", title=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-field="place"' in html and 'data-field="price"' in html and 'data-field="title"' in html
    assert db.session.scalar(db.select(db.func.count(Task.id))) == 0


def test_too_little_in_the_wallet_keeps_the_form_with_the_reason(client):
    login(client, make_user())
    response = client.post("/tasks/new/household", data=_form(method="wallet"))
    assert response.status_code == 422 and 'data-field="method"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Task.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Funding.id))) == 0
