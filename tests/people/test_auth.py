"""Signing in and out, sessions, passwords and rate limits."""

from __future__ import annotations

import sqlalchemy as sa

from learning.audit import AuditEvent
from learning.extensions import db
from learning.people.models import LoginSession, User


def test_every_demo_account_signs_in_and_is_greeted_by_name(demo_app):
    """Each demo account signs in with 'demo' and the dashboard greets it by display name."""
    with demo_app.app_context():
        names = dict(db.session.execute(sa.select(User.username, User.display_name)).all())
    for username in ("admin", "hr", "reviewer", "instructor", "mentor", "cadre", "auxiliary"):
        client = demo_app.test_client()
        response = client.login(username)
        assert response.status_code == 302, username
        page = client.get("/").get_data(as_text=True)
        assert names[username] in page


def test_wrong_password_gets_one_generic_message(demo_client):
    """A wrong password and an unknown account read the same."""
    wrong = demo_client.login("cadre", "not-the-password").get_data(as_text=True)
    unknown = demo_client.login("nobody-here", "whatever").get_data(as_text=True)
    message = "The employee number or password is not correct"
    assert message in wrong and message in unknown


def test_sixth_wrong_password_in_a_minute_answers_429(demo_client):
    """Five tries per account per minute; the sixth is refused with a clear page."""
    for _ in range(5):
        assert demo_client.login("cadre", "wrong-password").status_code == 200
    response = demo_client.login("cadre", "wrong-password")
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_form_without_csrf_token_is_refused(demo_client):
    """A form posted without its CSRF token gets 400."""
    response = demo_client.post("/login", data={"username": "cadre", "password": "demo"})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)


def test_learner_opening_account_admin_gets_403(demo_client):
    """A learner cannot open the account administration; the refusal is audited."""
    demo_client.login("cadre")
    assert demo_client.get("/admin/users").status_code == 403
    with demo_client.application.app_context():
        actions = db.session.execute(sa.select(AuditEvent.action)).scalars().all()
    assert "permission.refused" in actions


def test_inactive_account_cannot_sign_in(demo_app):
    """A deactivated account is refused with the same generic message."""
    with demo_app.app_context():
        db.session.execute(sa.update(User).where(User.username == "cadre").values(is_active_account=False))
        db.session.commit()
    response = demo_app.test_client().login("cadre")
    assert response.status_code == 200
    assert "not correct" in response.get_data(as_text=True)


def test_session_identifier_changes_at_sign_in(demo_client):
    """The session cookie issued at sign-in differs from the one before it."""
    demo_client.get("/login")
    before = demo_client.get_cookie("session").value
    demo_client.login("cadre")
    assert demo_client.get_cookie("session").value != before


def test_sign_out_ends_the_session_on_the_server(demo_client):
    """After signing out, replaying the old session cookie no longer signs anyone in."""
    demo_client.login("cadre")
    cookie = demo_client.get_cookie("session").value
    demo_client.logout()
    replay = demo_client.application.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/").status_code == 302


def test_deactivation_ends_open_sessions(demo_app):
    """An open session of an account that is deactivated is refused at its next request."""
    cadre = demo_app.test_client()
    cadre.login("cadre")
    assert cadre.get("/").status_code == 200
    admin = demo_app.test_client()
    admin.login("admin")
    with demo_app.app_context():
        cadre_id = db.session.execute(sa.select(User.id).where(User.username == "cadre")).scalar_one()
    assert admin.post_form(f"/admin/users/{cadre_id}/deactivate").status_code == 302
    assert cadre.get("/").status_code == 302


def test_password_change_ends_other_sessions_but_not_this_one(demo_app):
    """Changing the password signs out other devices and keeps this one."""
    phone, desk = demo_app.test_client(), demo_app.test_client()
    phone.login("cadre")
    desk.login("cadre")
    response = desk.post_form("/account/password", {
        "current_password": "demo", "new_password": "a long new passphrase", "confirm": "a long new passphrase"})
    assert response.status_code == 302
    assert desk.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    assert demo_app.test_client().login("cadre", "a long new passphrase").status_code == 302


def test_weak_or_common_passwords_are_refused(demo_client):
    """Fewer than 10 characters, or a common password, is refused with a message."""
    demo_client.login("cadre")
    for weak, message in (("short1", "at least 10"), ("password123", "too common")):
        page = demo_client.post_form("/account/password", {
            "current_password": "demo", "new_password": weak, "confirm": weak}).get_data(as_text=True)
        assert message in page


def test_admin_reset_forces_a_change_at_next_sign_in(demo_app):
    """After an admin reset the person must choose a new password before anything else."""
    admin = demo_app.test_client()
    admin.login("admin")
    with demo_app.app_context():
        cadre_id = db.session.execute(sa.select(User.id).where(User.username == "cadre")).scalar_one()
    page = admin.post_form(f"/admin/users/{cadre_id}/reset-password").get_data(as_text=True)
    temporary = page.split('data-testid="temporary-password">')[1].split("<")[0].strip()
    cadre = demo_app.test_client()
    assert cadre.login("cadre", temporary).status_code == 302
    assert cadre.get("/").headers["Location"].endswith("/account/password")


def test_remember_me_lasts_at_most_14_days(demo_client):
    """The remember-me session is kept on the server for 14 days, not more."""
    demo_client.login("cadre", remember="y")
    with demo_client.application.app_context():
        row = db.session.execute(sa.select(LoginSession)).scalars().first()
        assert (row.expires_at - row.created_at).days <= 14


def test_sign_in_does_not_follow_links_to_other_sites(demo_client):
    """``next`` may only lead within the site."""
    token = demo_client.csrf_token()
    response = demo_client.post("/login?next=https://evil.example/", data={
        "username": "cadre", "password": "demo", "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_admin_cannot_remove_their_own_administrator_role(demo_client):
    """The account form refuses to take the administrator role from the one using it."""
    demo_client.login("admin")
    with demo_client.application.app_context():
        admin_id = db.session.execute(sa.select(User.id).where(User.username == "admin")).scalar_one()
    page = demo_client.post_form(f"/admin/users/{admin_id}/edit", {
        "username": "admin", "display_name": "周明", "staff_category": "cadre", "department_id": "0",
        "preferred_language": "", "roles": ["learner"], "is_active": "y"}).get_data(as_text=True)
    assert "You cannot remove your own administrator role" in page
    with demo_client.application.app_context():
        assert db.session.get(User, admin_id).has_role("admin")
