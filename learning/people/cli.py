"""``flask people``: roster import and the first administrator of a real installation."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from . import services
from .models import StaffCategory

people_cli = AppGroup("people", help="Accounts and the staff roster.")


@people_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Create or update accounts from a roster file (.csv in UTF-8 or GB18030, or .xlsx)."""
    report = services.import_roster(None, path.read_bytes(), path.name)
    if report.error:
        db.session.rollback()
        raise click.ClickException(report.error)
    for row in report.rows:
        line = f"line {row.line:>5}  {row.key or '-':<16} {row.status}"
        if row.reasons:
            line += ": " + "; ".join(row.reasons)
        if row.note:
            line += f"  ({row.note})"
        click.echo(line)
    db.session.commit()
    summary = report.summary
    click.echo(f"created {summary['created']}, updated {summary['updated']}, "
               f"unchanged {summary['unchanged']}, rejected {summary['rejected']}")


@people_cli.command("create-admin")
@click.option("--username", prompt="Employee number", help="The administrator's employee number.")
@click.option("--name", "display_name", prompt="Name", help="The administrator's name.")
@click.password_option(help="Asked for when not given.")
def create_admin_command(username: str, display_name: str, password: str) -> None:
    """Create the first administrator of a real installation."""
    problems = services.password_problems(password, username)
    if problems:
        raise click.ClickException(" ".join(problems))
    if services.find_user(username):
        raise click.ClickException(f"An account {username!r} exists already.")
    services.create_account(None, username=username, display_name=display_name,
                            staff_category=StaffCategory.cadre, department=None,
                            roles={"admin"}, password=password)
    db.session.commit()
    click.echo(f"Administrator {username} created. Sign in and add departments and accounts.")
