"""Graded tests: what each demo role gets from every route (see tests/route_matrix.py)."""

from __future__ import annotations

import sqlalchemy as sa

from learning.extensions import db

from ..route_matrix import Route, everyone, only


def _test(world, slug="practice-zh"):
    from learning.quizzes.models import Test

    return world.first(Test, Test.slug == slug)


def _running(world):
    """The auxiliary's practice attempt left half-way in the demo (their newest attempt)."""
    from learning.quizzes.models import Attempt

    return db.session.execute(sa.select(Attempt).where(Attempt.user_id == world.user("auxiliary").id)
                              .order_by(Attempt.id.desc()).limit(1)).scalar_one()


def _finished(world):
    """The cadre's first graded practice attempt."""
    from learning.quizzes.models import Attempt, AttemptStatus

    return world.first(Attempt, Attempt.user_id == world.user("cadre").id, Attempt.status == AttemptStatus.graded)


def _waiting_item(world):
    from learning.quizzes.models import AttemptQuestion

    return world.first(AttemptQuestion, AttemptQuestion.needs_grading.is_(True))


def _question(world):
    from learning.quizzes.models import Question

    return db.session.execute(sa.select(Question).order_by(Question.id).limit(1)).scalar_one()


TAKERS = everyone()

ROUTES = [
    Route("quizzes.script", "/quizzes/attempt.js", everyone(anonymous=200)),
    Route("quizzes.my_tests", "/quizzes/tests", TAKERS),
    Route("quizzes.my_results", "/quizzes/results", TAKERS),
    Route("quizzes.test_detail", lambda w: f"/quizzes/tests/{_test(w).id}", TAKERS),
    Route("quizzes.start", lambda w: f"/quizzes/tests/{_test(w).id}/start", everyone(302), method="POST"),
    Route("quizzes.attempt", lambda w: f"/quizzes/attempts/{_running(w).id}", only("auxiliary")),
    Route("quizzes.save", lambda w: f"/quizzes/attempts/{_running(w).id}/save", only("auxiliary", status=302),
          method="POST", data={"position": "1", "response": "0", "action": "next"}),
    Route("quizzes.save_answer", lambda w: f"/quizzes/attempts/{_running(w).id}/answer", only("auxiliary"),
          method="POST", data={"position": "2", "response": "1"}),
    Route("quizzes.submit", lambda w: f"/quizzes/attempts/{_running(w).id}/submit", only("auxiliary", status=302),
          method="POST"),
    Route("quizzes.result", lambda w: f"/quizzes/attempts/{_finished(w).id}/result", only("cadre", "instructor")),
    Route("quizzes.grading_queue", "/quizzes/grading", only("instructor")),
    Route("quizzes.grade_item", lambda w: f"/quizzes/grading/{_waiting_item(w).id}", only("instructor")),
    Route("quizzes.grade_item", lambda w: f"/quizzes/grading/{_waiting_item(w).id}", only("instructor"),
          method="POST", data={"points": "", "feedback": ""}),
    Route("quizzes.questions", "/quizzes/manage/questions", only("instructor")),
    Route("quizzes.edit_question", "/quizzes/manage/questions/new", only("instructor")),
    Route("quizzes.edit_question", "/quizzes/manage/questions/new", only("instructor"), method="POST",
          data={"bank": ""}),
    Route("quizzes.edit_question", lambda w: f"/quizzes/manage/questions/{_question(w).id}/edit", only("instructor")),
    Route("quizzes.regrade", lambda w: f"/quizzes/manage/questions/{_question(w).id}/regrade", only("instructor")),
    Route("quizzes.regrade", lambda w: f"/quizzes/manage/questions/{_question(w).id}/regrade", only("instructor"),
          method="POST"),
    Route("quizzes.manage_tests", "/quizzes/manage/tests", only("instructor")),
    Route("quizzes.test_settings", lambda w: f"/quizzes/manage/tests/{_test(w).id}/settings", only("instructor")),
    Route("quizzes.test_settings", lambda w: f"/quizzes/manage/tests/{_test(w).id}/settings",
          only("instructor", status=302), method="POST", data={"opens_at": "", "closes_at": ""}),
    Route("quizzes.assign", lambda w: f"/quizzes/manage/tests/{_test(w).id}/assign", only("instructor")),
    Route("quizzes.assign", lambda w: f"/quizzes/manage/tests/{_test(w).id}/assign", only("instructor"),
          method="POST", data={"department_id": "0", "usernames": ""}),
    Route("quizzes.overrides", lambda w: f"/quizzes/manage/tests/{_test(w).id}/overrides", only("instructor")),
    Route("quizzes.overrides", lambda w: f"/quizzes/manage/tests/{_test(w).id}/overrides", only("instructor"),
          method="POST", data={"username": ""}),
    Route("quizzes.test_statistics", lambda w: f"/quizzes/manage/tests/{_test(w, 'monthly-assessment-zh').id}"
          "/statistics", only("instructor")),
    Route("quizzes.export", lambda w: f"/quizzes/manage/tests/{_test(w, 'monthly-assessment-zh').id}/export/csv",
          only("instructor")),
]
