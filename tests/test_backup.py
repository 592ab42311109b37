"""Snapshots taken while the site writes restore cleanly, and upgrades take one first."""

from __future__ import annotations

import sqlite3
import threading

import sqlalchemy as sa

from learning import audit, backup
from learning.audit import AuditEvent
from learning.extensions import db

from .conftest import TEST_DATABASE_URL


def test_snapshot_under_write_load_restores_every_acknowledged_record(app, tmp_path):
    """Writers keep committing while the snapshot is taken; what it holds restores intact."""
    stop = threading.Event()
    acknowledged: list[int] = []

    def writer():
        with app.app_context():
            while not stop.is_set():
                event = audit.record(None, "load.write")
                db.session.commit()
                acknowledged.append(event.id)
            db.session.remove()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        while len(acknowledged) < 50:
            pass
        with app.app_context():
            before_snapshot = set(acknowledged)
            snapshot = backup.create_backup(db.engine, tmp_path / "snap.dump" if TEST_DATABASE_URL
                                            else tmp_path / "snap.sqlite3")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if not TEST_DATABASE_URL:
        with sqlite3.connect(snapshot) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with app.app_context():
        backup.restore_backup(db.engine, snapshot)
        restored = set(db.session.execute(sa.select(AuditEvent.id)).scalars())
    assert before_snapshot <= restored
    assert len(restored) < len(acknowledged)  # what came after the snapshot is gone again


def test_upgrade_on_sqlite_takes_a_snapshot_first(tmp_path):
    """``flask db upgrade`` on a SQLite database with data writes a snapshot before migrating."""
    from flask_migrate import upgrade

    from learning import create_app

    from .conftest import BASE_CONFIG

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/up.sqlite3"})
    folder = tmp_path / "instance-backups"
    with app.app_context():
        upgrade()
        audit.record(None, "data.before.upgrade")
        db.session.commit()
        engine = db.engine
        from alembic.migration import MigrationContext

        with engine.connect() as connection:
            current = tuple(MigrationContext.configure(connection).get_current_heads())
        snapshot = backup.backup_before_migration(engine, current, ("head-that-differs",), folder)
    assert snapshot is not None and snapshot.exists()
