"""``flask courses``: close the attendance of finished classes, and list who is behind on hours."""

from __future__ import annotations

from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from ..audit import utcnow
from ..extensions import db
from . import services
from .models import ClassSession

courses_cli = AppGroup("courses", help="Courses, weekend classes and training hours.")


@courses_cli.command("close-classes")
@click.option("--after-hours", default=12, show_default=True, help="Close classes that ended this long ago.")
def close_classes_command(after_hours: int) -> None:
    """Close attendance of classes that ended: unmarked registrants become absent, attendees get hours."""
    cutoff = utcnow() - timedelta(hours=after_hours)
    sessions = db.session.execute(sa.select(ClassSession).where(
        ClassSession.closed_at.is_(None), ClassSession.ends_at <= cutoff)).scalars().all()
    absent = 0
    with click.progressbar(sessions, label="Closing classes") as bar:
        for session in bar:
            absent += services.close_session(None, session)
    db.session.commit()
    click.echo(f"closed {len(sessions)} classes, marked {absent} registrants absent")


@courses_cli.command("behind")
@click.option("--year", type=int, help="The year (default: this year).")
def behind_command(year: int | None) -> None:
    """Count the active accounts below the annual training-hours requirement."""
    year = year or utcnow().year
    start, end = services.year_bounds(year)
    required = float(current_app.config["ANNUAL_TRAINING_HOURS"])
    click.echo(f"{services.behind_count(start, end, required)} people below {required:g} hours in {year}")
