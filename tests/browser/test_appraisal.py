"""In a real browser: HR finalises an evaluation, the person appeals, HR answers."""

from __future__ import annotations

import pytest

from .conftest import sign_in

pytestmark = pytest.mark.browser


def _switch_user(page, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, username)


def test_hr_finalises_the_person_appeals_and_hr_answers(page):
    """The demo's one draft (朱婷, c1005) goes through finalisation, an appeal and HR's answer."""
    sign_in(page, "hr")
    page.goto(page.base_url + "/appraisal/evaluations?status=draft")
    page.click("main a:text-is('Score')")
    for field in page.locator("input[name^=points_]").all():
        field.fill("15")
    page.locator("textarea[name^=note_]").first.fill("依据考勤台账核定")
    page.click("[data-testid=finalise]")
    page.wait_for_url("**/appraisal/evaluations/*")
    evaluation_url = page.url
    assert "Finalised" in page.inner_text("main")
    assert page.inner_text("[data-testid=total]").startswith("45")

    _switch_user(page, "c1005")
    page.goto(page.base_url + "/appraisal/")
    assert "Finalised" in page.inner_text("main")
    page.goto(evaluation_url)
    assert "依据考勤台账核定" in page.inner_text("[data-testid=scores]")
    page.fill("#reason", "群众满意度的回访记录不完整，请复核。")
    page.click("main input[type=submit][value=Appeal]")
    assert "Your appeal has been sent to HR" in page.inner_text("main")

    _switch_user(page, "hr")
    page.goto(page.base_url + "/appraisal/appeals")
    assert "群众满意度的回访记录不完整" in page.inner_text("main")
    page.click("main tr:has-text('朱婷') a:text-is('Answer')")
    page.check("input[value=rejected]")
    page.fill("#answer", "回访记录完整，维持原评定。")
    page.click("main input[type=submit][value='Send the answer']")
    assert "Appeal rejected" in page.inner_text("main")

    _switch_user(page, "c1005")
    page.goto(page.base_url + "/appraisal/")
    assert "Finalised" in page.inner_text("main")
    page.goto(evaluation_url)
    assert "回访记录完整，维持原评定。" in page.inner_text("[data-testid=appeal-answer]")
