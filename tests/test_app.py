"""The app factory, configuration, health check, database settings and response headers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from learning import create_app
from learning.config import normalise_database_url
from learning.extensions import db

from .conftest import BASE_CONFIG, TEST_DATABASE_URL

sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's locking and pragmas")


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    """Without SECRET_KEY a key is generated into instance/ and reused by the next start."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.sqlite3"}
    app = create_app(config)
    key = app.config["SECRET_KEY"]
    assert len(key) >= 32
    assert create_app(config).config["SECRET_KEY"] == key


def test_environment_overrides_defaults(tmp_path, monkeypatch):
    """DATABASE_URL, RATELIMIT_STORAGE_URI and LEARNING_-prefixed settings come from the environment."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("LEARNING_PER_PAGE", "7")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite3")
    assert app.config["PER_PAGE"] == 7


def test_postgres_urls_use_psycopg3():
    """Plain PostgreSQL URLs are routed to psycopg 3."""
    assert normalise_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("sqlite:///x") == "sqlite:///x"


def test_healthz_reports_the_database(client):
    """Healthy: 200 with status ok and database ok."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_says_503_when_the_database_is_unreachable(tmp_path):
    """An unreachable database answers 503 with database error."""
    app = create_app({**BASE_CONFIG,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/nothing.sqlite3"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "error"


@sqlite_only
def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(app):
    """The SQLite connection uses WAL, foreign keys, synchronous=NORMAL and a busy timeout."""
    with app.app_context():
        connection = db.session.connection()
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


@sqlite_only
def test_writing_requests_take_the_write_lock_first(app):
    """A POST begins with BEGIN IMMEDIATE, a GET with a plain BEGIN (so readers never wait)."""
    statements = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda conn, cursor, statement, *args: statements.append(statement))
    client = app.test_client()
    client.get("/healthz")
    assert "BEGIN" in statements and "BEGIN IMMEDIATE" not in statements
    statements.clear()
    client.post_form("/login", {"username": "x", "password": "y"})
    assert "BEGIN IMMEDIATE" in statements


def test_security_headers(client):
    """Every page forbids framing and sniffing and allows no inline script."""
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_load_bootstrap_from_the_site_itself(client):
    """No CDN: CSS and script come from this server."""
    page = client.get("/login").get_data(as_text=True)
    assert "cdn" not in page.lower()
    assert "/bootstrap/static/" in page
    response = client.get("/bootstrap/static/css/bootstrap.min.css")
    assert response.status_code == 200
    response.close()


def test_error_pages_in_the_users_language(demo_client):
    """A 404 in Chinese for a user who chose Chinese."""
    demo_client.login("cadre")
    demo_client.post_form("/language", {"language": "zh_Hans_CN"})
    response = demo_client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


@sqlite_only
def test_sign_in_checks_the_password_before_taking_the_write_lock(app):
    """The slow password check happens in a read transaction, so other writers do not wait for it."""
    statements = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda conn, cursor, statement, *args: statements.append(statement))
    client = app.test_client()
    client.csrf_token()
    statements.clear()
    client.post_form("/login", {"username": "nobody", "password": "wrong password"})
    lookup = next(index for index, statement in enumerate(statements) if 'FROM "user"' in statement
                  or "FROM user" in statement)
    assert statements.index("BEGIN IMMEDIATE") > lookup
    assert "BEGIN IMMEDIATE" not in statements[:lookup]
