"""One commit per request: nothing is saved by a response of 400 or more, or by an error."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.jobs.models import Timer
from marketplace.notifications.models import Notification
from tests.factories import api_headers, make_user

from .conftest import probe_rows


@pytest.mark.parametrize("status", [200, 201, 302])
def test_a_successful_response_commits(probe, status):
    response = probe.post(f"/_probe/write/{status}")
    assert response.status_code == status
    assert probe_rows() == [str(status)]


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422, 500, 503])
def test_an_error_response_commits_nothing(probe, status):
    response = probe.post(f"/_probe/write/{status}")
    assert response.status_code == status
    assert probe_rows() == []


def test_an_unexpected_exception_commits_nothing_and_gives_the_500_page(probe):
    response = probe.post("/_probe/boom")
    assert response.status_code == 500
    assert "kaboom" not in response.get_data(as_text=True)  # no internals leak
    assert probe_rows() == []


def test_domain_error_on_a_page_post_flashes_and_redirects_back(probe):
    response = probe.post("/_probe/wrong-state", headers={"Referer": "http://localhost/tasks/7?tab=bids"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/tasks/7?tab=bids"
    assert probe_rows() == []
    page = probe.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This task was already awarded." in page
    assert 'class="flash flash-error"' in page


def test_domain_error_without_a_same_site_referrer_renders_the_error_page(probe):
    response = probe.post("/_probe/wrong-state", headers={"Referer": "https://evil.example/x",
                                                          "Accept-Language": "en"})
    assert response.status_code == 409
    assert "This task was already awarded." in response.get_data(as_text=True)
    assert probe_rows() == []


def test_validation_failed_on_a_page_names_the_field(probe):
    response = probe.post("/_probe/validation", headers={"Referer": "http://localhost/x",
                                                         "Accept-Language": "en"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "amount: Too small." in text
    assert probe_rows() == []


def test_integrity_error_at_commit_becomes_409_and_saves_nothing(probe):
    response = probe.post("/_probe/duplicate", headers={"Accept-Language": "en"})

    assert response.status_code == 409
    assert "This conflicts with the current state." in response.get_data(as_text=True)
    assert probe_rows() == []
    assert db.session.scalar(db.select(db.func.count(Timer.id))) == 0


def test_integrity_error_at_commit_on_a_form_post_flashes_back(probe):
    response = probe.post("/_probe/duplicate", headers={"Referer": "http://localhost/form"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/form"
    assert probe_rows() == []


def test_integrity_error_inside_a_view_becomes_409(probe):
    response = probe.post("/_probe/duplicate-flush", headers={"Accept-Language": "en"})
    assert response.status_code == 409
    assert probe_rows() == []
    assert db.session.scalar(db.select(db.func.count(Timer.id))) == 0


def test_integrity_error_at_commit_on_the_api_is_a_409_problem(probe):
    response = probe.post("/api/v1/_probe/duplicate", json={})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"].endswith("/conflict")
    assert db.session.scalar(db.select(db.func.count(Timer.id))) == 0


def test_each_request_of_a_test_client_starts_with_a_fresh_g(client):
    """Per-request state (API user, locale, no-commit flag) never leaks into the next request."""
    alice, bob = make_user(), make_user()
    db.session.add(Notification(user_id=alice.id, kind="test.kind", params={}))
    db.session.commit()

    assert client.get("/no-such-page").status_code == 404  # sets the no-commit flag
    alice_items = client.get("/api/v1/notifications", headers=api_headers(alice)).get_json()["items"]
    bob_items = client.get("/api/v1/notifications", headers=api_headers(bob)).get_json()["items"]
    assert len(alice_items) == 1
    assert bob_items == []

    response = client.post("/api/v1/notifications/read", headers=api_headers(alice))
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(db.select(Notification.read_at)) is not None
