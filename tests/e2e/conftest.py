"""Browser tests: the real app served by werkzeug in a thread, driven by Debian's chromium.

Never downloads a browser: Playwright drives /usr/bin/chromium. Without it the tests are skipped
locally and fail in CI (CI=true), where .ci/run installs it.
"""
from __future__ import annotations

import os
import re
import socket
import threading
from pathlib import Path

import pytest
from flask import Blueprint
from werkzeug.serving import make_server

from config import TestingConfig
from marketplace import create_app
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMail
from tests.integration.core.conftest import compile_catalogues

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]


# The detector of Content-Security-Policy violations every browser test runs under (see `page`).
CSP_LISTENER = ("document.addEventListener('securitypolicyviolation', function (e) {"
                " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI); });")

# A page that breaks the policy on purpose: an inline script without the nonce and an inline event
# handler. Registered only on the browser tests' app, so the detector can be shown to see them.
CSP_PROBE_PATH = "/e2e-only/csp-probe"
CSP_PROBE_PAGE = """<!doctype html><html><head><title>CSP probe</title></head><body>
<script>window.inlineScriptRan = true;</script>
<button id="inline-handler" onclick="window.inlineHandlerRan = true">Inline handler</button>
</body></html>"""


def _csp_probe_blueprint() -> Blueprint:
    bp = Blueprint("e2e_csp_probe", __name__)

    @bp.get(CSP_PROBE_PATH)
    def csp_probe():
        return CSP_PROBE_PAGE  # text/html: the app adds its Content-Security-Policy header

    return bp


def watch_csp_violations(context, page) -> list[str]:
    """Install the detector on a browser context and its page; the list fills with every CSP
    violation the browser reports (the console's own refusal and the `securitypolicyviolation`
    event)."""
    context.add_init_script(CSP_LISTENER)
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text)
            if msg.type == "error" and ("Content Security Policy" in msg.text or "CSP violation" in msg.text)
            else None)
    return violations


def assert_no_csp_violations(violations: list[str]) -> None:
    assert not violations, "CSP violations in the browser console:\n" + "\n".join(violations)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where screenshots go: SCREENSHOT_DIR (`make screenshots` sets docs/screenshots), else a
    scratch directory ignored by git, so a plain test run leaves the working tree clean."""
    path = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "screenshots-tmp")
    if not path.is_absolute():
        path = ROOT / path
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app the browser tests run against: a fresh SQLite file and real CSRF-protected forms."""
    compile_catalogues()
    tmp = tmp_path_factory.mktemp("e2e")
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp / 'e2e.sqlite3'}",
                     UPLOAD_DIR=str(tmp / "uploads"), WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False,
                     SERVER_NAME=None, TESTING=False, BABEL_DEFAULT_LOCALE="zh_CN")
    app.register_blueprint(_csp_probe_blueprint())
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    """The app on 127.0.0.1:<free port>, served by werkzeug in a thread."""
    port = _free_port()
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(10)


def mailed_path(live_app, to: str, pattern: str) -> str:
    """The path of the newest link matching `pattern` (a regular expression for the path) in the
    mails the app sent to `to`, as a person opens it from their mailbox."""
    with live_app.app_context():
        bodies = db.session.scalars(db.select(OutboxMail.body).where(OutboxMail.to == to)
                                    .order_by(OutboxMail.id.desc())).all()
        db.session.remove()
    for body in bodies:
        match = re.search(r"https?://[^/\s]+(" + pattern + r")", body)
        if match:
            return match.group(1)
    raise AssertionError(f"no mail to {to} holds a link like {pattern}")


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the browser tests", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                  locale="zh-CN")
    context.set_default_timeout(15_000)
    # Every journey runs under the Content-Security-Policy: a violation (an inline script without
    # the nonce, a blocked source) shows in the console and fails the test
    # (test_csp_detector.py shows the detector sees them).
    page = context.new_page()
    violations = watch_csp_violations(context, page)
    yield page
    context.close()
    assert_no_csp_violations(violations)
