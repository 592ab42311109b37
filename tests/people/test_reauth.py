"""The most sensitive actions ask for the password again when it was entered too long ago."""

from __future__ import annotations

import sqlalchemy as sa

from learning.extensions import db
from learning.people.models import User


def _age_the_sign_in(client, seconds: int = 3600) -> None:
    with client.session_transaction() as session:
        session["auth_at"] = session["auth_at"] - seconds


def test_role_change_asks_for_the_password_after_a_while(demo_app):
    """An hour after signing in, changing roles first asks for the password; then it works."""
    client = demo_app.test_client()
    client.login("admin")
    with demo_app.app_context():
        cadre_id = db.session.execute(sa.select(User.id).where(User.username == "cadre")).scalar_one()
    edit = f"/admin/users/{cadre_id}/edit"
    _age_the_sign_in(client)
    response = client.get(edit)
    assert response.status_code == 302 and "/account/confirm" in response.headers["Location"]
    wrong = client.post_form("/account/confirm?next=" + edit, {"password": "not it"})
    assert "The password is not correct" in wrong.get_data(as_text=True)
    confirmed = client.post_form("/account/confirm?next=" + edit, {"password": "demo"})
    assert confirmed.headers["Location"] == edit
    assert client.get(edit).status_code == 200


def test_a_fresh_sign_in_needs_no_confirmation(demo_client):
    """Right after signing in the admin goes straight to the form."""
    demo_client.login("admin")
    assert demo_client.get("/admin/users/new").status_code == 200


def test_publishing_a_bulletin_asks_for_the_password_after_a_while(demo_app):
    """Publishing is refused until the reviewer confirms the password; nothing is published meanwhile."""
    from learning.reviews.models import ReviewCycle

    client = demo_app.test_client()
    client.login("reviewer")
    with demo_app.app_context():
        cycle = db.session.execute(sa.select(ReviewCycle).where(ReviewCycle.published_at.is_(None))).scalars().first()
        cycle_id = cycle.id
    _age_the_sign_in(client)
    response = client.post_form(f"/reviews/cycles/{cycle_id}/publish",
                                headers={"Referer": f"http://localhost/reviews/cycles/{cycle_id}"})
    assert response.status_code == 302 and "/account/confirm" in response.headers["Location"]
    with demo_app.app_context():
        assert db.session.get(ReviewCycle, cycle_id).published_at is None


def test_full_data_export_asks_for_the_password_after_a_while(demo_app):
    """HR's unmasked registry export needs a fresh password; the masked one does not."""
    client = demo_app.test_client()
    client.login("hr")
    _age_the_sign_in(client)
    assert client.get("/appraisal/registry/export?fmt=csv").status_code == 200
    response = client.get("/appraisal/registry/export?fmt=csv&full=1")
    assert response.status_code == 302 and "/account/confirm" in response.headers["Location"]
    client.post_form("/account/confirm", {"password": "demo"})
    full = client.get("/appraisal/registry/export?fmt=csv&full=1")
    assert full.status_code == 200 and full.mimetype == "text/csv"
