"""In a real browser: taking a lesson, and checking in to a weekend class with the code shown in class."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_taking_a_lesson_resumes_where_the_learner_left_off(page):
    """The demo cadre opens a course from the catalog, resumes at lesson 4, marks it done and moves on."""
    sign_in(page, "cadre")
    page.goto(page.base_url + "/courses")
    page.click("[data-course=penalty-law-essentials-zh] a")
    page.wait_for_url("**/courses/penalty-law-essentials-zh")
    assert page.locator("[data-done]").count() == 3
    page.click("[data-testid=resume]")
    page.wait_for_url("**/lessons/04-*")
    title = page.inner_text("[data-testid=lesson-title]")
    assert title
    assert "Lesson 4 of" in page.inner_text("main")
    page.click("[data-testid=mark-done]")
    page.wait_for_url("**/lessons/05-*")
    page.click("text=← Previous")
    page.wait_for_url("**/lessons/04-*")
    assert page.inner_text("[data-testid=lesson-done]") == "Done"
    page.goto(page.base_url + "/courses/penalty-law-essentials-zh")
    assert page.locator("[data-done]").count() == 4


def test_checking_in_to_a_class_with_the_code(page, browser, live_server):
    """The instructor shows a code; the cadre enters it on a phone; a second try is refused."""
    from learning.audit import utcnow
    from learning.courses.models import Audience, ClassSession
    from learning.extensions import db

    with live_server.app.app_context():
        session_id = db.session.execute(
            sa.select(ClassSession.id).where(ClassSession.starts_at > utcnow(), ClassSession.audience == Audience.all)
            .order_by(ClassSession.id).limit(1)).scalar_one()
    sign_in(page, "instructor")
    page.goto(f"{page.base_url}/classes/{session_id}")
    page.fill("#minutes", "10")
    page.click("text=Show check-in code")
    code = page.inner_text("[data-testid=checkin-code]").strip()
    assert re.fullmatch(r"\d{6}", code)

    phone = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844}).new_page()
    phone.base_url = page.base_url
    try:
        sign_in(phone, "cadre")
        phone.goto(phone.base_url + "/check-in")
        phone.fill("#code", code)
        phone.click("#submit")
        phone.wait_for_url(f"**/classes/{session_id}")
        assert "You are checked in" in phone.inner_text("main")
        assert phone.inner_text("[data-testid=my-attendance]") == "Present"
        phone.goto(phone.base_url + "/check-in")
        phone.fill("#code", code)
        phone.click("#submit")
        assert "already checked in" in phone.inner_text("main")
    finally:
        phone.context.close()
    page.reload()
    assert "Checked in" in page.inner_text("main")
