"""Faults: the database goes away and comes back; nothing half-written, no restart needed."""

from __future__ import annotations

import sqlalchemy as sa

from learning import create_app
from learning.extensions import db
from learning.people.models import User

from .conftest import BASE_CONFIG, Client, make_user


def test_database_outage_shows_a_clear_page_and_the_site_recovers(tmp_path):
    """While the database is unreachable pages say so with 503; once it is back they work again."""
    folder = tmp_path / "gone"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/db.sqlite3"})
    app.test_client_class = Client
    client = app.test_client()

    response = client.post_form("/login", {"username": "cadre", "password": "a long password"})
    assert response.status_code == 503
    assert "The database is not available" in response.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503

    folder.mkdir()
    with app.app_context():
        db.create_all()
        make_user("cadre", password="a long password")
        db.session.commit()
    assert client.get("/healthz").status_code == 200
    assert client.post_form("/login", {"username": "cadre", "password": "a long password"}).status_code == 302


def test_a_failing_request_writes_nothing(app, monkeypatch):
    """When a request fails half-way, what it had already written is rolled back."""
    from learning.people import services

    with app.app_context():
        make_user("admin", roles=["admin"], password="a long password")
        make_user("target", password="a long password")
        db.session.commit()
    client = app.test_client()
    client.login("admin", "a long password")

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "end_other_sessions", explode)
    with app.app_context():
        target_id = db.session.execute(sa.select(User.id).where(User.username == "target")).scalar_one()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post_form(f"/admin/users/{target_id}/deactivate")
    assert response.status_code == 500
    assert "Nothing was saved" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, target_id).is_active_account is True
