"""The detector that fails a browser test on a Content-Security-Policy violation is not blind:
a page with an inline script (no nonce) and an inline event handler, served by the app under its
policy, is reported; a page of the app itself is not."""
from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import CSP_PROBE_PATH, assert_no_csp_violations, watch_csp_violations


@pytest.fixture
def watched(browser, live_server):
    """A page with the same detector as the `page` fixture, but whose violations the test reads
    itself instead of failing at teardown."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = watch_csp_violations(context, page)
    yield page, violations
    context.close()


def _wait_for(violations: list[str], count: int, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while len(violations) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_detector_reports_an_inline_script_and_an_inline_handler(watched):
    page, violations = watched
    response = page.goto(CSP_PROBE_PATH)
    assert "script-src" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    page.click("#inline-handler")
    _wait_for(violations, 2)
    # The browser refused both, and the detector saw each of them.
    assert page.evaluate("window.inlineScriptRan === undefined && window.inlineHandlerRan === undefined")
    assert any("script-src-elem" in v for v in violations), violations  # the <script> element
    assert any("script-src-attr" in v for v in violations), violations  # the onclick attribute
    with pytest.raises(AssertionError, match="CSP violations in the browser console"):
        assert_no_csp_violations(violations)


def test_the_detector_reports_an_inline_script_written_into_a_page_of_the_app(watched):
    page, violations = watched
    page.goto("/")
    page.set_content("<p>Probe</p><img src='x.png' onerror='window.inlineHandlerRan = true'>"
                     "<script>window.inlineScriptRan = true;</script>")
    _wait_for(violations, 1)
    assert page.evaluate("window.inlineScriptRan === undefined")
    assert violations, "an inline script under the app's policy went unreported"


def test_a_page_of_the_app_gives_no_violation(watched):
    page, violations = watched
    page.goto("/")
    page.wait_for_load_state("load")
    time.sleep(0.5)
    assert violations == []
    assert_no_csp_violations(violations)
