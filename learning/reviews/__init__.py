"""Case-file reviews: case files, the rubric, monthly review cycles, the published bulletin,
rectification notices and each officer's review record."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import features

DEFAULTS = {
    "REVIEWS_CASE_TYPES": None,          # code -> label; None: the built-in five types
    "REVIEWS_RECTIFICATION_DAYS": 15,    # days the handlers have to answer a notice
}


def init_app(app: Flask) -> None:
    """Register the reviews blueprint, CLI, navigation, dashboard panels and demo data."""
    from . import cli, demo, panels, policy, views  # noqa: F401 - policy registers the object rules

    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.reviews_cli)
    features.add_nav(app, "reviews.index", _l("Case-file reviews"), "reviews.read_bulletin", order=40)
    features.add_nav(app, "reviews.queue", _l("Review queue"), "reviews.score", order=41)
    features.add_nav(app, "reviews.cases", _l("Case files"), "reviews.manage", order=40, admin=True)
    features.add_nav(app, "reviews.rubric", _l("Review rubric"), "reviews.manage", order=41, admin=True)
    features.add_nav(app, "reviews.notices", _l("Rectification notices"), "reviews.manage", order=42, admin=True)
    features.add_panel(app, "reviews.bulletin", "reviews/panel_bulletin.html", panels.latest_bulletin_panel,
                       "reviews.read_bulletin", order=40)
    features.add_panel(app, "reviews.notices", "reviews/panel_notices.html", panels.my_notices_panel,
                       "reviews.respond", order=41)
    features.add_panel(app, "reviews.queue", "reviews/panel_queue.html", panels.queue_panel,
                       "reviews.score", order=42)
    features.add_demo_step(app, "reviews", demo.load, order=40)
