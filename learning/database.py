"""Database engine set-up: SQLite pragmas and write transactions that take the lock up front.

A deferred SQLite transaction that reads and then writes fails at once with "database is locked"
when another connection writes in between, whatever the busy timeout. Requests that change data
therefore begin with ``BEGIN IMMEDIATE``; read-only requests keep plain ``BEGIN`` so readers never
queue behind writers (WAL lets them read while one connection writes).
"""

from __future__ import annotations

import contextvars

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

_write_intent: contextvars.ContextVar[bool | None] = contextvars.ContextVar("write_intent", default=None)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def wants_write() -> bool:
    """Whether the next transaction should take SQLite's write lock when it begins."""
    explicit = _write_intent.get()
    if explicit is not None:
        return explicit
    if has_request_context():
        return request.method not in SAFE_METHODS
    return True  # CLI commands and scripts write more often than not.


def begin_write() -> None:
    """End any open read transaction so that the next one begins as a write transaction.

    A GET view that may write (for example grading an attempt whose deadline passed) calls this
    before its first query.
    """
    db.session.commit()
    _write_intent.set(True)


def read_first() -> None:
    """Let the current request read without the write lock until it calls ``begin_write``.

    For a POST that does slow work before deciding whether to write (checking a password hash),
    so that other writers are not kept waiting meanwhile.
    """
    _write_intent.set(False)


def reset_write_intent() -> None:
    """Forget an explicit intent at the end of a request."""
    _write_intent.set(None)


def is_sqlite(engine: Engine) -> bool:
    """True for the SQLite dialect."""
    return engine.dialect.name == "sqlite"


def configure_engine(app: Flask) -> None:
    """Attach the SQLite pragmas and transaction handling to the app's engine."""
    engine = db.engine
    if not is_sqlite(engine):
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
        # Let SQLAlchemy's "begin" event emit BEGIN itself instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not app.config["SQLALCHEMY_DATABASE_URI"].endswith(":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(app.config['SQLITE_BUSY_TIMEOUT_MS'])}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if wants_write() else "BEGIN")
