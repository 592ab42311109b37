"""Both languages are complete: every message the code uses has a Chinese and an English translation."""

from __future__ import annotations

from learning import i18n


def test_every_message_is_translated_in_both_catalogs():
    """A new string without its translation fails here (fix: make catalogs, then translate)."""
    problems = i18n.problems()
    assert not problems, f"{len(problems)} untranslated messages:\n" + "\n".join(problems[:50])


def test_chinese_page_shows_chinese_labels(demo_client):
    """Switching to 中文 shows the page's labels in Chinese."""
    demo_client.login("admin")
    demo_client.post_form("/language", {"language": "zh_Hans_CN", "next": "/admin/users"})
    page = demo_client.get("/admin/users").get_data(as_text=True)
    for label in ("退出", "账号", "工号", "部门"):
        assert label in page
    assert "Sign out" not in page and "Employee number" not in page


def test_language_choice_is_remembered_on_the_account(demo_app):
    """The language chosen once follows the user to a new session."""
    first = demo_app.test_client()
    first.login("cadre")
    first.post_form("/language", {"language": "en"})
    second = demo_app.test_client()
    second.login("cadre")
    assert "Sign out" in second.get("/").get_data(as_text=True)


def test_anonymous_language_choice_is_kept_in_the_session(app):
    """A visitor's choice is kept for the session."""
    client = app.test_client()
    client.post_form("/language", {"language": "zh_Hans_CN"})
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.post_form("/language", {"language": "en"})
    assert "Sign in" in client.get("/login").get_data(as_text=True)
