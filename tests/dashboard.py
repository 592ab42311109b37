"""Statements run by one feature's dashboard panels and banners, for the per-feature budget tests."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_login import login_user
from sqlalchemy import event

from learning import features
from learning.extensions import db
from learning.people.models import User
from learning.permissions import can

DEMO_ROLES = ("cadre", "auxiliary", "mentor", "instructor", "reviewer", "hr", "admin")


def panel_statements(area: str, username: str) -> tuple[int, dict]:
    """Statements run by the feature's panels (context and template) and banners for one signed-in user,
    and the panel contexts by name. Must run inside a request context."""
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
    login_user(user)
    registry = features.registry()
    shown = [panel for panel in registry.panels
             if panel.name.startswith(area + ".") and (not panel.permission or can(user, panel.permission))]
    banners = [banner for banner in registry.banners
               if getattr(banner, "__module__", "").startswith(f"learning.{area}")]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    contexts = {}
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for panel in shown:
            context = panel.context(user)
            contexts[panel.name] = context
            if context is not None:
                # the environment alone: the shell's context processors (banners of others) are not ours
                current_app.jinja_env.get_template(panel.template).render(panel=panel, context=context)
        for banner in banners:
            banner(user)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements), contexts
