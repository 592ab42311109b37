"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from learning import create_app
from learning.extensions import db

from .conftest import BASE_CONFIG, TEST_DATABASE_URL


@pytest.fixture
def empty_app(tmp_path):
    """An app on a database with no tables at all."""
    if TEST_DATABASE_URL:
        uri = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + os.environ.get("TEST_MIGRATION_DB", "")
        if not os.environ.get("TEST_MIGRATION_DB"):
            pytest.fail("TEST_MIGRATION_DB must name a second, empty PostgreSQL database")
    else:
        uri = f"sqlite:///{tmp_path}/migrations.sqlite3"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    yield app
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


def test_models_and_migrations_agree(empty_app):
    """After upgrading to the newest migration, autogenerate finds nothing to add or change."""
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
    assert differences == [], f"models and migrations differ: {differences}"


def test_every_migration_downgrades_and_upgrades_again(empty_app):
    """Each step can be undone and redone."""
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        with db.engine.connect() as connection:
            assert "user" in sa.inspect(connection).get_table_names()


def _rows(connection, tables) -> dict:
    """Every row of each table."""
    return {table: connection.execute(sa.select(sa.text("*")).select_from(sa.table(table))).all()
            for table in tables}


def test_data_written_at_the_first_migration_survives_every_upgrade(empty_app):
    """A database made at the first migration, with a row in each of its tables, upgrades intact."""
    tables = ("department", "user", "user_role", "login_session", "audit_event")
    with empty_app.app_context():
        upgrade(revision="0001_people")
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO department (id, code, name, kind) VALUES (1, 'sq1', '第一中队', 'squad')"))
            connection.execute(sa.text(
                'INSERT INTO "user" (id, username, display_name, staff_category, department_id, is_active, '
                "password_hash, must_change_password, is_demo, created_at) VALUES (1, 'c1', '张某', 'cadre', 1, "
                "TRUE, 'hash', FALSE, FALSE, '2026-01-02 03:04:05')"))
            connection.execute(sa.text("INSERT INTO user_role (user_id, role) VALUES (1, 'mentor')"))
            connection.execute(sa.text(
                "INSERT INTO login_session (token, user_id, created_at, expires_at) "
                "VALUES ('t', 1, '2026-01-02 03:04:05', '2026-01-03 03:04:05')"))
            connection.execute(sa.text(
                "INSERT INTO audit_event (id, at, actor_id, action) VALUES (1, '2026-01-02 03:04:05', 1, 'x.y')"))
            before = _rows(connection, tables)
        upgrade()
        with db.engine.connect() as connection:
            after = _rows(connection, tables)
            heads = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        from alembic.script import ScriptDirectory

        newest = ScriptDirectory.from_config(empty_app.extensions["migrate"].migrate.get_config()).get_heads()
    assert after == before
    assert heads == newest and heads != ["0001_people"]
