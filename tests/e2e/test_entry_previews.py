"""Previews of a bounty entry's files in the browser, under the Content-Security-Policy: the image
thumbnail loads, and the PDF opens in its frame on the entry page (not refused by a framing rule),
for the author and for the poster judging it; the `page` fixture's CSP watch applies to both."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from .test_tender_flow import PASSWORD, _create_user, _login, live_database  # noqa: F401 (fixture)

PDF = (b"%PDF-1.4\n1 0 obj<< /Type /Catalog /Pages 2 0 R >>endobj\n2 0 obj<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
       b"endobj\n3 0 obj<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n")


def _png() -> bytes:
    import io

    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 90, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.context.add_init_script("document.addEventListener('securitypolicyviolation', function (e) {"
                                 " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI); });")
    page.on("console", lambda msg: violations.append(msg.text)
            if msg.type == "error" and ("Content Security Policy" in msg.text or "CSP violation" in msg.text
                                        or "frame" in msg.text.lower()) else None)
    return violations


def _check_previews(page) -> None:
    image = page.get_by_test_id("preview-image").locator("img").first
    expect(image).to_be_visible()
    assert image.evaluate("i => i.complete && i.naturalWidth") == 40
    pdf = page.get_by_test_id("preview-pdf").first
    pdf.locator("summary").click()
    frame_src = pdf.locator("iframe").get_attribute("src")
    page.wait_for_timeout(1500)
    urls = [f.url for f in page.frames]
    assert any(u.endswith(frame_src) for u in urls), urls
    assert not any(u.startswith("chrome-error://") for u in urls), urls


def test_entry_files_are_previewed_under_the_csp(browser, live_server, live_database, screenshot_dir):  # noqa: F811
    _create_user(live_database, "preview-poster@example.com", "周总")
    _create_user(live_database, "preview-solver@example.com", "吴敏")
    _create_user(live_database, "preview-ops@example.com", "运营小林", role="operator")
    poster = _login(browser, live_server, "preview-poster@example.com", "周总")
    solver = _login(browser, live_server, "preview-solver@example.com", "吴敏")
    operator = _login(browser, live_server, "preview-ops@example.com", "运营小林")
    poster_violations, solver_violations = _watch_csp(poster), _watch_csp(solver)

    poster.goto("/tasks/new")
    form = poster.get_by_test_id("task-form")
    form.locator("select[name=mode]").select_option("bounty")
    form.locator("input[name=title]").fill("光纤接头外观设计征集")
    form.locator("textarea[name=description]").fill("征集光纤快速接头的外观设计，提交效果图（PNG）与设计说明（PDF）。")
    form.locator("select[name=category]").select_option("rd_challenge")
    form.locator("select[name=city]").select_option("wuhan-donghu")
    form.locator("select[name=prize_structure]").select_option("single")
    form.locator("input[name=prizes]").fill("300")
    deadline = (dt.datetime.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form.locator("input[name=submission_deadline]").fill(deadline)
    form.locator("textarea[name=criteria]").fill("美观 60%，可制造性 40%。")
    form.locator("input[name=reward]").fill("300")
    form.locator("button[type=submit]").click()
    expect(poster).to_have_url(re.compile(r"/tasks/\d+$"))
    task_id = int(re.search(r"/tasks/(\d+)$", poster.url).group(1))
    funding = poster.get_by_test_id("funding-form")
    expect(funding.get_by_test_id("fee-net")).to_contain_text("270.00")  # what the winner receives
    funding.locator("select[name=method]").select_option("bank_transfer")
    funding.locator("button[type=submit]").click()
    reference = poster.get_by_test_id("reference").inner_text().strip()
    operator.goto(f"/operator/bank-transfers?reference={reference}")
    operator.locator("input[name=amount]").fill("300.00")
    operator.locator("form button[type=submit]").last.click()
    expect(operator.locator(".flash").first).to_contain_text(reference)
    poster.goto(f"/tasks/{task_id}")
    poster.get_by_test_id("publish").click()
    expect(poster.get_by_test_id("bounty-section")).to_be_visible()

    solver.goto(f"/tasks/{task_id}")
    solver.get_by_test_id("enter-bounty").click()
    entry = solver.get_by_test_id("submission-form")
    entry.locator("textarea[name=text]").fill("流线型外壳，一体注塑。")
    entry.locator("input[name=files]").set_input_files(files=[
        {"name": "效果图.png", "mimeType": "image/png", "buffer": _png()},
        {"name": "设计说明.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    entry.get_by_test_id("submit-entry").click()
    expect(solver.get_by_test_id("receipt-sha")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    _check_previews(solver)
    entry_url = solver.url

    poster.goto(entry_url)
    _check_previews(poster)
    poster.screenshot(path=str(screenshot_dir / "bounty-entry-previews.png"), full_page=True)
    poster.goto(f"/tasks/{task_id}/judging")
    expect(poster.get_by_test_id("preview-image")).to_have_count(1)
    csp = [v for v in poster_violations + solver_violations if "CSP" in v or "Content Security" in v]
    assert not csp, csp
