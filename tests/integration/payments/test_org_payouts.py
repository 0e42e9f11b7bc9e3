"""An organisation takes money out of its wallet like a user does: its owner or a manager asks, the
organisation must be verified, the same minimum and daily limit (counted per organisation), an
operator approves (four eyes above the threshold; never an operator of the same organisation),
paid to the organisation's own payout account; the requester and every manager are told."""
from __future__ import annotations

import pytest

from marketplace.core import audit
from marketplace.core.errors import Forbidden, NotFound
from marketplace.extensions import db
from marketplace.ledger import service as ledger
from marketplace.ledger.verify import verify
from marketplace.notifications.models import Notification
from marketplace.payments import service
from marketplace.payments.models import ConnectedAccount, Payout, PayoutAccount
from tests.factories import api_headers, login, make_operator, make_user
from tests.factories_orgs import make_org, make_verification
from tests.factories_payments import make_verified_user, top_up
from tests.factories_payments import verify as verify_identity


def kinds_for(user) -> list[str]:
    return [n.kind for n in db.session.scalars(
        db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def top_up_org(org, manager, amount: int):
    """Money into the organisation's wallet: a bank transfer started by a manager, confirmed."""
    funding = service.start_funding(manager, "org_wallet", org.id, "bank_transfer", amount=amount)
    db.session.commit()
    service.confirm_bank_transfer(make_operator(), funding.id, amount)
    db.session.commit()
    if funding.status == "pending":  # four eyes: a second operator
        service.confirm_bank_transfer(make_operator(), funding.id, amount)
        db.session.commit()
    return funding


@pytest.fixture
def firm():
    owner, manager, member = make_user(display_name="王总"), make_user(display_name="陈经理"), make_user()
    org = make_org(owner, name="楚光光纤", members={manager: "manager", member: "member"})
    make_verification(owner, org=org, status="approved")
    top_up_org(org, owner, 80_000)
    return {"org": org, "owner": owner, "manager": manager, "member": member}


def test_a_manager_asks_and_an_operator_pays_the_organisation_by_bank(client, firm):
    org, owner, manager = firm["org"], firm["owner"], firm["manager"]
    operator = make_operator()
    put = client.put(f"/api/v1/orgs/{org.id}/payout-account", headers=api_headers(manager),
                     json={"bank_name": "汉口银行光谷支行", "account_number": "5702 1000 2233 4455 66",
                           "holder_name": "武汉楚光光纤有限公司"})
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["account_number"] == "5702 **** **** 5566"
    assert db.session.scalars(db.select(PayoutAccount)).one().owner_type == "org"

    response = client.post(f"/api/v1/orgs/{org.id}/payouts", json={"amount": 30_000},
                           headers=api_headers(manager))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["org_id"] == org.id and body["user_id"] == manager.id and body["status"] == "requested"
    # The organisation's wallet pays; the manager's own wallet is untouched.
    assert ledger.wallet_summary(org) == {"currency": "CNY", "available": 50_000, "held": 0,
                                          "pending_payout": 30_000}
    assert ledger.wallet_summary(manager)["available"] == 0
    assert kinds_for(manager) == ["payments.org_payout_requested"]
    assert "payments.org_payout_requested_by" in kinds_for(owner)
    assert kinds_for(firm["member"]) == []
    assert [a.action for a in db.session.scalars(db.select(audit.AuditEntry))
            if a.action == "payments.org_payout_requested"] == ["payments.org_payout_requested"]

    listed = client.get(f"/api/v1/orgs/{org.id}/payouts", headers=api_headers(owner)).get_json()
    assert [(p["id"], p["amount"]) for p in listed["items"]] == [(body["id"], 30_000)]
    assert client.get("/api/v1/payouts", headers=api_headers(manager)).get_json()["items"] == []

    queue = client.get("/api/v1/operator/queue", headers=api_headers(operator)).get_json()
    assert [(p["id"], p["org_id"]) for p in queue["payouts"]] == [(body["id"], org.id)]
    login(client, operator)
    page = client.get(f"/operator/payouts/{body['id']}").get_data(as_text=True)
    assert "楚光光纤" in page and "5702100022334455 66".replace(" ", "") in page and "陈经理" in page
    assert "¥500.00" in page  # the organisation's balance after the request
    queue_page = client.get("/operator/").get_data(as_text=True)
    assert "楚光光纤" in queue_page

    approved = client.post(f"/api/v1/operator/payouts/{body['id']}/approve",
                           json={"reference": "HKB-20261130-0007"}, headers=api_headers(operator))
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "paid"
    assert ledger.wallet_summary(org) == {"currency": "CNY", "available": 50_000, "held": 0,
                                          "pending_payout": 0}
    for person in (owner, manager):
        assert kinds_for(person)[-1] == "payments.org_payout_paid"
    assert verify().ok


def test_rejecting_returns_the_money_to_the_organisation(client, firm):
    org, owner = firm["org"], firm["owner"]
    payout = service.request_org_payout(owner, org, 20_000)
    db.session.commit()
    r = client.post(f"/api/v1/operator/payouts/{payout.id}/reject", json={"reason": "账户名不符"},
                    headers=api_headers(make_operator()))
    assert r.status_code == 200 and r.get_json()["status"] == "rejected"
    assert ledger.wallet_summary(org)["available"] == 80_000
    assert kinds_for(owner)[-1] == "payments.org_payout_rejected"
    assert kinds_for(firm["manager"])[-1] == "payments.org_payout_rejected"
    assert verify().ok


def test_limits_are_the_users_and_counted_per_organisation(client, app, firm):
    org, owner = firm["org"], firm["owner"]
    top_up_org(org, owner, 6_000_000)
    headers = api_headers(owner)

    def post(amount, **extra):
        return client.post(f"/api/v1/orgs/{org.id}/payouts", json={"amount": amount, **extra}, headers=headers)

    below = post(app.config["PAYOUT_MIN_AMOUNT"] - 1)
    assert below.status_code == 422 and "amount" in below.get_json()["errors"]
    assert post(6_080_001).status_code == 422  # above the balance
    assert post(20_000, currency="USD").get_json()["errors"].keys() == {"currency"}
    assert post(4_000_000).status_code == 201
    over = post(1_000_001)
    assert over.status_code == 422 and "daily" in over.get_json()["errors"]["amount"][0]
    assert post(1_000_000).status_code == 201
    # The owner's own payouts have their own limit: the organisation's do not count against it.
    verify_identity(owner)
    top_up(owner, 100_000)
    own = client.post("/api/v1/payouts", json={"amount": 50_000}, headers=headers)
    assert own.status_code == 201 and own.get_json()["org_id"] is None
    assert db.session.query(Payout).filter(Payout.org_id == org.id).count() == 2
    assert ledger.wallet_summary(org)["pending_payout"] == 5_000_000
    assert verify().ok


def test_an_organisation_not_verified_cannot_withdraw(client):
    owner = make_user()
    org = make_org(owner)
    make_verification(owner, org=org, status="pending")
    top_up_org(org, owner, 50_000)
    r = client.post(f"/api/v1/orgs/{org.id}/payouts", json={"amount": 20_000}, headers=api_headers(owner))
    assert r.status_code == 403 and "verif" in r.get_json()["title"].lower()
    with pytest.raises(Forbidden):
        service.request_org_payout(owner, org, 20_000)
    assert db.session.query(Payout).count() == 0
    login(client, owner)
    page = client.get(f"/orgs/{org.id}/wallet").get_data(as_text=True)
    assert 'data-testid="org-not-verified"' in page
    assert ledger.wallet_summary(org)["available"] == 50_000


def test_plain_members_and_strangers_get_404(client, firm):
    org, member = firm["org"], firm["member"]
    stranger = make_verified_user()
    for user in (member, stranger):
        headers = api_headers(user)
        assert client.post(f"/api/v1/orgs/{org.id}/payouts", json={"amount": 20_000},
                           headers=headers).status_code == 404
        assert client.get(f"/api/v1/orgs/{org.id}/payouts", headers=headers).status_code == 404
        assert client.get(f"/api/v1/orgs/{org.id}/wallet", headers=headers).status_code == 404
        assert client.put(f"/api/v1/orgs/{org.id}/payout-account", headers=headers,
                          json={"bank_name": "x", "account_number": "123456789012", "holder_name": "y"}
                          ).status_code == 404
        login(client, user)
        assert client.get(f"/orgs/{org.id}/wallet").status_code == 404
        assert client.post(f"/orgs/{org.id}/wallet/payouts", data={"amount": "200"}).status_code == 404
        client.get("/logout")
    with pytest.raises(NotFound):
        service.request_org_payout(member, org, 20_000)
    assert db.session.query(Payout).count() == 0
    assert db.session.query(PayoutAccount).count() == 0


def test_no_operator_of_the_organisation_decides_its_payout(client, firm):
    org, owner = firm["org"], firm["owner"]
    insider = make_operator()
    from marketplace.organisations.models import Membership
    db.session.add(Membership(org_id=org.id, user_id=insider.id, role="member"))
    db.session.commit()
    payout = service.request_org_payout(owner, org, 20_000)
    db.session.commit()
    for action, body in (("approve", {}), ("reject", {"reason": "no"})):
        r = client.post(f"/api/v1/operator/payouts/{payout.id}/{action}", json=body, headers=api_headers(insider))
        assert r.status_code == 403 and "separation-of-duties" in r.get_json()["type"]
    assert db.session.get(Payout, payout.id).status == "requested"
    r = client.post(f"/api/v1/operator/payouts/{payout.id}/approve", json={}, headers=api_headers(make_operator()))
    assert r.status_code == 200 and r.get_json()["status"] == "paid"
    assert verify().ok


def test_a_large_organisation_payout_needs_a_second_operator(client, app, monkeypatch, firm):
    monkeypatch.setitem(app.config, "FOUR_EYES_AMOUNT", 50_000)
    org, owner = firm["org"], firm["owner"]
    payout = service.request_org_payout(owner, org, 60_000)
    db.session.commit()
    first, second = make_operator(), make_operator()
    r = client.post(f"/api/v1/operator/payouts/{payout.id}/approve", json={}, headers=api_headers(first))
    assert r.status_code == 202 and r.get_json()["second_confirmation"]["required"]
    assert db.session.get(Payout, payout.id).status == "requested"
    again = client.post(f"/api/v1/operator/payouts/{payout.id}/approve", json={}, headers=api_headers(first))
    assert again.status_code in (403, 409)
    r = client.post(f"/api/v1/operator/payouts/{payout.id}/approve", json={}, headers=api_headers(second))
    assert r.status_code == 200 and r.get_json()["status"] == "paid"
    assert ledger.wallet_summary(org)["available"] == 20_000
    assert verify().ok


def test_the_organisation_wallet_page_requests_a_payout_and_masks_the_account(client, firm):
    org, manager = firm["org"], firm["manager"]
    login(client, manager)
    client.set_cookie("lang", "en")
    show = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert f"/orgs/{org.id}/wallet" in show
    bad = client.post(f"/orgs/{org.id}/wallet/payout-account",
                      data={"bank_name": "", "account_number": "12ab", "holder_name": ""})
    assert bad.status_code == 422 and 'data-field="account_number"' in bad.get_data(as_text=True)
    ok = client.post(f"/orgs/{org.id}/wallet/payout-account",
                     data={"bank_name": "汉口银行光谷支行", "account_number": "570210002233445566",
                           "holder_name": "武汉楚光光纤有限公司"})
    assert ok.status_code == 303 and ok.headers["Location"].endswith(f"/orgs/{org.id}/wallet")
    too_much = client.post(f"/orgs/{org.id}/wallet/payouts", data={"amount": "900"})
    assert too_much.status_code == 422 and 'data-field="amount"' in too_much.get_data(as_text=True)
    assert client.post(f"/orgs/{org.id}/wallet/payouts", data={"amount": "300.00"}).status_code == 303
    page = client.get(f"/orgs/{org.id}/wallet").get_data(as_text=True)
    assert "Wallet of 楚光光纤" in page and "5702 **** **** 5566" in page and "570210002233445566" not in page
    assert "¥500.00" in page and "¥300.00" in page and "陈经理" in page  # available, pending, asked by
    client.set_cookie("lang", "zh_CN")
    zh = client.get(f"/orgs/{org.id}/wallet").get_data(as_text=True)
    assert "楚光光纤的钱包" in zh or "楚光光纤 的钱包" in zh
    assert ledger.wallet_summary(org)["pending_payout"] == 30_000


def test_an_organisation_stripe_account_is_its_own(client, firm, monkeypatch):
    from marketplace.payments import gateway
    org, owner = firm["org"], firm["owner"]
    monkeypatch.setattr(gateway, "card_enabled", lambda: True)
    monkeypatch.setattr(gateway, "retrieve_account", lambda account_id: {"id": account_id})
    service.set_connected_account(owner, "acct_org_123", org=org)
    db.session.commit()
    account = db.session.scalars(db.select(ConnectedAccount)).one()
    assert account.org_id == org.id and account.user_id is None
    assert service.connected_account_of(org).stripe_account_id == "acct_org_123"
    assert service.connected_account_of(owner) is None


def test_the_demo_has_an_organisation_payout_waiting(app):
    from marketplace.operator import queue
    from marketplace.organisations.models import Organisation
    from marketplace.payments import demo
    runner = app.test_cli_runner()
    for _ in range(2):  # loading twice changes nothing
        result = runner.invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
    org = db.session.scalars(db.select(Organisation).where(Organisation.name == "楚光光纤科技有限公司")).one()
    waiting = [p for p in queue.as_json()["payouts"] if p["org_id"] == org.id]
    assert [p["amount"] for p in waiting] == [demo.ORG_PAYOUT[3]]
    assert ledger.wallet_summary(org)["available"] == demo.ORG_PAYOUT[2] - demo.ORG_PAYOUT[3]
    assert db.session.scalars(db.select(PayoutAccount).where(PayoutAccount.owner_type == "org")).one().owner_id == org.id
    assert verify().ok


def test_managers_asking_at_once_never_overdraw_the_organisation(app, postgres_only, firm):
    from tests.races import race_clients
    org = firm["org"]
    top_up_org(org, firm["owner"], 20_000)  # 1,000.00 in all
    people = [api_headers(firm["owner"]), api_headers(firm["manager"])]
    url = f"/api/v1/orgs/{org.id}/payouts"

    def send(c, i):
        return c.post(url, json={"amount": 30_000}, headers=people[i % 2])

    results = race_clients(app, send, 16)
    assert all(not isinstance(r, Exception) for r in results), results
    assert len([r for r in results if r.status_code == 201]) == 3
    assert {r.status_code for r in results} <= {201, 409, 422}
    db.session.expire_all()
    assert ledger.wallet_summary(org) == {"currency": "CNY", "available": 10_000, "held": 0,
                                          "pending_payout": 90_000}
    assert verify().ok
