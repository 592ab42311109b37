"""Courses: the catalog and lessons (loaded from ``content/courses``), progress and completion,
assignments, weekend classes with attendance, the training-hours ledger and certificates."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import features, signals


def init_app(app: Flask) -> None:
    """Register the blueprint, CLI, navigation, dashboard panels, demo data, content loader and signals."""
    from . import cli, demo, loader, panels, policy, services, views  # noqa: F401 - policy registers rules

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.courses_cli)
    features.add_nav(app, "courses.catalog", _l("Courses"), "courses.learn", order=20)
    features.add_nav(app, "courses.classes", _l("Weekend classes"), "classes.attend", order=21)
    features.add_nav(app, "courses.hours", _l("Training hours"), "courses.learn", order=22)
    features.add_nav(app, "courses.manage", _l("Course overview"), "courses.manage", order=19, admin=True)
    features.add_nav(app, "courses.assignments", _l("Course assignments"), "courses.assign", order=20, admin=True)
    features.add_nav(app, "courses.overdue", _l("Overdue courses"), "training.view_all", order=21, admin=True)
    features.add_nav(app, "courses.standing", _l("Training hours by person"), "training.view_all", order=22,
                     admin=True)
    features.add_panel(app, "courses.mine", "courses/panel_courses.html", panels.my_courses, "courses.learn",
                       order=20)
    features.add_panel(app, "courses.hours", "courses/panel_hours.html", panels.my_hours, "courses.learn",
                       order=21)
    features.add_panel(app, "courses.classes", "courses/panel_classes.html", panels.my_classes,
                       "classes.attend", order=22)
    features.add_demo_step(app, "courses", demo.load, order=20)
    features.add_content_loader(app, "courses", loader.sync_courses, order=20)
    signals.test_passed.connect(services.on_test_passed)
