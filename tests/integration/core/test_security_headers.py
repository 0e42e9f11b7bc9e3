"""Security headers: CSP with a per-request nonce and no framing on pages, nosniff everywhere."""
from __future__ import annotations

import re

from tests.factories import api_headers, login, make_user


def test_pages_carry_a_csp_without_inline_scripts_and_cannot_be_framed(client):
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "https://js.stripe.com" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    # every inline script on the page carries this request's nonce
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", r.text)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in r.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in r.headers  # production only
    assert client.get("/").headers["Content-Security-Policy"] != csp  # a new nonce each time


def test_stripe_is_allowed_only_when_card_payments_are_on(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setitem(app.config, "STRIPE_PUBLISHABLE_KEY", "pk_test_x")
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "https://js.stripe.com" in re.search(r"script-src ([^;]+)", csp).group(1)
    assert "https://js.stripe.com" in re.search(r"frame-src ([^;]+)", csp).group(1)


def test_api_and_error_responses_are_nosniff(client):
    user = make_user()
    assert client.get("/api/v1/me", headers=api_headers(user)).headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/api/v1/tasks/99999").headers["X-Content-Type-Options"] == "nosniff"
    login(client, user)
    assert client.get("/no-such-page").headers["X-Content-Type-Options"] == "nosniff"
