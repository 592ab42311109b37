"""Graded tests: question bank, tests, timed attempts, grading (automatic and by hand), statistics."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import features


def init_app(app: Flask) -> None:
    """Register the blueprint, CLI, navigation, dashboard panels, demo data and content loader."""
    from . import cli, demo, loader, panels, policy, views  # noqa: F401 - policy registers the object rules

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.quizzes_cli)
    features.add_nav(app, "quizzes.my_tests", _l("Tests"), "quizzes.take", order=30)
    features.add_nav(app, "quizzes.manage_tests", _l("Tests and question bank"), "quizzes.manage", order=30,
                     admin=True)
    features.add_nav(app, "quizzes.grading_queue", _l("Grading queue"), "quizzes.grade", order=31, admin=True)
    features.add_panel(app, "quizzes.my_tests", "quizzes/panel_my_tests.html", panels.my_tests_panel,
                       "quizzes.take", order=30)
    features.add_panel(app, "quizzes.grading", "quizzes/panel_grading.html", panels.grading_panel,
                       "quizzes.grade", order=31)
    features.add_demo_step(app, "quizzes", demo.load, order=30)
    features.add_content_loader(app, "quizzes", loader.load, order=30)
