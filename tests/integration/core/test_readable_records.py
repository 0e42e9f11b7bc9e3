"""Records people read are words in their language: audit actions, why a payment was flagged,
and where an organisation's wallet line leads."""
from __future__ import annotations

import re
from pathlib import Path

from marketplace.core import audit
from marketplace.extensions import db
from marketplace.payments import flags
from tests.factories import login, make_operator, make_user
from tests.factories_ledger import fund_wallet
from tests.factories_orgs import make_org
from tests.factories_payments import top_up

ROOT = Path(__file__).resolve().parents[3]


def _lang(client, lang):
    client.set_cookie("lang", lang)
    return client


def test_every_recorded_action_has_words():
    recorded = set()
    for path in (ROOT / "marketplace").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        recorded |= set(re.findall(r"""\brecord\(\s*["']([a-z_]+\.[a-z_]+)["']""", text))
        recorded |= set(re.findall(r"""_ACTION\s*=\s*["']([a-z_]+\.[a-z_]+)["']""", text))
    assert len(recorded) > 30
    assert sorted(recorded - set(audit.ACTIONS)) == []


def test_the_audit_log_shows_actions_as_words_in_both_languages(client):
    operator = make_operator()
    target = make_user()
    audit.record("four_eyes.first_confirmation", actor=operator, target=target,
                 action_name="payments.bank_transfer_confirm", amount=6_000_000)
    audit.record("user.suspend", actor=operator, target=target)
    db.session.commit()
    login(client, operator)
    page = _lang(client, "en").get("/operator/audit").text
    assert "User suspended" in page and "First of two confirmations" in page
    assert "action_name: Bank transfer confirmation" in page
    assert ">user.suspend<" not in page and ": payments.bank_transfer_confirm" not in page
    page = _lang(client, "zh_CN").get("/operator/audit").text
    assert "用户已停用" in page and "双人复核：第一次确认" in page and "确认银行转账" in page
    page = _lang(client, "zh_CN").get(f"/operator/users/{target.id}").text
    assert "用户已停用" in page


def test_a_flagged_payment_says_why_in_the_readers_language(client):
    operator = make_operator()
    funding = top_up(make_user(), 10_000)
    flags.flag(funding, "intent_amount_mismatch", received=flags.amount_text(9_000, "cny"))
    db.session.commit()
    assert funding.flag_reason == "Stripe received 90.00 CNY, which does not match this payment."
    login(client, operator)
    page = _lang(client, "en").get("/operator/").text
    assert "Stripe received 90.00 CNY, which does not match this payment." in page
    page = _lang(client, "zh_CN").get("/operator/").text
    assert "Stripe 收到 90.00 CNY，与本笔付款不符。" in page
    entry = db.session.scalar(db.select(audit.AuditEntry).where(audit.AuditEntry.action == "payments.funding_flagged"))
    assert entry.details["code"] == "intent_amount_mismatch"


def test_an_organisation_wallet_line_links_to_the_organisation(client):
    owner = make_user()
    org = make_org(owner)
    fund_wallet(("org", org.id), 50_000)
    fund_wallet(owner, 1_000)
    login(client, owner)
    for path in (f"/orgs/{org.id}", f"/orgs/{org.id}/wallet"):
        page = _lang(client, "en").get(path).text
        assert f'<a href="/orgs/{org.id}/wallet">Wallet top-up</a>' in page, path
        assert '<a href="/wallet">Wallet top-up' not in page, path
    own = _lang(client, "en").get("/wallet").text
    assert '<a href="/wallet">Wallet top-up</a>' in own
