"""``flask reviews``: case-file import, rubric versions and the monthly cycle from the command line."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..people.models import User
from . import services

reviews_cli = AppGroup("reviews", help="Case files, the review rubric and monthly review cycles.")


def _messages():
    """A request context, so that the messages of the import report can be translated."""
    return current_app.test_request_context()


@reviews_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Create or update case files from a .csv (UTF-8 or GB18030) or .xlsx file; idempotent by case number."""
    with _messages():
        report = services.import_cases(None, path.read_bytes(), path.name)
    if report.error:
        db.session.rollback()
        raise click.ClickException(report.error)
    with click.progressbar(report.rows, label="Case files") as rows:
        lines = []
        for row in rows:
            line = f"line {row.line:>5}  {row.key or '-':<24} {row.status}"
            if row.reasons:
                line += ": " + "; ".join(row.reasons)
            lines.append(line)
    for line in lines:
        click.echo(line)
    db.session.commit()
    summary = report.summary
    click.echo(f"created {summary['created']}, updated {summary['updated']}, "
               f"unchanged {summary['unchanged']}, rejected {summary['rejected']}")


@reviews_cli.command("rubric")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
def rubric_command(path: Path | None) -> None:
    """Save a rubric version from a YAML file; without a file, print the current one."""
    if path is None:
        current = services.current_rubric()
        click.echo(services.rubric_text(current) if current else services.default_rubric_text())
        return
    try:
        with _messages():
            rubric = services.create_rubric(None, path.read_text(encoding="utf-8"))
    except services.ReviewError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Rubric version {rubric.version} is now current.")


@reviews_cli.command("open-cycle")
@click.argument("month")
@click.option("--sample-size", default=3, show_default=True, help="Files drawn per squad.")
@click.option("--reviewers", default=2, show_default=True, help="Reviewers per file.")
@click.option("--seed", type=int, help="Repeat an earlier draw with its seed.")
@click.option("--by", "username", help="The reviewer opening the cycle (employee number).")
def open_cycle_command(month: str, sample_size: int, reviewers: int, seed: int | None, username: str | None) -> None:
    """Open the review of MONTH (YYYY-MM): draw the sample and assign reviewers."""
    actor = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none() \
        if username else None
    try:
        with _messages():
            cycle = services.open_cycle(actor, month, sample_size, reviewers, seed)
    except services.ReviewError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Cycle {cycle.month} opened with {len(cycle.files)} files (seed {cycle.seed}).")
