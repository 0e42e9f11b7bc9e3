"""Security headers on every response.

- `Content-Security-Policy` on pages: scripts only from this site or carrying the request's nonce
  (`<script nonce="{{ csp_nonce() }}">`), Stripe's Payment Element allowed only when card payments
  are on, no framing by other sites (`frame-ancestors 'none'`, plus `X-Frame-Options: DENY` for old
  browsers), no plugins, forms posting only here.
- `X-Content-Type-Options: nosniff` on every response (pages, API, uploads served as files).
- `Referrer-Policy` and `Permissions-Policy` everywhere; `Strict-Transport-Security` in production.
"""
from __future__ import annotations

import secrets

from flask import current_app, g

STRIPE_JS = "https://js.stripe.com"
STRIPE_FRAMES = ("https://js.stripe.com", "https://hooks.stripe.com")
STRIPE_API = "https://api.stripe.com"


def csp_nonce() -> str:
    """The nonce of this request's inline scripts (one per request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(nonce: str, *, card_payments: bool) -> str:
    script = ["'self'", f"'nonce-{nonce}'"]
    frames = ["'self'"]
    connect = ["'self'"]
    if card_payments:
        script.append(STRIPE_JS)
        frames.extend(STRIPE_FRAMES)
        connect.append(STRIPE_API)
    directives = {
        "default-src": ["'self'"],
        "script-src": script,
        "style-src": ["'self'", "'unsafe-inline'"],  # style attributes in templates; no script
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": connect,
        "frame-src": frames,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), usb=(), "
                                             "payment=(self \"https://js.stripe.com\")")
    headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        card = bool(current_app.config.get("STRIPE_SECRET_KEY") and current_app.config.get("STRIPE_PUBLISHABLE_KEY"))
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce(), card_payments=card))
    if current_app.config.get("ENV_NAME") == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_headers(app) -> None:
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
