"""``flask appraisal``: the purge of applicants' personal data after recruitment rounds."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from ..extensions import db
from . import recruitment

appraisal_cli = AppGroup("appraisal", help="Appraisal, registry and recruitment.")


@appraisal_cli.command("purge-applicants")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Act as if today were this date.")
def purge_applicants_command(today) -> None:
    """Delete applicants of rounds closed longer than their retention period, keeping anonymous counts."""
    day = today.date() if today else date.today()
    rounds = recruitment.purge_due(day)
    total = 0
    for round_ in rounds:
        deleted = recruitment.purge_applicants(None, round_)
        total += deleted
        click.echo(f"round {round_.id} {round_.title}: {deleted} applicants deleted")
    db.session.commit()
    click.echo(f"{len(rounds)} rounds purged, {total} applicants deleted")
