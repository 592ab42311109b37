"""The Blue and Green Project (青蓝工程): mentor–apprentice pairings, talk logs, sharing events, evaluations."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import features


def init_app(app: Flask) -> None:
    """Register the mentorship blueprint, CLI, navigation, dashboard panels and demo data."""
    from . import cli, demo, panels, policy, views  # noqa: F401 - policy registers the object rules

    app.config.setdefault("MENTORSHIP_MAX_APPRENTICES", 3)
    app.config.setdefault("MENTORSHIP_CADENCE_DAYS", 30)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.mentorship_cli)
    features.add_nav(app, "mentorship.index", _l("Mentorship"), "mentorship.participate", order=50)
    features.add_nav(app, "mentorship.pairings", _l("Mentorship programme"), "mentorship.manage", order=50,
                     admin=True)
    features.add_panel(app, "mentorship.mine", "mentorship/panel_mine.html", panels.my_mentorship,
                       "mentorship.participate", order=50)
    features.add_panel(app, "mentorship.programme", "mentorship/panel_programme.html", panels.programme,
                       "mentorship.manage", order=51)
    features.add_demo_step(app, "mentorship", demo.load, order=50)
