"""A new user registers, confirms the address with the mailed link, logs in, switches language
and sees the Chinese home page."""
from __future__ import annotations

import itertools
import re

from playwright.sync_api import expect

from tests.e2e.conftest import mailed_path

PASSWORD = "Correct-Horse-42"
_seq = itertools.count(1)

ZH_TITLE = "汇聚众智，成就每一项任务"
EN_TITLE = "Gather the crowd, get the work done"


def _email() -> str:
    return f"e2e{next(_seq)}@example.com"


def _register(page, email: str, name: str) -> None:
    page.goto("/register")
    form = page.get_by_test_id("register-form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=display_name]").fill(name)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=confirm]").fill(PASSWORD)
    form.locator("select[name=account_type]").select_option("individual")
    form.locator("button[type=submit]").click()


def _assert_png(path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000, path


def test_register_login_switch_language_and_see_the_chinese_home(page, live_server, live_app, screenshot_dir):
    email = _email()

    page.goto("/register")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("register-form")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "register.png"), full_page=True)
    _assert_png(screenshot_dir / "register.png")

    _register(page, email, "李雷")
    expect(page).to_have_url(re.compile(r"/register/check-email$"))
    expect(page.get_by_test_id("check-email")).to_contain_text("查收")

    # Not confirmed yet: logging in is refused, with a button to send the link again.
    page.goto("/login")
    form = page.get_by_test_id("login-form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("resend-confirmation")).to_be_visible()
    expect(page.locator(".usernav")).not_to_contain_text("李雷")

    # The link in the mail confirms the address and signs in.
    page.goto(mailed_path(live_app, email, r"/register/confirm/\S+"))
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.locator(".usernav")).to_contain_text("李雷")

    # Log out, then log in again through the login form.
    page.locator(".usernav form button[type=submit]").click()
    expect(page.locator(".usernav")).not_to_contain_text("李雷")
    page.goto("/login")
    form = page.get_by_test_id("login-form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(live_server + "/")
    expect(page.locator(".usernav")).to_contain_text("李雷")

    # Switch to English and back to Chinese with the header links.
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("home-title")).to_have_text(EN_TITLE)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("lang-zh").click()
    expect(page.get_by_test_id("home-title")).to_have_text(ZH_TITLE)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("footer")).to_contain_text("汇众——面向湖北")

    page.screenshot(path=str(screenshot_dir / "home-zh.png"), full_page=True)
    _assert_png(screenshot_dir / "home-zh.png")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.get_by_test_id("home-title")).to_have_text(ZH_TITLE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the phone layout scrolls sideways ({width}px wide)"
    page.screenshot(path=str(screenshot_dir / "home-zh-phone.png"), full_page=True)
    _assert_png(screenshot_dir / "home-zh-phone.png")


def test_the_language_choice_survives_a_new_page(page):
    page.goto("/")
    expect(page.get_by_test_id("home-title")).to_have_text(ZH_TITLE)
    page.get_by_test_id("lang-en").click()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/")
    expect(page.get_by_test_id("home-title")).to_have_text(EN_TITLE)


def test_a_bad_registration_keeps_the_input_and_names_the_field(page):
    page.goto("/register")
    form = page.get_by_test_id("register-form")
    form.locator("input[name=email]").fill("wang@example.com")
    form.locator("input[name=display_name]").fill("王芳")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=confirm]").fill(PASSWORD + "x")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/register")) as info:
        form.locator("button[type=submit]").click()
    assert info.value.status == 422
    expect(page.locator("p.error[data-field=confirm]")).to_be_visible()
    expect(page.locator("input[name=email]")).to_have_value("wang@example.com")
    expect(page.locator("input[name=display_name]")).to_have_value("王芳")


def test_a_form_without_its_csrf_token_is_refused(page, live_server):
    response = page.request.post(live_server + "/login",
                                 form={"email": "x@example.com", "password": PASSWORD})
    assert response.status == 400
