"""``flask quizzes``: grading attempts whose deadline passed (run it periodically, e.g. every minute)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from . import services

quizzes_cli = AppGroup("quizzes", help="Graded tests.")


@quizzes_cli.command("close-overdue")
def close_overdue_command() -> None:
    """Grade every running attempt whose deadline passed, on the answers saved."""
    closed = services.close_overdue()
    db.session.commit()
    click.echo(f"closed {closed} overdue attempts")
