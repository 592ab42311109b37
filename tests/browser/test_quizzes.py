"""In a real browser: take a timed test, reload half-way, find the answers still there, submit, see the result."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.browser


def _answer_current_question(page) -> None:
    """Give an answer to whatever kind of question is shown, and wait for the background save."""
    form = page.locator("#attempt-form")
    if form.locator("input[type=radio]").count():
        form.locator("input[type=radio]").first.check()
    elif form.locator("input[type=checkbox]").count():
        form.locator("input[type=checkbox]").first.check()
    elif form.locator("input[type=text]").count():
        form.locator("input[type=text]").fill("2")
    else:
        form.locator("textarea").fill("Two officers, written record.")
    expect(page.locator("#save-status")).to_have_text("Saved")


def _answered_state(page):
    form = page.locator("#attempt-form")
    if form.locator("input[type=radio], input[type=checkbox]").count():
        return form.locator("input[type=radio], input[type=checkbox]").first.is_checked()
    if form.locator("input[type=text]").count():
        return form.locator("input[type=text]").input_value() == "2"
    return bool(form.locator("textarea").input_value())


def test_timed_test_survives_a_reload_and_shows_the_result(page):
    """Answers saved in the background are there after a reload; submitting shows the score."""
    sign_in(page, "cadre")
    page.goto(page.base_url + "/quizzes/tests")
    page.click("text=Administrative Penalty Law essentials quiz")
    page.click("text=Start the test")
    page.wait_for_url(re.compile(r".*/quizzes/attempts/\d+$"))
    countdown = page.locator("[data-countdown-text]")
    first = countdown.inner_text()
    assert re.match(r"^(19|20):\d\d$", first)
    expect(countdown).not_to_have_text(first)  # the countdown runs

    _answer_current_question(page)
    page.click("#save-next")  # without waiting for script: the form itself saves too
    page.wait_for_url(re.compile(r".*\?q=2$"))
    _answer_current_question(page)
    page.click(".page-link[data-position='3']")  # leave by a link: only the background save kept it
    page.wait_for_url(re.compile(r".*\?q=3$"))
    _answer_current_question(page)

    page.reload()
    assert _answered_state(page)
    page.goto(page.url.replace("?q=3", "?q=2"))
    assert _answered_state(page)

    page.click("text=Finish")
    assert "3 of 10 questions answered" in page.inner_text("[data-testid=answered-count]")
    page.click("#submit-attempt")
    page.wait_for_url(re.compile(r".*/result$"))
    result = page.inner_text("[data-testid=result]")
    assert re.search(r"\d+%", result) and ("Passed" in result or "Not passed" in result)
    assert "Correct answer" in page.inner_text("main")  # this test shows the key after submission
