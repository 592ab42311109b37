"""Reviews' share of the dashboard stays within its statement budget for every demo role.

The dashboard promises at most 15 statements; reviews may spend 2 of them (PANELS.md), whatever the
data size: the three panels read one summary that is built once per request.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import login_user
from sqlalchemy import event

from learning import features
from learning.extensions import db
from learning.people.models import User
from learning.permissions import can

from ..route_matrix import STAFF

BUDGET = 2
AREA = "reviews"


def _ours(app):
    registry = features.registry(app)
    panels = [panel for panel in registry.panels if panel.name.startswith(f"{AREA}.")]
    banners = [banner for banner in registry.banners if banner.__module__.startswith(f"learning.{AREA}")]
    return panels, banners


def measure(app, username: str) -> tuple[int, dict]:
    """(statements, contexts by panel name) of reviews' panels and banners, rendered, for one user."""
    panels, banners = _ours(app)
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    with app.test_request_context("/"):
        user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
        login_user(user)
        shown = [panel for panel in panels if not panel.permission or can(user, panel.permission)]
        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            contexts = {panel.name: panel.context(user) for panel in shown}
            for banner in banners:
                banner(user)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        # The templates must not load anything lazily either (the shell's context is built uncounted).
        template_context = {}
        app.update_template_context(template_context)
        event.listen(engine, "before_cursor_execute", count)
        try:
            for panel in shown:
                if contexts[panel.name] is not None:
                    app.jinja_env.get_template(panel.template).render(
                        **template_context, panel=panel, context=contexts[panel.name])
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return len(statements), contexts


def test_reviews_panels_stay_within_two_statements(demo_app):
    """For every demo role, all of reviews' panels together run at most two statements."""
    counts = {}
    for username in STAFF:
        counts[username], contexts = measure(demo_app, username)
        assert contexts["reviews.bulletin"] is not None, f"{username} sees the latest bulletin"
    assert max(counts.values()) <= BUDGET, counts


def test_the_panels_still_show_their_figures(demo_app):
    """The cut in statements keeps what the panels show: bulletin figures, the cadre's notice, the queue."""
    _count, cadre = measure(demo_app, "cadre")
    bulletin = cadre["reviews.bulletin"]
    assert bulletin["month"] and bulletin["files"] > 0 and set(bulletin["grades"]) <= {
        "excellent", "good", "qualified", "unqualified"}
    assert cadre["reviews.notices"]["notices"][0].case_number
    assert "reviews.queue" not in cadre
    _count, reviewer = measure(demo_app, "reviewer")
    queue = reviewer["reviews.queue"]
    assert queue["waiting"] == len(queue["assignments"]) == 1
    assert queue["assignments"][0].month and queue["assignments"][0].case_number


def test_the_summary_is_built_once_per_request(demo_app):
    """Within one request the panels share the summary; a new request reads the data afresh."""
    from learning.reviews import panels

    with demo_app.test_request_context("/"):
        user = db.session.execute(sa.select(User).where(User.username == "reviewer")).scalar_one()
        assert panels.dashboard_data(user) is panels.dashboard_data(user)
        first = panels.dashboard_data(user)
    with demo_app.test_request_context("/"):
        user = db.session.execute(sa.select(User).where(User.username == "reviewer")).scalar_one()
        assert panels.dashboard_data(user) is not first
