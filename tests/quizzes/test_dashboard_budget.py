"""The dashboard panels of tests stay within their share of the page's statement budget (2 for both
panels together, for every demo role) and still show the same figures."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import get_locale

from learning.audit import utcnow
from learning.extensions import db
from learning.people.models import User
from learning.quizzes import panels, results, services
from learning.quizzes.models import Attempt, AttemptStatus
from tests.dashboard import DEMO_ROLES, panel_statements

from .conftest import make_test

BUDGET = 2
AREA = "quizzes"
PASSWORD = "correct horse battery"


def test_test_panels_stay_within_the_budget_for_every_demo_role(demo_app):
    """Whoever signs in, the test panels together run at most two statements, templates included."""
    counts = {}
    for role in DEMO_ROLES:
        with demo_app.test_request_context():
            counts[role], contexts = panel_statements(AREA, role)
            assert "quizzes.my_tests" in contexts, role
    assert all(count <= BUDGET for count in counts.values()), counts
    with demo_app.test_request_context():
        assert "quizzes.grading" in panel_statements(AREA, "instructor")[1]  # the instructor's two panels fit too


def test_test_panels_show_what_the_services_compute(demo_app):
    """For every demo role: the running attempts oldest first, the tests open to them, the three latest
    results as ``results_for`` gives them, and for graders the answers waiting."""
    for role in DEMO_ROLES:
        with demo_app.test_request_context():
            _, contexts = panel_statements(AREA, role)
            user = db.session.execute(sa.select(User).where(User.username == role)).scalar_one()
            mine = contexts["quizzes.my_tests"]
            assert mine["results"] == results.results_for(user.id, limit=3), role
            language = "en" if str(get_locale()).startswith("en") else "zh"
            open_tests = db.session.execute(services.tests_for_user_query(user, language)).scalars().all()
            assert mine["open_count"] == len(open_tests)
            running = db.session.execute(sa.select(Attempt).where(
                Attempt.user_id == user.id, Attempt.status == AttemptStatus.open)
                .order_by(Attempt.started_at).limit(panels.RUNNING_ROWS)).scalars().all()
            assert [(a["attempt_id"], a["test_title"]) for a in mine["running"]] == \
                [(a.id, a.test.title) for a in running]
            if "quizzes.grading" in contexts:
                assert contexts["quizzes.grading"]["waiting"] == services.waiting_count()
    with demo_app.test_request_context():
        assert panel_statements(AREA, "cadre")[1]["quizzes.my_tests"]["results"]  # the demo shows real results


def test_my_tests_panel_lists_running_attempts_and_the_three_latest_results(app, client, site, data):
    """Two running attempts (oldest first) and five results of which the three newest show, a pending one
    as waiting for a grader; someone without attempts still sees how many tests are open to them."""
    now = utcnow()
    with data():
        learner = db.session.execute(sa.select(User).where(User.username == "learner1")).scalar_one()
        tests = [make_test(f"t{number}", ["demo-bank/q-single"], title=f"Panel test {number}") for number in range(7)]

        def attempt(test, status, minutes, percent=None, passed=None):
            at = now - timedelta(minutes=minutes)
            db.session.add(Attempt(test_id=test.id, user_id=learner.id, status=status, started_at=at,
                                   finished_at=None if status == AttemptStatus.open else at,
                                   percent=percent, is_passed=passed, max_score=1.0))

        attempt(tests[0], AttemptStatus.open, 5)
        attempt(tests[1], AttemptStatus.open, 50)
        for number, minutes in ((2, 400), (3, 300), (4, 200), (5, 100)):
            attempt(tests[number], AttemptStatus.graded, minutes, percent=10.0 * number, passed=number > 3)
        attempt(tests[6], AttemptStatus.pending, 30)
    client.login("learner1", PASSWORD)
    page = client.get("/").get_data(as_text=True)
    assert page.index("Panel test 1") < page.index("Panel test 0")  # the older running attempt first
    assert "Waiting for manual grading" in page
    assert "Panel test 5" in page and "50%" in page and "Panel test 4" in page and "40%" in page
    assert "Panel test 3" not in page and "Panel test 2" not in page
    assert "7 tests open to you" in page
    client.logout()
    client.login("learner2", PASSWORD)
    page = client.get("/").get_data(as_text=True)
    assert "7 tests open to you" in page and "In progress" not in page and "Panel test" not in page
