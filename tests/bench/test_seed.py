"""``flask bench seed``: bulk benchmark data in an empty database, and the seed registry features use."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from learning import benchmark
from learning.benchmark import SEED_PASSWORD, register_seed, staff_username
from learning.extensions import db
from learning.people.models import Department, User, UserRole

from ..conftest import make_user


def test_seed_makes_staff_in_departments_with_roles(app, runner):
    """200 staff in four squads of 50 plus a legal and a personnel section; roles by the documented rule."""
    result = runner.invoke(args=["bench", "seed", "--staff", "200"])
    assert result.exit_code == 0, result.output
    assert "user 200" in result.output and SEED_PASSWORD in result.output
    with app.app_context():
        count = lambda model: db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()  # noqa: E731
        assert count(User) == 200
        assert count(Department) == 6
        roles = dict(db.session.execute(
            sa.select(UserRole.role, sa.func.count()).group_by(UserRole.role)).all())
        assert roles == {"learner": 200, "admin": 1, "mentor": 8, "reviewer": 1, "instructor": 1}
        assert db.session.execute(sa.select(sa.func.count(sa.distinct(User.password_hash)))).scalar_one() == 1
        admin = db.session.execute(sa.select(User).where(User.username == staff_username(1))).scalar_one()
        assert admin.department.code == "b-personnel" and admin.has_role("admin")
        auxiliaries = db.session.execute(
            sa.select(sa.func.count()).select_from(User).where(User.staff_category == "auxiliary")).scalar_one()
        assert auxiliaries == 50


def test_a_seeded_account_signs_in_with_the_documented_password(app, runner, client):
    """Any seeded account (here s000137) signs in through the real form with SEED_PASSWORD."""
    assert runner.invoke(args=["bench", "seed", "--staff", "200"]).exit_code == 0
    response = client.login(staff_username(137), SEED_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_seed_refuses_a_database_that_has_accounts(app, runner):
    """Benchmark data with a known password never lands next to real accounts."""
    with app.app_context():
        make_user("real1")
        db.session.commit()
    result = runner.invoke(args=["bench", "seed", "--staff", "10"])
    assert result.exit_code != 0
    assert "only for an empty" in result.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 1


@pytest.fixture
def isolated_registry(monkeypatch):
    """Seeds and options registered by a test vanish after it."""
    monkeypatch.setattr(benchmark, "_SEEDS", dict(benchmark._SEEDS))
    monkeypatch.setattr(benchmark.seed_command, "params", list(benchmark.seed_command.params))


def test_a_registered_seed_gets_its_option_and_the_staff_made_before_it(app, runner, isolated_registry):
    """A feature's seed runs after the people seed, sized by its own option, with the staff ids at hand."""
    seen = {}

    def seed_widgets(context):
        seen.update(size=context.sizes["widgets"], staff=len(context.data["staff_ids"]))
        rows = context.insert(UserRole.__table__, ({"user_id": user_id, "role": "instructor"}
                                                   for user_id in context.data["staff_ids"][:context.sizes["widgets"]]))
        return {"user_role": rows}

    register_seed("widgets", seed_widgets, option="widgets", order=90, help="Widgets.")
    register_seed("widgets", seed_widgets, option="widgets", order=90, help="Widgets.")  # twice: one option
    assert [param.name for param in benchmark.seed_command.params].count("widgets") == 1
    result = runner.invoke(args=["bench", "seed", "--staff", "30", "--widgets", "4"])
    assert result.exit_code == 0, result.output
    assert seen == {"size": 4, "staff": 30}
    assert "user_role 36" in result.output  # 30 learners, 1 admin, 1 mentor (s000025), 4 from the widget seed


def test_a_registered_seed_without_its_option_does_not_run(app, runner, isolated_registry):
    """A size of 0 (the default) skips the seed."""
    register_seed("never", lambda context: pytest.fail("ran"), option="never")
    result = runner.invoke(args=["bench", "seed", "--staff", "3"])
    assert result.exit_code == 0, result.output


def test_counts_prints_every_table_as_json(app, runner):
    """``bench counts`` is what the harness's checks read after a run."""
    runner.invoke(args=["bench", "seed", "--staff", "5"])
    counts = json.loads(runner.invoke(args=["bench", "counts"]).output.strip().splitlines()[-1])
    assert counts["user"] == 5 and counts["login_session"] == 0 and "audit_event" in counts
