"""The audit log: written by the actions that matter, browsable by admins, never changed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from learning import audit
from learning.audit import AuditEvent
from learning.extensions import db


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_sign_ins_failures_and_role_changes_are_recorded(demo_app):
    """Who signed in, who failed, and a role change with before and after."""
    client = demo_app.test_client()
    client.login("cadre", "wrong password")
    client.login("admin")
    with demo_app.app_context():
        from learning.people.models import User

        cadre_id = db.session.execute(sa.select(User.id).where(User.username == "cadre")).scalar_one()
    client.post_form(f"/admin/users/{cadre_id}/edit", {
        "username": "cadre", "display_name": "赵磊", "staff_category": "cadre", "department_id": "0",
        "preferred_language": "", "roles": ["learner", "mentor"], "is_active": "y"})
    actions = _actions(demo_app)
    assert "auth.failed" in actions and "auth.signed_in" in actions
    assert "account.roles_changed" in actions
    with demo_app.app_context():
        event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "account.roles_changed")
                                   ).scalar_one()
        assert "mentor" not in event.before_data["roles"] and "mentor" in event.after_data["roles"]
        assert event.actor_name == "admin" and event.address


def test_admin_browses_and_filters_the_log(demo_app):
    """Admins filter by action; the page shows matching events only."""
    demo_app.test_client().login("cadre", "wrong password")
    admin = demo_app.test_client()
    admin.login("admin")
    page = admin.get("/admin/audit?action=auth.failed").get_data(as_text=True)
    assert "auth.failed" in page and "auth.signed_in" not in page


def test_events_cannot_be_changed_or_deleted(app):
    """The log is append-only."""
    with app.app_context():
        event = audit.record(None, "test.event")
        db.session.commit()
        event.action = "tampered"
        with pytest.raises(PermissionError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEvent, event.id))
        with pytest.raises(PermissionError):
            db.session.commit()
