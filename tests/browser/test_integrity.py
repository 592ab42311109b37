"""In a real browser: a learner sees the banner, reads the letter and signs it by typing their name."""

from __future__ import annotations

import pytest

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_learner_signs_the_commitment_letter(page):
    """auxiliary follows the banner, mistypes the name once, signs, and gets the signed letter with its hash."""
    sign_in(page, "auxiliary")
    banner = page.locator("[role=status]", has_text="integrity commitment letter(s) to sign")
    banner.locator("a").click()
    page.click("text=Read and sign")
    assert "廉政承诺书" in page.inner_text("[data-testid=letter-text]")
    page.fill("#full_name", "孙某")
    page.click("#submit")
    assert "exactly as it is on record" in page.inner_text("main")
    page.fill("#full_name", "孙悦")
    page.click("#submit")
    page.wait_for_url("**/integrity/signatures/*")
    assert "Your signature has been recorded" in page.inner_text("main")
    digest = page.inner_text("[data-testid=text-hash]")
    assert len(digest) == 64
    page.goto(page.base_url + "/")
    assert "integrity commitment letter(s) to sign" not in page.inner_text("main")
