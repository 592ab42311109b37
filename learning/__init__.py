"""Qinglan: training, tests, case-file reviews, mentorship, integrity and appraisal for a bureau."""

from __future__ import annotations

import importlib
import importlib.util
import os

from flask import Flask

from . import config as config_module
from .extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
from .features import FEATURES


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, feature packages, CLI and error pages."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    config_module.load_config(app, test_config)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)

    from . import i18n

    i18n.init_app(app)

    from . import auth, database, web

    with app.app_context():
        database.configure_engine(app)
    login_manager.init_app(app)
    auth.init_app(app)
    web.init_app(app)

    for name in FEATURES:
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:
            importlib.import_module(f"{__name__}.{name}").init_app(app)

    from . import backup, cli

    cli.init_app(app)
    backup.init_app(app)
    importlib.import_module(f"{__name__}.benchmark").init_app(app)  # flask bench (seeding for bench/)
    return app


__all__ = ["create_app", "babel", "db"]
