"""People: departments, accounts and roles, sign-in, and the roster import."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import features


def init_app(app: Flask) -> None:
    """Register the people blueprint, CLI, navigation, dashboard panel and demo data."""
    from . import cli, demo, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.people_cli)
    features.add_nav(app, "people.users", _l("Accounts"), "people.manage", order=10, admin=True)
    features.add_nav(app, "people.department_list", _l("Departments"), "people.manage", order=11, admin=True)
    features.add_nav(app, "people.import_users", _l("Roster import"), "people.manage", order=12, admin=True)
    features.add_panel(app, "people.accounts", "people/panel_accounts.html", demo.accounts_panel,
                       "people.manage", order=90)
    features.add_demo_step(app, "people", demo.load, order=10)
