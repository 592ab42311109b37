"""Integrity's share of the dashboard stays within its statement budget for every demo role.

Integrity may spend 2 statements on the dashboard (PANELS.md), its unsigned-letter banner included; the
banner, shown on every page, runs at most one and caches its result for the request in ``flask.g`` so
the "my letters" panel reuses it.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import login_user
from sqlalchemy import event

from learning import features
from learning.extensions import db
from learning.integrity import services
from learning.people.models import User
from learning.permissions import can

from ..route_matrix import STAFF

BUDGET = 2
BANNER_BUDGET = 1
AREA = "integrity"


class Counter:
    """Counts the SQL statements run while it is listening."""

    def __init__(self):
        self.statements: list[str] = []
        self.engine = db.engine

    def _count(self, _conn, _cursor, statement, *_args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def __len__(self):
        return len(self.statements)


def _ours(app):
    registry = features.registry(app)
    panels = [panel for panel in registry.panels if panel.name.startswith(f"{AREA}.")]
    banners = [banner for banner in registry.banners if banner.__module__.startswith(f"learning.{AREA}")]
    return panels, banners


def _user(username: str) -> User:
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
    login_user(user)
    return user


def measure(app, username: str) -> tuple[int, dict, list]:
    """(statements, contexts by panel name, banners) of integrity on the dashboard of one user, in the
    dashboard's order: panels first, then the banners when the page renders, then the panel templates."""
    panels, banners = _ours(app)
    with app.test_request_context("/"):
        user = _user(username)
        shown = [panel for panel in panels if not panel.permission or can(user, panel.permission)]
        with Counter() as counter:
            contexts = {panel.name: panel.context(user) for panel in shown}
            messages = [banner(user) for banner in banners]
        # The templates must not load anything lazily either (the shell's context is built uncounted).
        template_context = {}
        app.update_template_context(template_context)
        with counter:
            for panel in shown:
                if contexts[panel.name] is not None:
                    app.jinja_env.get_template(panel.template).render(
                        **template_context, panel=panel, context=contexts[panel.name])
    return len(counter), contexts, messages


def test_integrity_panels_and_banner_stay_within_two_statements(demo_app):
    """For every demo role, integrity's panels and banner together run at most two statements."""
    counts = {}
    for username in STAFF:
        counts[username], contexts, _banners = measure(demo_app, username)
        assert contexts["integrity.mine"] is not None, f"{username} sees their letters"
    assert max(counts.values()) <= BUDGET, counts


def test_the_banner_alone_runs_one_statement_and_the_panel_reuses_it(demo_app):
    """On any page the banner costs one statement; on the dashboard "my letters" then costs nothing."""
    panels, banners = _ours(demo_app)
    mine = next(panel for panel in panels if panel.name == "integrity.mine")
    for username in STAFF:
        with demo_app.test_request_context("/"):
            user = _user(username)
            with Counter() as banner_only:
                for banner in banners:
                    banner(user)
            with Counter() as panel_after:
                mine.context(user)
        assert len(banner_only) <= BANNER_BUDGET, (username, banner_only.statements)
        assert len(panel_after) == 0, (username, panel_after.statements)


def test_the_panels_and_banner_still_show_the_same_things(demo_app):
    """The cadre is asked to sign and sees the letter unsigned; hr sees each letter's signed/audience count."""
    _count, cadre, banners = measure(demo_app, "cadre")
    (category, message, url), = [banner for banner in banners if banner]
    assert category == "warning" and "to sign" in message and url == "/integrity/"
    rows = cadre["integrity.mine"]["rows"]
    assert rows and any(not row.is_signed for row in rows) and all(row.title for row in rows)
    assert "integrity.signing" not in cadre
    _count, hr, _banners = measure(demo_app, "hr")
    progress = hr["integrity.signing"]["rows"]
    assert progress and all(0 <= row["signed"] <= row["total"] for row in progress)
    with demo_app.app_context():
        for row in progress:
            users = db.session.execute(sa.select(User).where(User.is_active_account.is_(True))).scalars().all()
            version = db.session.get(services.LetterVersion, row["version_id"])
            assert row["total"] == sum(services.in_audience(user, version.letter.audience) for user in users)
            assert row["signed"] == services.signature_counts([version.id]).get(version.id, 0)


def test_a_signature_in_the_same_request_clears_the_cached_banner(demo_app):
    """Signing drops the request's cached letter statuses, so the banner never shows a stale count."""
    with demo_app.test_request_context("/"):
        user = _user("auxiliary")
        before = services.letter_statuses(user)
        unsigned = [row for row in before if not row.is_signed]
        assert unsigned
        version = db.session.get(services.LetterVersion, unsigned[0].version_id)
        services.sign_online(user, version, user.display_name)
        after = {row.version_id: row.is_signed for row in services.letter_statuses(user)}
        assert after[version.id] is True
        db.session.rollback()
