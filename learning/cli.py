"""Commands that span the features: demo data and the content sync."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from . import features
from .content import STATUSES, SyncReport
from .extensions import db

content_cli = AppGroup("content", help="Course lessons, question banks and tests kept as files.")


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when accounts exist already.")
def demo_command(if_empty: bool) -> None:
    """Fill an empty database with demo departments, accounts and data (every password: demo)."""
    from .people.models import User

    if db.session.execute(sa.select(sa.func.count(User.id))).scalar_one():
        if if_empty:
            click.echo("Accounts exist already; demo data not loaded.")
            return
        raise click.ClickException("The database has accounts already; demo data is only for an empty one.")
    steps = features.registry().demo_steps
    with click.progressbar(steps, label="Loading demo data",
                           item_show_func=lambda step: step.name if step else None) as bar:
        for step in bar:
            step.run()
            db.session.flush()
    db.session.commit()
    click.echo(f"Demo data loaded ({len(steps)} parts). Sign in as admin, hr, reviewer, instructor, "
               "mentor, cadre or auxiliary with the password 'demo'.")


@content_cli.command("sync")
@click.option("--path", "content_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The content folder (default: content/ beside the package).")
@click.option("--verbose", "-v", is_flag=True, help="List unchanged items too.")
def sync_command(content_dir: Path | None, verbose: bool) -> None:
    """Load content/ into the database: idempotent; progress on learners is never deleted."""
    content_dir = content_dir or Path(current_app.config["CONTENT_DIR"])
    report = SyncReport()
    loaders = features.registry().content_loaders
    with click.progressbar(loaders, label="Syncing content",
                           item_show_func=lambda step: step.name if step else None) as bar:
        for loader in bar:
            report.merge(loader.run(content_dir))
            db.session.flush()
    db.session.commit()
    for item in report.items:
        if verbose or item.status != "unchanged":
            click.echo(f"{item.status:<9} {item.kind:<9} {item.key}" + (f"  {item.detail}" if item.detail else ""))
    for error in report.errors:
        click.echo(f"rejected  {error}", err=True)
    counts = ", ".join(f"{status} {report.count(status)}" for status in STATUSES if status != "rejected")
    click.echo(f"{counts}, rejected files {len(report.errors)}")
    if report.errors:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(demo_command)
    app.cli.add_command(content_cli)
