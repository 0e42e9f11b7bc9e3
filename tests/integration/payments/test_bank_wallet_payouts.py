"""Worked examples without Stripe: bank transfer with a reference confirmed by an operator (exact
amount funds, any other amount is a mismatch), wallet funding of escrow, and payouts approved by
bank reference or rejected back to the wallet."""
from __future__ import annotations

import re

import pytest

from marketplace.core.errors import Forbidden, ValidationFailed, WrongState
from marketplace.extensions import db
from marketplace.ledger import service as ledger
from marketplace.ledger.verify import verify
from marketplace.notifications.models import Notification
from marketplace.payments import service
from marketplace.payments.models import Funding, Payout
from tests.factories import api_headers, make_operator, make_user
from tests.factories_ledger import row_counts
from tests.factories_payments import make_order, make_verified_user, top_up


def kinds_for(user) -> list[str]:
    return [n.kind for n in db.session.scalars(
        db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_bank_transfer_reference_then_exact_confirmation_funds_the_escrow(client):
    poster, operator = make_user(), make_operator()
    order = make_order(poster, amount=120_000)
    response = client.post("/api/v1/fundings", json={"kind": "order", "subject_id": str(order.id),
                                                     "method": "bank_transfer"},
                           headers=api_headers(poster))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending" and body["method"] == "bank_transfer"
    assert re.fullmatch(r"HZ-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", body["reference"])
    assert body["bank_account"]["account_number"]
    assert ledger.escrow_balance(order.escrow_ref) == 0

    queue = client.get("/api/v1/operator/queue", headers=api_headers(operator)).get_json()
    assert [t["reference"] for t in queue["bank_transfers"]] == [body["reference"]]
    assert queue["bank_transfers"][0]["user_id"] == poster.id
    assert queue["bank_transfers"][0]["object"] == f"order:{order.id}"

    confirmed = client.post(f"/api/v1/operator/bank-transfers/{body['id']}/confirm",
                            json={"amount": 120_000}, headers=api_headers(operator))
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["status"] == "succeeded"
    assert ledger.escrow_balance(order.escrow_ref) == 120_000
    assert ledger.balance(ledger._find_account("cash:bank", "CNY")) == -120_000
    assert order.funded_with == [body["id"]]
    assert "payments.funding_succeeded" in kinds_for(poster)
    assert verify().ok

    again = client.post(f"/api/v1/operator/bank-transfers/{body['id']}/confirm",
                        json={"amount": 120_000}, headers=api_headers(operator))
    assert again.status_code == 409
    assert ledger.escrow_balance(order.escrow_ref) == 120_000


def test_bank_transfer_with_another_amount_is_a_mismatch_and_not_funded(client):
    poster, operator = make_user(), make_operator()
    order = make_order(poster, amount=80_000)
    funding = service.start_funding(poster, "order", order.id, "bank_transfer")
    db.session.commit()
    before = row_counts()
    response = client.post(f"/api/v1/operator/bank-transfers/{funding.id}/confirm",
                           json={"amount": 79_999}, headers=api_headers(operator))
    assert response.status_code == 200
    assert response.get_json()["status"] == "mismatch"
    assert response.get_json()["received_amount"] == 79_999
    assert row_counts() == before
    assert ledger.escrow_balance(order.escrow_ref) == 0
    assert order.funded_with == []
    assert "payments.bank_transfer_mismatch" in kinds_for(poster)
    # A mismatch is not a dead end: it stays in the queue until corrected, returned or answered.
    queue = client.get("/api/v1/operator/queue", headers=api_headers(operator)).get_json()
    assert [(t["id"], t["status"], t["received_amount"]) for t in queue["bank_transfers"]] == \
        [(funding.id, "mismatch", 79_999)]


def test_members_cannot_confirm_bank_transfers(client):
    poster = make_user()
    funding = service.start_funding(poster, "order", make_order(poster).id, "bank_transfer")
    db.session.commit()
    response = client.post(f"/api/v1/operator/bank-transfers/{funding.id}/confirm",
                           json={"amount": funding.amount}, headers=api_headers(poster))
    assert response.status_code == 403
    assert db.session.get(Funding, funding.id).status == "pending"


def test_starting_twice_reuses_the_pending_reference():
    poster = make_user()
    order = make_order(poster)
    first = service.start_funding(poster, "order", order.id, "bank_transfer")
    db.session.commit()
    second = service.start_funding(poster, "order", order.id, "bank_transfer")
    assert second.id == first.id and second.reference == first.reference


def test_wallet_balance_funds_the_escrow_at_once(client):
    poster = make_user()
    top_up(poster, 100_000)
    assert ledger.wallet_balance(poster) == 100_000
    order = make_order(poster, amount=60_000)
    response = client.post("/api/v1/fundings", json={"kind": "order", "subject_id": order.id,
                                                     "method": "wallet"}, headers=api_headers(poster))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "succeeded"
    assert ledger.wallet_balance(poster) == 40_000
    assert ledger.escrow_balance(order.escrow_ref) == 60_000
    assert ledger.wallet_summary(poster)["held"] == 60_000
    assert order.funded_with == [response.get_json()["id"]]

    wallet = client.get("/api/v1/wallet", headers=api_headers(poster)).get_json()
    assert wallet["available"] == 40_000 and wallet["held"] == 60_000 and wallet["currency"] == "CNY"
    assert [(line["kind"], line["amount"], line["balance_after"]) for line in wallet["lines"]] == [
        ("fund_escrow", -60_000, 40_000), ("fund_wallet", 100_000, 100_000)]

    funded_again = client.post("/api/v1/fundings", json={"kind": "order", "subject_id": order.id,
                                                         "method": "wallet"}, headers=api_headers(poster))
    assert funded_again.status_code == 409
    assert ledger.wallet_balance(poster) == 40_000


def test_wallet_with_too_little_balance_is_refused_and_writes_nothing(client):
    poster = make_user()
    top_up(poster, 10_000)
    order = make_order(poster, amount=60_000)
    before = row_counts()
    fundings = db.session.query(Funding).count()
    response = client.post("/api/v1/fundings", json={"kind": "order", "subject_id": order.id,
                                                     "method": "wallet"}, headers=api_headers(poster))
    assert response.status_code == 422
    assert "amount" in response.get_json()["errors"]
    assert row_counts() == before
    assert db.session.query(Funding).count() == fundings


def test_payout_approved_by_bank_reference_is_paid(client):
    solver, operator = make_verified_user(), make_operator()
    top_up(solver, 50_000)
    response = client.post("/api/v1/payouts", json={"amount": 30_000}, headers=api_headers(solver))
    assert response.status_code == 201, response.get_json()
    payout = response.get_json()
    assert payout["status"] == "requested"
    summary = ledger.wallet_summary(solver)
    assert summary["available"] == 20_000 and summary["pending_payout"] == 30_000

    queue = client.get("/api/v1/operator/queue", headers=api_headers(operator)).get_json()
    assert [(p["id"], p["user_id"], p["amount"]) for p in queue["payouts"]] == [(payout["id"], solver.id, 30_000)]

    approved = client.post(f"/api/v1/operator/payouts/{payout['id']}/approve",
                           json={"reference": "BOC-20261127-0001"}, headers=api_headers(operator))
    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert body["status"] == "paid" and body["channel"] == "bank" and body["reference"] == "BOC-20261127-0001"
    summary = ledger.wallet_summary(solver)
    assert summary["available"] == 20_000 and summary["pending_payout"] == 0
    assert ledger.balance(ledger._find_account("cash:bank", "CNY")) == -50_000 + 30_000
    assert kinds_for(solver)[-2:] == ["payments.payout_requested", "payments.payout_paid"]
    assert verify().ok


def test_rejected_payout_returns_the_money_to_available(client):
    solver, operator = make_verified_user(), make_operator()
    top_up(solver, 50_000)
    payout = service.request_payout(solver, 25_000)
    db.session.commit()
    missing_reason = client.post(f"/api/v1/operator/payouts/{payout.id}/reject", json={},
                                 headers=api_headers(operator))
    assert missing_reason.status_code == 422 and "reason" in missing_reason.get_json()["errors"]
    response = client.post(f"/api/v1/operator/payouts/{payout.id}/reject",
                           json={"reason": "The bank account name does not match."},
                           headers=api_headers(operator))
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"
    assert ledger.wallet_summary(solver) == {"currency": "CNY", "available": 50_000, "held": 0,
                                            "pending_payout": 0}
    assert "payments.payout_rejected" in kinds_for(solver)
    again = client.post(f"/api/v1/operator/payouts/{payout.id}/approve", json={},
                        headers=api_headers(operator))
    assert again.status_code == 409


def test_unverified_users_cannot_request_payouts(client):
    user = make_user()
    top_up(user, 50_000)
    response = client.post("/api/v1/payouts", json={"amount": 20_000}, headers=api_headers(user))
    assert response.status_code == 403
    assert "verif" in response.get_json()["title"].lower()
    assert db.session.query(Payout).count() == 0
    with pytest.raises(Forbidden):
        service.request_payout(user, 20_000)


@pytest.mark.parametrize("amount, field", [
    (0, "amount"), (-5, "amount"), (12.5, "amount"), ("100", "amount"), (True, "amount"),
    (10**30, "amount"), (None, "amount"),
])
def test_bad_payout_amounts_are_422_and_write_nothing(client, amount, field):
    solver = make_verified_user()
    top_up(solver, 50_000)
    before = row_counts()
    response = client.post("/api/v1/payouts", json={"amount": amount}, headers=api_headers(solver))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert row_counts() == before
    assert db.session.query(Payout).count() == 0


def test_payout_limits(client, app):
    solver = make_verified_user()
    top_up(solver, 9_000_000)
    headers = api_headers(solver)

    def post(amount, **extra):
        return client.post("/api/v1/payouts", json={"amount": amount, **extra}, headers=headers)

    above_balance = post(9_000_001)
    assert above_balance.status_code == 422 and "amount" in above_balance.get_json()["errors"]
    below_minimum = post(app.config["PAYOUT_MIN_AMOUNT"] - 1)
    assert below_minimum.status_code == 422 and "amount" in below_minimum.get_json()["errors"]
    foreign = post(20_000, currency="USD")
    assert foreign.status_code == 422 and "currency" in foreign.get_json()["errors"]
    assert post(4_000_000).status_code == 201
    over_daily = post(1_000_001)
    assert over_daily.status_code == 422
    assert "daily" in over_daily.get_json()["errors"]["amount"][0]
    assert post(1_000_000).status_code == 201
    assert db.session.query(Payout).count() == 2
    assert ledger.wallet_summary(solver)["pending_payout"] == 5_000_000


@pytest.mark.parametrize("body, field", [
    ({"subject_id": "1", "method": "wallet"}, "kind"),
    ({"kind": "order", "method": "wallet"}, "subject_id"),
    ({"kind": "order", "subject_id": "1"}, "method"),
    ({"kind": "order", "subject_id": "1", "method": "cash"}, "method"),
])
def test_bad_funding_input_names_the_field(client, body, field):
    poster = make_user()
    make_order(poster)
    response = client.post("/api/v1/fundings", json=body, headers=api_headers(poster))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert db.session.query(Funding).count() == 0


def test_card_is_refused_naming_method_when_stripe_is_not_configured(client):
    poster = make_user()
    order = make_order(poster)
    response = client.post("/api/v1/fundings", json={"kind": "order", "subject_id": order.id,
                                                     "method": "card"}, headers=api_headers(poster))
    assert response.status_code == 422
    assert "method" in response.get_json()["errors"]
    assert db.session.query(Funding).count() == 0
    assert service.available_methods() == ["bank_transfer", "wallet"]


def test_only_the_payer_may_fund_and_sees_the_funding(client):
    poster, other = make_user(), make_user()
    order = make_order(poster)
    response = client.post("/api/v1/fundings", json={"kind": "order", "subject_id": order.id,
                                                     "method": "bank_transfer"}, headers=api_headers(other))
    assert response.status_code == 404  # not the payer's: not even its existence is told
    funding = service.start_funding(poster, "order", order.id, "bank_transfer")
    db.session.commit()
    assert client.get(f"/api/v1/fundings/{funding.id}", headers=api_headers(other)).status_code == 404
    mine = client.get(f"/api/v1/fundings/{funding.id}", headers=api_headers(poster))
    assert mine.status_code == 200 and mine.get_json()["reference"] == funding.reference


def test_top_up_amount_is_validated():
    user = make_user()
    with pytest.raises(ValidationFailed) as exc:
        service.start_funding(user, "wallet", user.id, "bank_transfer", amount=0)
    assert "amount" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        service.start_funding(user, "wallet", user.id, "wallet", amount=100)
    assert "method" in exc.value.errors


def test_confirming_twice_in_a_row_funds_once():
    poster, operator = make_user(), make_operator()
    order = make_order(poster, amount=5_000)
    funding = service.start_funding(poster, "order", order.id, "bank_transfer")
    db.session.commit()
    service.confirm_bank_transfer(operator, funding.id, 5_000)
    db.session.commit()
    with pytest.raises(WrongState):
        service.confirm_bank_transfer(operator, funding.id, 5_000)
    assert ledger.escrow_balance(order.escrow_ref) == 5_000


def test_an_organisation_pays_through_its_own_wallet_account():
    from tests.factories_orgs import make_org
    from tests.factories_payments import ORDERS

    member, operator = make_user(), make_operator()
    org = make_org(member)
    order = make_order(member, amount=30_000)

    class OrgOrder(type(order)):
        @property
        def payer(self):
            from marketplace.organisations.models import Organisation
            return db.session.get(Organisation, org.id)

        @property
        def payer_user(self):
            from marketplace.accounts.models import User
            return db.session.get(User, member.id)

    org_order = OrgOrder(order.id, member.id, 30_000, "CNY", "Org order")
    ORDERS[order.id] = org_order
    funding = service.start_funding(member, "order", order.id, "bank_transfer")
    db.session.commit()
    assert funding.payer_org_id == org.id and funding.payer_user_id == member.id
    service.confirm_bank_transfer(operator, funding.id, 30_000)
    db.session.commit()
    hold = ledger.get_hold(org_order.escrow_ref)
    assert hold.payer_account.code == f"wallet:org:{org.id}"
    assert ledger.wallet_summary(("org", org.id))["held"] == 30_000
    assert ledger.wallet_summary(member)["held"] == 0


def test_operators_find_a_transfer_by_the_reference_on_the_statement(client):
    from tests.factories import login
    poster, operator = make_user(), make_operator()
    funding = service.start_funding(poster, "order", make_order(poster).id, "bank_transfer")
    db.session.commit()
    typed = funding.reference.lower().replace("-", " ")
    found = client.get("/api/v1/operator/bank-transfers", query_string={"reference": typed},
                       headers=api_headers(operator)).get_json()
    assert [t["id"] for t in found["items"]] == [funding.id]
    none = client.get("/api/v1/operator/bank-transfers", query_string={"reference": "HZ-2222-2222"},
                      headers=api_headers(operator)).get_json()
    assert none["items"] == []
    missing = client.get("/api/v1/operator/bank-transfers", headers=api_headers(operator))
    assert missing.status_code == 422 and "reference" in missing.get_json()["errors"]
    assert client.get("/api/v1/operator/bank-transfers", query_string={"reference": typed},
                      headers=api_headers(poster)).status_code == 403
    login(client, operator)
    page = client.get("/operator/bank-transfers", query_string={"reference": typed})
    assert page.status_code == 303 and page.headers["Location"].endswith(f"/operator/bank-transfers/{funding.id}")


def test_subject_ids_out_of_range_are_404_not_500(client):
    poster = make_user()
    for subject_id in ("99999999999999999999", "x" * 100):
        response = client.post("/api/v1/fundings", json={"kind": "wallet", "subject_id": subject_id,
                                                         "method": "bank_transfer", "amount": 100},
                               headers=api_headers(poster))
        assert response.status_code == 404, subject_id
    unknown_kind = client.post("/api/v1/fundings", json={"kind": "nope", "subject_id": "1",
                                                         "method": "bank_transfer"}, headers=api_headers(poster))
    assert unknown_kind.status_code == 404
    assert db.session.query(Funding).count() == 0


def test_ids_out_of_range_in_urls_are_404(client):
    from tests.factories import login
    operator = make_operator()
    huge = 10**20
    headers = api_headers(operator)
    assert client.get(f"/api/v1/fundings/{huge}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/operator/bank-transfers/{huge}/confirm", json={"amount": 1},
                       headers=headers).status_code == 404
    assert client.post(f"/api/v1/operator/payouts/{huge}/approve", json={}, headers=headers).status_code == 404
    assert client.post(f"/api/v1/operator/payouts/{huge}/reject", json={"reason": "x"},
                       headers=headers).status_code == 404
    assert client.post(f"/api/v1/operator/fundings/{huge}/review", json={"note": "x"},
                       headers=headers).status_code == 404
    login(client, operator)
    assert client.get(f"/operator/payouts/{huge}").status_code == 404
    assert client.get(f"/fundings/{huge}").status_code == 404
