"""``flask mentorship``: the pairings behind their cadence, for a scheduled reminder or a quick look."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..audit import utcnow
from . import services

mentorship_cli = AppGroup("mentorship", help="The Blue and Green mentorship programme.")


@mentorship_cli.command("overdue")
def overdue_command() -> None:
    """List active pairings whose next talk is overdue (exit status 0 either way)."""
    today = utcnow().date()
    pairings = services.overdue_pairings(today=today, limit=1000)
    for pairing in pairings:
        click.echo(f"{pairing.mentor.username:<12} -> {pairing.apprentice.username:<12} "
                   f"due {pairing.next_talk_due_on.isoformat()} ({(today - pairing.next_talk_due_on).days} days late)")
    click.echo(f"{len(pairings)} pairing(s) behind their cadence")
