"""Idempotency-Key on money POSTs; the wallet, funding and operator pages; /me and the OpenAPI
document; the ledger verify check."""
from __future__ import annotations

from marketplace.api.idempotency import IdempotencyRecord
from marketplace.extensions import db
from marketplace.ledger import service as ledger
from marketplace.ledger.verify import verify
from marketplace.payments import service
from marketplace.payments.models import Funding, Payout
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_payments import make_order, make_verified_user, top_up


def test_same_key_same_body_replays_the_first_response(client):
    solver = make_verified_user()
    top_up(solver, 100_000)
    headers = api_headers(solver, **{"Idempotency-Key": "k-1"})
    first = client.post("/api/v1/payouts", json={"amount": 20_000}, headers=headers)
    second = client.post("/api/v1/payouts", json={"amount": 20_000}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert db.session.query(Payout).count() == 1
    assert ledger.wallet_summary(solver)["pending_payout"] == 20_000


def test_same_key_other_body_is_422_and_changes_nothing(client):
    solver = make_verified_user()
    top_up(solver, 100_000)
    headers = api_headers(solver, **{"Idempotency-Key": "k-2"})
    assert client.post("/api/v1/payouts", json={"amount": 20_000}, headers=headers).status_code == 201
    other = client.post("/api/v1/payouts", json={"amount": 30_000}, headers=headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["errors"]
    assert db.session.query(Payout).count() == 1
    assert ledger.wallet_summary(solver)["pending_payout"] == 20_000


def test_a_failed_request_is_not_stored_so_the_key_can_be_retried(client):
    solver = make_verified_user()
    top_up(solver, 100_000)
    headers = api_headers(solver, **{"Idempotency-Key": "k-3"})
    failed = client.post("/api/v1/payouts", json={"amount": 0}, headers=headers)
    assert failed.status_code == 422
    assert db.session.query(IdempotencyRecord).count() == 0
    fixed = client.post("/api/v1/payouts", json={"amount": 15_000}, headers=headers)
    assert fixed.status_code == 201
    assert db.session.query(IdempotencyRecord).count() == 1


def test_keys_belong_to_their_user(client):
    a, b = make_user(), make_user()
    order_a, order_b = make_order(a), make_order(b)
    for user, order in ((a, order_a), (b, order_b)):
        response = client.post("/api/v1/fundings", json={"kind": "order", "subject_id": order.id,
                                                         "method": "bank_transfer"},
                               headers=api_headers(user, **{"Idempotency-Key": "shared"}))
        assert response.status_code == 201
    assert db.session.query(Funding).count() == 2


def test_an_overlong_key_is_refused(client):
    user = make_user()
    response = client.post("/api/v1/fundings", json={"kind": "order", "subject_id": make_order(user).id,
                                                     "method": "bank_transfer"},
                           headers=api_headers(user, **{"Idempotency-Key": "x" * 256}))
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["errors"]
    assert db.session.query(Funding).count() == 0


def test_confirm_replay_with_the_key_returns_the_first_answer(client):
    poster, operator = make_user(), make_operator()
    funding = service.start_funding(poster, "order", make_order(poster, amount=7_000).id, "bank_transfer")
    db.session.commit()
    headers = api_headers(operator, **{"Idempotency-Key": "confirm-1"})
    url = f"/api/v1/operator/bank-transfers/{funding.id}/confirm"
    first = client.post(url, json={"amount": 7_000}, headers=headers)
    again = client.post(url, json={"amount": 7_000}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.get_json()["status"] == "succeeded"
    assert ledger.escrow_balance(funding.escrow_ref) == 7_000


def test_wallet_page_shows_balances_history_and_requests_a_payout(client):
    solver = make_verified_user()
    top_up(solver, 80_000)
    login(client, solver)
    page = client.get("/wallet")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="available"' in text and "800.00" in text
    assert 'data-testid="wallet-lines"' in text

    bad = client.post("/wallet/payouts", data={"amount": "1.234"})
    assert bad.status_code == 422
    assert 'data-field="amount"' in bad.get_data(as_text=True)
    assert 'value="1.234"' in bad.get_data(as_text=True)
    too_much = client.post("/wallet/payouts", data={"amount": "900"})
    assert too_much.status_code == 422
    assert db.session.query(Payout).count() == 0

    ok = client.post("/wallet/payouts", data={"amount": "300.50"})
    assert ok.status_code == 303
    payout = db.session.query(Payout).one()
    assert payout.amount == 30_050 and payout.status == "requested"
    page = client.get("/wallet").get_data(as_text=True)
    assert 'data-testid="payouts"' in page and "300.50" in page


def test_unverified_wallet_page_explains_and_refuses(client):
    user = make_user()
    login(client, user)
    page = client.get("/wallet").get_data(as_text=True)
    assert "verified users can withdraw" in page
    assert client.post("/wallet/payouts", data={"amount": "20"}).status_code == 403
    assert db.session.query(Payout).count() == 0


def test_fund_page_offers_bank_and_wallet_and_shows_the_reference(client):
    poster = make_user()
    order = make_order(poster, amount=45_600, title="Survey of Wuhan bike lanes")
    login(client, poster)
    page = client.get(f"/fund/order/{order.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Survey of Wuhan bike lanes" in text
    assert 'value="bank_transfer"' in text and 'value="wallet"' in text and 'value="card"' not in text
    assert "js.stripe.com" not in text
    missing = client.post(f"/fund/order/{order.id}", data={})
    assert missing.status_code == 422
    wallet_short = client.post(f"/fund/order/{order.id}", data={"method": "wallet"})
    assert wallet_short.status_code == 422 and db.session.query(Funding).count() == 0
    response = client.post(f"/fund/order/{order.id}", data={"method": "bank_transfer"})
    assert response.status_code == 303
    funding = db.session.query(Funding).one()
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert funding.reference in detail and "4200 1234 5678 9012 345" in detail


def test_operator_pages_confirm_transfers_and_decide_payouts(client):
    poster, operator, solver = make_user(), make_operator(), make_verified_user()
    funding = service.start_funding(poster, "order", make_order(poster, amount=10_000).id, "bank_transfer")
    top_up(solver, 50_000, operator)
    payout = service.request_payout(solver, 20_000)
    db.session.commit()
    login(client, operator)
    queue = client.get("/operator/").get_data(as_text=True)
    assert funding.reference in queue and 'data-testid="queue-payouts"' in queue

    form = client.get(f"/operator/bank-transfers/{funding.id}")
    assert form.status_code == 200
    bad = client.post(f"/operator/bank-transfers/{funding.id}", data={"amount": "abc"})
    assert bad.status_code == 422 and db.session.get(Funding, funding.id).status == "pending"
    # Another amount is checked first: the page shows the difference and records nothing yet.
    check = client.post(f"/operator/bank-transfers/{funding.id}", data={"amount": "99.00"})
    assert check.status_code == 200 and 'data-testid="confirm-difference"' in check.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Funding, funding.id).status == "pending"
    mismatch = client.post(f"/operator/bank-transfers/{funding.id}",
                           data={"amount": "99.00", "accept_difference": "9900"})
    assert mismatch.status_code == 303
    db.session.expire_all()
    assert db.session.get(Funding, funding.id).status == "mismatch"

    assert client.get(f"/operator/payouts/{payout.id}").status_code == 200
    no_reason = client.post(f"/operator/payouts/{payout.id}/reject", data={"reason": ""})
    assert no_reason.status_code == 422
    paid = client.post(f"/operator/payouts/{payout.id}/approve", data={"reference": "ICBC-889"})
    assert paid.status_code == 303
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).status == "paid"
    assert db.session.get(Payout, payout.id).reference == "ICBC-889"

    login(client, solver)
    assert client.get(f"/operator/payouts/{payout.id}").status_code == 403


def test_me_carries_the_wallet(client):
    user = make_user()
    top_up(user, 12_300)
    me = client.get("/api/v1/me", headers=api_headers(user)).get_json()
    assert me["wallet"] == {"currency": "CNY", "available": 12_300, "held": 0}


def test_openapi_describes_the_money_endpoints_with_idempotency_keys(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/fundings", "/api/v1/payouts",
                 "/api/v1/operator/bank-transfers/{transfer_id}/confirm",
                 "/api/v1/operator/payouts/{payout_id}/approve"):
        params = [p["name"] for p in doc["paths"][path]["post"]["parameters"]]
        assert "Idempotency-Key" in params, path
    assert "get" in doc["paths"]["/api/v1/wallet"]


def test_ledger_verify_runs_the_card_funding_check():
    report = verify()
    names = [name for name, _problems in report.results]
    assert any(name.startswith("payments:") for name in names)


def test_card_funding_check_reports_a_card_payment_without_its_transaction():
    poster = make_user()
    db.session.add(Funding(subject_kind="order", subject_id="1", escrow_ref="order:1", title="x",
                           payer_user_id=poster.id, amount=100, currency="CNY", method="card",
                           status="succeeded", payment_intent_id="pi_without_ledger", key_nonce="n"))
    db.session.commit()
    problems = service.check_card_fundings()
    assert len(problems) == 1 and "has 0 funding transactions" in problems[0]
    assert not verify().ok


def test_wallet_lines_page_with_a_cursor(client):
    user, operator = make_user(), make_operator()
    for amount in (1_000, 2_000, 3_000):
        top_up(user, amount, operator)
    headers = api_headers(user)
    first = client.get("/api/v1/wallet?limit=2", headers=headers).get_json()
    assert [line["balance_after"] for line in first["lines"]] == [6_000, 3_000]
    assert all(line["ref"].startswith("funding:") and line["kind"] == "fund_wallet" for line in first["lines"])
    rest = client.get(f"/api/v1/wallet?limit=2&cursor={first['next_cursor']}", headers=headers).get_json()
    assert [(line["amount"], line["balance_after"]) for line in rest["lines"]] == [(1_000, 1_000)]
    assert rest["next_cursor"] is None
    assert client.get("/api/v1/wallet?limit=0", headers=headers).status_code == 422
    assert client.get("/api/v1/wallet?cursor=%%%", headers=headers).status_code == 422
    from marketplace.api import encode_cursor
    bad = client.get(f"/api/v1/wallet?cursor={encode_cursor({'before': 'x'})}", headers=headers)
    assert bad.status_code == 422 and "cursor" in bad.get_json()["errors"]
