"""In a real browser: a reviewer scores the last file of the month, publishes, and reads the bulletin."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from learning.extensions import db

from .conftest import sign_in

pytestmark = pytest.mark.browser


def _waiting(app):
    """The case number, month and a party name of the file left in the demo reviewer's queue."""
    from learning.reviews.models import ReviewAssignment

    with app.app_context():
        assignment = db.session.execute(
            sa.select(ReviewAssignment).where(ReviewAssignment.submitted_at.is_(None))).scalar_one()
        case = assignment.file.case
        return case.case_number, assignment.file.cycle.month, case.parties[0].name


def test_score_a_file_publish_and_read_the_bulletin(page, live_server):
    """Score with a deduction and a finding naming the party; publish; the bulletin lists it, masked."""
    number, month, party = _waiting(live_server.app)
    sign_in(page, "reviewer")
    page.goto(page.base_url + "/reviews/queue")
    page.locator("[data-testid=queue] a.btn-primary").first.click()
    assert number in page.inner_text("h1")
    page.locator("input[name^=points-]").first.fill("4")
    page.locator("input[name^=reason-]").first.fill("卷内目录缺页码")
    page.locator("input[name^=tag-]").first.check()
    page.fill("#summary", f"当事人{party}的询问笔录未签名，电话139 0000 8888")
    page.click("#submit")
    assert "Score saved: 96" in page.inner_text("main")

    page.goto(page.base_url + "/reviews/")
    page.click(f"text={month}")
    assert "graded: 6" in page.inner_text("[data-testid=cycle-counts]")
    page.click("button:has-text('Publish the bulletin')")
    page.wait_for_url(f"**/reviews/{month}/")
    main = page.inner_text("main")
    assert f"bulletin {month}" in main and number in main and "Squad ranking" in main
    assert party not in page.content() and "139 0000 8888" not in page.content() and "＊＊" in main

    page.click("text=Print view")
    assert number in page.inner_text("body")
