"""In a real browser: a mentor logs a talk, and the apprentice confirms it."""

from __future__ import annotations

import pytest

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_mentor_logs_a_talk_and_the_apprentice_confirms_it(page, browser, live_server):
    """mentor logs a case walk-through with a private note; cadre sees the summary (not the note) and confirms."""
    sign_in(page, "mentor")
    page.goto(page.base_url + "/mentorship/")
    page.click("table a >> nth=0")
    pairing_url = page.url
    page.click("text=Log a talk")
    page.fill("#minutes", "35")
    page.select_option("#kind", "case_walkthrough")
    page.fill("#topics", "占道经营取证")
    page.fill("#summary", "一起梳理了占道经营案件的现场取证要点。")
    page.fill("#private_note", "仅师傅可见的备注")
    page.click("#submit")
    page.wait_for_url(pairing_url)
    assert "The talk has been logged" in page.inner_text("main")
    assert "一起梳理了占道经营案件的现场取证要点。" in page.inner_text("main")

    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    apprentice = context.new_page()
    apprentice.base_url = live_server.url
    try:
        sign_in(apprentice, "cadre")
        apprentice.goto(pairing_url)
        talk = apprentice.locator("[data-testid=talk]", has_text="占道经营取证")
        assert "Awaiting confirmation" in talk.inner_text()
        assert "仅师傅可见的备注" not in apprentice.content()
        talk.locator("button", has_text="Confirm").click()
        apprentice.wait_for_url(pairing_url)
        assert "You have confirmed the talk." in apprentice.inner_text("main")
        talk = apprentice.locator("[data-testid=talk]", has_text="占道经营取证")
        assert "Confirmed by the apprentice" in talk.inner_text()
    finally:
        context.close()
