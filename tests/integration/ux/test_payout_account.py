"""A payee tells where payouts go: bank, account number, holder — checked, masked on the wallet,
whole for the operator who pays."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.payments import service
from marketplace.payments.models import PayoutAccount
from tests.factories import login, make_operator
from tests.factories_payments import make_verified_user, top_up


def test_the_wallet_saves_a_checked_bank_account_and_shows_it_masked(client):
    solver = make_verified_user()
    login(client, solver)
    bad = client.post("/wallet/payout-account", data={"bank_name": "", "account_number": "12ab",
                                                      "holder_name": ""})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert all(f'data-field="{f}"' in html for f in ("bank_name", "account_number", "holder_name"))
    assert db.session.scalar(db.select(db.func.count(PayoutAccount.id))) == 0
    ok = client.post("/wallet/payout-account", data={"bank_name": "中国工商银行武汉洪山支行",
                                                     "account_number": "6222 0212 3456 7890 123",
                                                     "holder_name": "李明"})
    assert ok.status_code == 303
    account = db.session.scalars(db.select(PayoutAccount)).one()
    assert account.account_number == "6222021234567890123" and account.owner_type == "user"
    wallet = client.get("/wallet").get_data(as_text=True)
    assert "6222 **** **** 0123" in wallet and "6222021234567890123" not in wallet

    top_up(solver, 50_000, make_operator())
    payout = service.request_payout(solver, 20_000)
    db.session.commit()
    login(client, make_operator())
    page = client.get(f"/operator/payouts/{payout.id}").get_data(as_text=True)
    assert "6222021234567890123" in page and "中国工商银行武汉洪山支行" in page


def test_saving_again_replaces_the_account(client):
    solver = make_verified_user()
    login(client, solver)
    for number in ("622202123456789012", "621700987654321098"):
        assert client.post("/wallet/payout-account", data={"bank_name": "建设银行", "account_number": number,
                                                           "holder_name": "李明"}).status_code == 303
    assert [a.account_number for a in db.session.scalars(db.select(PayoutAccount))] == ["621700987654321098"]
