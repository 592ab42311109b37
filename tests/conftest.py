"""Fixtures: an app on a temporary database (SQLite, or PostgreSQL via TEST_DATABASE_URL), a client
that posts forms with their CSRF token, a sign-in helper that uses the real form, and factories."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from learning import create_app
from learning.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Client(FlaskClient):
    """A test client that adds the session's CSRF token to form posts."""

    _csrf: str | None = None

    def csrf_token(self) -> str:
        """A CSRF token valid for this client's session."""
        if self._csrf is None:
            page = self.get("/login").get_data(as_text=True)
            match = CSRF_PATTERN.search(page)
            if match is None:  # signed in: /login redirects, so take the token from the dashboard
                match = CSRF_PATTERN.search(self.get("/").get_data(as_text=True))
            self._csrf = match.group(1)
        return self._csrf

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        """POST ``data`` with the CSRF token, as a browser submitting the form would."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def login(self, username: str, password: str = "demo", **kwargs):
        """Sign in through the real form."""
        self._csrf = None
        response = self.post_form("/login", {"username": username, "password": password, **kwargs})
        self._csrf = None  # the session changes at sign-in
        return response

    def logout(self):
        """Sign out through the real form."""
        response = self.post_form("/logout")
        self._csrf = None
        return response


BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "RATELIMIT_STORAGE_URI": "memory://",
    "BABEL_DEFAULT_LOCALE": "en",
    "SERVER_NAME": None,
}


def _reset_postgres(engine) -> None:
    with engine.begin() as connection:
        tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        if tables:
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory):
    """A database with the schema, made once: a SQLite file to copy, or a PostgreSQL schema to truncate."""
    if TEST_DATABASE_URL:
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL})
        with app.app_context():
            db.drop_all()
            db.create_all()
            db.engine.dispose()
        return None
    path = tmp_path_factory.mktemp("template") / "schema.sqlite3"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    with sqlite3.connect(path) as connection:  # fold the WAL into the file, so one copy is complete
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def make_app(tmp_path: Path, schema_template, **config):
    """An app on a fresh copy of the schema."""
    if TEST_DATABASE_URL:
        uri = TEST_DATABASE_URL
    else:
        path = tmp_path / f"test-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(schema_template, path)
        uri = f"sqlite:///{path}"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, **config})
    app.test_client_class = Client
    if TEST_DATABASE_URL:
        with app.app_context():
            _reset_postgres(db.engine)
    return app


@pytest.fixture
def app(tmp_path, schema_template):
    """An app on an empty database with the current schema."""
    app = make_app(tmp_path, schema_template)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app) -> Client:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner of ``app``."""
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def demo_template(schema_template, tmp_path_factory):
    """On SQLite, a database with the demo data, made once and copied for each test that wants it."""
    if TEST_DATABASE_URL:
        return None
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copyfile(schema_template, path)
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def make_demo_app(tmp_path: Path, schema_template, demo_template, **config):
    """An app on a fresh database holding the demo data, as ``flask demo`` loads it."""
    if demo_template is not None:
        return make_app(tmp_path, demo_template, **config)
    app = make_app(tmp_path, schema_template, **config)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def demo_app(tmp_path, schema_template, demo_template):
    """An app whose database holds the demo data."""
    app = make_demo_app(tmp_path, schema_template, demo_template)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def demo_client(demo_app) -> Client:
    """A client of the demo app."""
    return demo_app.test_client()


@pytest.fixture
def ctx(app):
    """An app context for working with the database directly."""
    with app.app_context():
        yield


# --- factories -----------------------------------------------------------------------------------

def make_department(code: str = "sq9", name: str | None = None, kind: str = "squad"):
    """A department (flushed)."""
    from learning.people.models import Department, DepartmentKind

    department = Department(code=code, name=name or f"Squad {code}", kind=DepartmentKind(kind))
    db.session.add(department)
    db.session.flush()
    return department


def make_user(username: str = "u1", roles=(), department=None, category: str = "cadre",
              password: str = "correct horse battery", display_name: str | None = None, **fields):
    """An account (flushed) with the given roles and a known password."""
    from learning.people.models import StaffCategory, User

    user = User(username=username, display_name=display_name or f"Person {username}",
                staff_category=StaffCategory(category), department=department, **fields)
    user.set_roles(roles)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def factories():
    """The factory functions, for tests that prefer a fixture to an import."""
    return {"department": make_department, "user": make_user}
