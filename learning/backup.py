"""Consistent database snapshots: SQLite's online backup API, or pg_dump for PostgreSQL.

A snapshot can be taken while the site is writing; restoring one replaces the database's content.
``flask db upgrade`` takes one first on SQLite (see migrations/env.py).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.engine import Engine, make_url

from .extensions import db

backup_cli = AppGroup("backup", help="Snapshots of the database.")


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def default_backup_dir() -> Path:
    """``instance/backups``."""
    return Path(current_app.instance_path) / "backups"


def _libpq_url(engine: Engine) -> str:
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise click.ClickException("an in-memory SQLite database cannot be backed up")
    return Path(database)


def create_backup(engine: Engine, destination: Path | None = None) -> Path:
    """Write a consistent snapshot of the database and return its path."""
    folder = destination.parent if destination else default_backup_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        destination = destination or folder / f"learning-{_stamp()}.sqlite3"
        source = sqlite3.connect(_sqlite_path(engine), timeout=60)
        target = sqlite3.connect(destination)
        try:
            with target:
                source.backup(target, pages=1024)  # copies in steps; writers are not blocked for long
        finally:
            target.close()
            source.close()
        return destination
    if engine.dialect.name == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if not pg_dump:
            raise click.ClickException("pg_dump is not installed")
        destination = destination or folder / f"learning-{_stamp()}.dump"
        command = [pg_dump, "--format=custom", "--no-owner", f"--file={destination}",
                   f"--dbname={_libpq_url(engine)}"]
        subprocess.run(command, check=True)  # noqa: S603 - a fixed argument list, no shell
        return destination
    raise click.ClickException(f"backups of {engine.dialect.name} are not supported")


def restore_backup(engine: Engine, source: Path) -> None:
    """Replace the database's content with the snapshot at ``source``."""
    if not source.exists():
        raise click.ClickException(f"{source} does not exist")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        snapshot = sqlite3.connect(source)
        target = sqlite3.connect(_sqlite_path(engine), timeout=60)
        try:
            check = snapshot.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise click.ClickException(f"the snapshot is damaged: {check}")
            with target:
                snapshot.backup(target)
        finally:
            target.close()
            snapshot.close()
        return
    if engine.dialect.name == "postgresql":
        pg_restore = shutil.which("pg_restore")
        if not pg_restore:
            raise click.ClickException("pg_restore is not installed")
        command = [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                   f"--dbname={_libpq_url(engine)}", str(source)]
        subprocess.run(command, check=True)  # noqa: S603 - a fixed argument list, no shell
        return
    raise click.ClickException(f"backups of {engine.dialect.name} are not supported")


def backup_before_migration(engine: Engine, current: tuple[str, ...], targets: tuple[str, ...],
                            folder: Path) -> Path | None:
    """On a SQLite database that has data and is about to change schema, take a snapshot first."""
    if engine.dialect.name != "sqlite" or not current or set(current) == set(targets):
        return None
    path = Path(make_url(str(engine.url)).database or "")
    if not path.exists() or path.stat().st_size == 0:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return create_backup(engine, folder / f"before-upgrade-{_stamp()}.sqlite3")


@backup_cli.command("create")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the snapshot (default: instance/backups/).")
def create_command(output: Path | None) -> None:
    """Write a consistent snapshot of the database, even while the site is in use."""
    path = create_backup(db.engine, output)
    click.echo(f"Snapshot written to {path} ({path.stat().st_size // 1024} KiB).")


@backup_cli.command("restore")
@click.argument("snapshot", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(snapshot: Path, yes: bool) -> None:
    """Replace the database's content with SNAPSHOT (stop the site first)."""
    if not yes:
        click.confirm(f"Replace the whole database with {snapshot}?", abort=True)
    db.session.remove()
    restore_backup(db.engine, snapshot)
    click.echo(f"Database restored from {snapshot}.")


def init_app(app: Flask) -> None:
    """Register ``flask backup``."""
    app.cli.add_command(backup_cli)
