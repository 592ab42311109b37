"""In a real browser: sign in, switch language, sign out."""

from __future__ import annotations

import pytest

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_sign_in_switch_language_and_sign_out(page):
    """A cadre signs in on a phone-sized screen, switches to Chinese and back, and signs out."""
    sign_in(page, "cadre")
    assert "Hello, 赵磊" in page.inner_text("[data-testid=greeting]")
    page.click("button.navbar-toggler")
    page.click("button[name=language][value=zh_Hans_CN]")
    assert "赵磊，您好" in page.inner_text("[data-testid=greeting]")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.click("button.navbar-toggler")
    page.click("[data-testid=signed-in-as]")
    page.click("text=退出")
    page.wait_for_url("**/login")
    assert "您已退出登录" in page.content()
    page.goto(page.base_url + "/")
    assert page.url.startswith(page.base_url + "/login")


def test_wrong_password_shows_the_generic_message(page):
    """A mistyped password says so without saying which part was wrong."""
    page.goto(page.base_url + "/login")
    page.fill("#username", "cadre")
    page.fill("#password", "nope")
    page.click("#submit")
    assert "not correct" in page.inner_text("main")
