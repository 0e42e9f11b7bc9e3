"""Separation of duties and four eyes: no operator decides an item about themselves or their
organisation, and a large money confirmation needs a second operator, both in the audit log."""
from __future__ import annotations

import pytest

from marketplace.core.audit import AuditEntry
from marketplace.extensions import db
from marketplace.ledger import service as ledger
from marketplace.moderation.models import Report
from marketplace.payments import service as payments
from marketplace.payments.models import Funding, Payout
from marketplace.verification.models import VerificationRequest
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_orgs import make_org, make_verification
from tests.factories_payments import top_up, verify


def _transfer(payer, amount):
    funding = payments.start_funding(payer, "wallet", payer.id, "bank_transfer", amount=amount)
    db.session.commit()
    return funding


def _audit(action):
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)))


def test_an_operator_cannot_approve_their_own_verification(client):
    operator = make_operator()
    req = make_verification(operator)
    r = client.post(f"/api/v1/operator/verifications/{req.id}/approve", headers=api_headers(operator))
    assert r.status_code == 403
    assert r.json["type"].endswith("separation-of-duties")
    r = client.post(f"/api/v1/operator/verifications/{req.id}/reject", json={"reason": "x"},
                    headers=api_headers(operator))
    assert r.status_code == 403
    assert db.session.get(VerificationRequest, req.id).status == "pending"
    other = make_operator()
    r = client.post(f"/api/v1/operator/verifications/{req.id}/approve", headers=api_headers(other))
    assert r.status_code == 200 and r.json["status"] == "approved"


def test_an_operator_cannot_verify_their_own_organisation_on_the_page(client):
    operator = make_operator()
    member_of = make_org(make_user(), members={operator: "member"})
    req = make_verification(make_user(), org=member_of)
    login(client, operator)
    r = client.post(f"/operator/verifications/{req.id}/approve")
    assert r.status_code in (303, 403)
    assert db.session.get(VerificationRequest, req.id).status == "pending"


def test_an_operator_cannot_confirm_their_own_bank_transfer(client):
    operator = make_operator()
    funding = _transfer(operator, 100_000)
    r = client.post(f"/api/v1/operator/bank-transfers/{funding.id}/confirm", json={"amount": 100_000},
                    headers=api_headers(operator))
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(Funding, funding.id).status == "pending"
    assert ledger.wallet_summary(operator)["available"] == 0


def test_an_operator_cannot_approve_their_own_payout_nor_a_colleagues(client):
    operator = make_operator()
    verify(operator)
    top_up(operator, 200_000)
    payout = payments.request_payout(operator, 100_000)
    db.session.commit()
    r = client.post(f"/api/v1/operator/payouts/{payout.id}/approve", json={}, headers=api_headers(operator))
    assert r.status_code == 403
    assert db.session.get(Payout, payout.id).status == "requested"
    colleague = make_operator()
    make_org(make_user(), members={operator: "member", colleague: "manager"})
    r = client.post(f"/api/v1/operator/payouts/{payout.id}/approve", json={}, headers=api_headers(colleague))
    assert r.status_code == 403
    r = client.post(f"/api/v1/operator/payouts/{payout.id}/approve", json={}, headers=api_headers(make_operator()))
    assert r.status_code == 200 and r.json["status"] == "paid"


def test_an_operator_cannot_resolve_a_report_about_themselves(client):
    operator = make_operator()
    report = Report(reporter_id=make_user().id, subject_type="user", user_id=operator.id, reason="spam")
    db.session.add(report)
    db.session.commit()
    r = client.post(f"/api/v1/operator/reports/{report.id}/resolve", json={"resolution": "nothing"},
                    headers=api_headers(operator))
    assert r.status_code == 403
    assert db.session.get(Report, report.id).status == "open"


def test_a_large_bank_transfer_needs_a_second_operator(client, app):
    limit = app.config["FOUR_EYES_AMOUNT"]
    payer = make_user()
    funding = _transfer(payer, limit + 1)
    first, second = make_operator(), make_operator()
    url = f"/api/v1/operator/bank-transfers/{funding.id}/confirm"
    r = client.post(url, json={"amount": limit + 1}, headers=api_headers(first))
    assert r.status_code == 202
    assert r.json["status"] == "pending" and r.json["second_confirmation"]["first_operator_id"] == first.id
    assert ledger.wallet_summary(payer)["available"] == 0
    # the same operator again is refused; a second operator with another figure too
    assert client.post(url, json={"amount": limit + 1}, headers=api_headers(first)).status_code == 403
    r = client.post(url, json={"amount": limit + 2}, headers=api_headers(second))
    assert r.status_code == 422 and "amount" in r.json["errors"]
    assert ledger.wallet_summary(payer)["available"] == 0
    r = client.post(url, json={"amount": limit + 1}, headers=api_headers(second))
    assert r.status_code == 200 and r.json["status"] == "succeeded"
    assert ledger.wallet_summary(payer)["available"] == limit + 1
    [one] = _audit("four_eyes.first_confirmation")
    [two] = _audit("four_eyes.second_confirmation")
    assert one.actor_id == first.id and two.actor_id == second.id
    assert two.details["first_operator_id"] == first.id


def test_a_small_bank_transfer_needs_one_operator(client, app):
    payer = make_user()
    amount = app.config["FOUR_EYES_AMOUNT"]
    funding = _transfer(payer, amount)
    r = client.post(f"/api/v1/operator/bank-transfers/{funding.id}/confirm", json={"amount": amount},
                    headers=api_headers(make_operator()))
    assert r.status_code == 200 and r.json["status"] == "succeeded"


def test_a_large_payout_needs_a_second_operator_on_the_page(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "FOUR_EYES_AMOUNT", 100_000)  # the daily payout limit is lower than the default
    limit = app.config["FOUR_EYES_AMOUNT"]
    solver = make_user()
    verify(solver)
    top_up(solver, limit + 10)
    payout = payments.request_payout(solver, limit + 10)
    db.session.commit()
    first, second = make_operator(), make_operator()
    login(client, first)
    r = client.post(f"/operator/payouts/{payout.id}/approve", data={"reference": ""}, follow_redirects=True)
    assert "need a second operator" in r.text
    assert db.session.get(Payout, payout.id).status == "requested"
    login(client, second)
    client.post(f"/operator/payouts/{payout.id}/approve", data={"reference": ""})
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).status == "paid"


@pytest.mark.parametrize("as_member", [True, False])
def test_the_policy_names_organisations_of_the_actor(as_member):
    from marketplace.organisations.duties import is_own_item
    operator = make_operator()
    org = make_org(make_user(), members={operator: "member"} if as_member else None)
    assert is_own_item(operator, org_ids=[org.id]) is as_member
    assert is_own_item(operator, user_ids=[operator.id])
    assert not is_own_item(operator, user_ids=[make_user().id])


# --- the pages say a second operator is awaited ---------------------------------------------------

def test_the_bank_transfer_pages_show_a_first_confirmation_waiting_for_a_second_operator(client, app):
    limit = app.config["FOUR_EYES_AMOUNT"]
    payer = make_user()
    funding = _transfer(payer, limit + 100)
    first = make_operator(display_name="Operator Wang")
    second = make_operator(display_name="Operator Li")
    login(client, first)
    page = client.get(f"/operator/bank-transfers/{funding.id}").text
    assert "Waiting for a second operator" not in page and 'data-testid="confirm-form"' in page
    r = client.post(f"/operator/bank-transfers/{funding.id}", data={"amount": f"{(limit + 100) / 100:.2f}"},
                    follow_redirects=True)
    assert "need a second operator" in r.text
    # the queue names who confirmed which amount, and tells the first operator to leave it
    queue = client.get("/operator/").text
    assert "Waiting for a second operator: Operator Wang confirmed CN¥50,001.00" in queue
    assert "A different operator must confirm it." in queue
    # the first operator's page: who, the amount, and no live confirm button
    page = client.get(f"/operator/bank-transfers/{funding.id}").text
    assert "Waiting for a second operator" in page
    assert "Operator Wang confirmed CN¥50,001.00 on" in page
    assert "You gave the first confirmation, so you cannot confirm it again" in page
    assert 'data-testid="confirm-form"' not in page and 'data-testid="confirm-disabled"' in page
    # the second operator's page: the same facts, and the form to give the second confirmation
    login(client, second)
    page = client.get(f"/operator/bank-transfers/{funding.id}").text
    assert "Operator Wang confirmed CN¥50,001.00 on" in page
    assert "you can give the second confirmation" in page and 'data-testid="confirm-form"' in page
    assert "A different operator must confirm it." not in client.get("/operator/").text
    client.post(f"/operator/bank-transfers/{funding.id}", data={"amount": f"{(limit + 100) / 100:.2f}"})
    db.session.expire_all()
    assert db.session.get(Funding, funding.id).status == "succeeded"
    assert "Waiting for a second operator" not in client.get("/operator/").text


def test_a_correction_waiting_for_a_second_operator_is_shown_on_the_transfer_page(client, app):
    limit = app.config["FOUR_EYES_AMOUNT"]
    funding = _transfer(make_user(), limit + 100)
    first, second = make_operator(display_name="Operator Wang"), make_operator(display_name="Operator Li")
    r = client.post(f"/api/v1/operator/bank-transfers/{funding.id}/confirm", json={"amount": 100},
                    headers=api_headers(first))
    assert r.status_code == 200 and r.json["status"] == "mismatch"
    login(client, second)
    client.post(f"/operator/bank-transfers/{funding.id}/correct",
                data={"amount": f"{(limit + 100) / 100:.2f}", "reason": "Misread the statement"})
    page = client.get(f"/operator/bank-transfers/{funding.id}").text
    assert "Operator Li confirmed CN¥50,001.00 on" in page
    assert 'data-testid="correct-form"' not in page and 'data-testid="correct-waiting"' in page
    login(client, first)
    page = client.get(f"/operator/bank-transfers/{funding.id}").text
    assert "Operator Li confirmed CN¥50,001.00 on" in page and 'data-testid="correct-form"' in page


def test_the_payout_pages_show_a_first_approval_waiting_for_a_second_operator(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "FOUR_EYES_AMOUNT", 100_000)
    solver = make_user()
    verify(solver)
    top_up(solver, 100_010)
    payout = payments.request_payout(solver, 100_010)
    db.session.commit()
    first, second = make_operator(display_name="Operator Wang"), make_operator(display_name="Operator Li")
    login(client, first)
    client.post(f"/operator/payouts/{payout.id}/approve", data={"reference": ""})
    queue = client.get("/operator/").text
    assert "Waiting for a second operator: Operator Wang confirmed CN¥1,000.10" in queue
    page = client.get(f"/operator/payouts/{payout.id}").text
    assert "Operator Wang confirmed CN¥1,000.10 on" in page
    assert "you cannot confirm it again" in page
    assert 'data-testid="approve-form"' not in page and 'data-testid="approve-disabled"' in page
    login(client, second)
    page = client.get(f"/operator/payouts/{payout.id}").text
    assert "Operator Wang confirmed CN¥1,000.10 on" in page and 'data-testid="approve-form"' in page


def test_the_openapi_document_describes_the_second_confirmation_answer(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/operator/bank-transfers/{transfer_id}/confirm", "/api/v1/operator/payouts/{payout_id}/approve"):
        answer = paths[path]["post"]["responses"]["202"]
        schema = answer["content"]["application/json"]["schema"]
        assert "different operator must confirm" in answer["description"]
        assert set(schema["properties"]["second_confirmation"]["properties"]) == {"required", "first_operator_id", "amount"}
