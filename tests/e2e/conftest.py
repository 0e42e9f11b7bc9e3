"""Browser tests: the real app served by werkzeug in a thread, driven by Debian's chromium.

Never downloads a browser: Playwright drives /usr/bin/chromium. Without it the tests are skipped
locally and fail in CI (CI=true), where .ci/run installs it.
"""
from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from config import TestingConfig
from marketplace import create_app
from marketplace.extensions import db
from tests.integration.core.conftest import compile_catalogues

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]


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
def live_server(tmp_path_factory):
    """The app on 127.0.0.1:<free port> with a fresh SQLite file and real CSRF-protected forms."""
    compile_catalogues()
    tmp = tmp_path_factory.mktemp("e2e")
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp / 'e2e.sqlite3'}",
                     UPLOAD_DIR=str(tmp / "uploads"), WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False,
                     SERVER_NAME=None, TESTING=False, BABEL_DEFAULT_LOCALE="zh_CN")
    with app.app_context():
        db.create_all()
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(10)
        with app.app_context():
            db.engine.dispose()


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
    # the nonce, a blocked source) shows in the console and fails the test.
    context.add_init_script("document.addEventListener('securitypolicyviolation', function (e) {"
                            " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI); });")
    page = context.new_page()
    violations = []
    page.on("console", lambda msg: violations.append(msg.text)
            if msg.type == "error" and ("Content Security Policy" in msg.text or "CSP violation" in msg.text)
            else None)
    yield page
    context.close()
    assert not violations, "CSP violations in the browser console:\n" + "\n".join(violations)
