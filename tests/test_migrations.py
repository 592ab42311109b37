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
