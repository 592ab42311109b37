"""Integrity (廉政): versioned commitment letters, hash-chained signatures, collective signings, books."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import features


def _unsigned_banner(user):
    """A banner for anyone with an unsigned current letter, until they sign (one query, cached per request)."""
    from . import services

    count = sum(1 for row in services.letter_statuses(user) if not row.is_signed)
    if not count:
        return None
    return ("warning", _("You have %(n)d integrity commitment letter(s) to sign.", n=count),
            url_for("integrity.index"))


def init_app(app: Flask) -> None:
    """Register the integrity blueprint, CLI, navigation, banner, dashboard panels and demo data."""
    from . import cli, demo, panels, policy, views  # noqa: F401 - policy registers the object rules

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.integrity_cli)
    features.add_nav(app, "integrity.index", _l("Integrity"), "integrity.sign", order=55)
    features.add_nav(app, "integrity.letters", _l("Commitment letters"), "integrity.manage", order=55, admin=True)
    features.add_banner(app, _unsigned_banner)
    features.add_panel(app, "integrity.mine", "integrity/panel_mine.html", panels.my_letters,
                       "integrity.sign", order=55)
    features.add_panel(app, "integrity.signing", "integrity/panel_signing.html", panels.signing_progress,
                       "integrity.manage", order=56)
    features.add_demo_step(app, "integrity", demo.load, order=55)
