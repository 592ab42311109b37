"""Appraisal: the auxiliary-staff registry and recruitment, assessment schemes and evaluations with
appeals, and the four-element cadre scorecard with its rankings."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import features


def init_app(app: Flask) -> None:
    """Register the blueprint, CLI, navigation, dashboard panels, object rules and demo data."""
    from . import cli, demo, panels, policy, views  # noqa: F401 - policy registers its object rules

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.appraisal_cli)
    features.add_nav(app, "appraisal.mine", _l("Appraisal"), "appraisal.view_own", order=70)
    features.add_nav(app, "appraisal.legal_ratings", _l("Legal ratings"), "appraisal.legal_rating", order=71)
    for order, (endpoint, label, permission) in enumerate((
            ("appraisal.evaluations", _l("Evaluations"), "appraisal.manage"),
            ("appraisal.appeals", _l("Appeals"), "appraisal.manage"),
            ("appraisal.schemes", _l("Assessment schemes"), "appraisal.manage"),
            ("appraisal.periods", _l("Cadre scorecards"), "appraisal.manage"),
            ("appraisal.registry_list", _l("Auxiliary-staff registry"), "people.view_all"),
            ("appraisal.rounds", _l("Recruitment"), "people.registry"),
    ), start=70):
        features.add_nav(app, endpoint, label, permission, order=order, admin=True)
    features.add_panel(app, "appraisal.mine", "appraisal/panel_mine.html", panels.own_panel, "appraisal.view_own",
                       order=70)
    features.add_panel(app, "appraisal.hr", "appraisal/panel_hr.html", panels.hr_panel, "appraisal.manage",
                       order=71)
    features.add_demo_step(app, "appraisal", demo.load, order=70)
