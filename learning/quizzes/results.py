"""What other features read about test results (the contracts in the brief): plain values, fixed queries.

``test_average`` feeds the appraisal's "test average" criterion; ``results_for`` a person's record.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from ..extensions import db
from .models import Attempt, AttemptStatus, Test


def _per_test_query(user_ids, start: date, end: date):
    """One row per (person, test): the percent that counts by the test's grading method."""
    begin = datetime.combine(start, time.min)
    finish = datetime.combine(end + timedelta(days=1), time.min)
    ranked = (sa.select(
        Attempt.user_id, Attempt.test_id, Test.grading, Attempt.percent,
        sa.func.row_number().over(partition_by=(Attempt.user_id, Attempt.test_id),
                                  order_by=Attempt.number).label("first_rank"),
        sa.func.row_number().over(partition_by=(Attempt.user_id, Attempt.test_id),
                                  order_by=Attempt.number.desc()).label("last_rank"))
        .join(Test, Test.id == Attempt.test_id)
        .where(Attempt.user_id.in_(list(user_ids)), Attempt.status == AttemptStatus.graded,
               Attempt.finished_at >= begin, Attempt.finished_at < finish)
        .subquery())
    counted = sa.case(
        (ranked.c.grading == "highest", sa.func.max(ranked.c.percent)),
        (ranked.c.grading == "first", sa.func.max(sa.case((ranked.c.first_rank == 1, ranked.c.percent)))),
        (ranked.c.grading == "latest", sa.func.max(sa.case((ranked.c.last_rank == 1, ranked.c.percent)))),
        else_=sa.func.avg(ranked.c.percent))
    return (sa.select(ranked.c.user_id, ranked.c.test_id, counted.label("percent"))
            .group_by(ranked.c.user_id, ranked.c.test_id, ranked.c.grading))


def test_average(user_ids, start: date, end: date) -> dict[int, float | None]:
    """Mean percent (0–100) per person of the tests with graded attempts finished in the period.

    Each test counts once per person, by its grading method (highest, latest, first or average);
    a person without such attempts gets None. One SQL statement.
    """
    user_ids = list(user_ids)
    result: dict[int, float | None] = {user_id: None for user_id in user_ids}
    if not user_ids:
        return result
    per_test = _per_test_query(user_ids, start, end).subquery()
    rows = db.session.execute(sa.select(per_test.c.user_id, sa.func.avg(per_test.c.percent))
                              .group_by(per_test.c.user_id)).all()
    for user_id, average in rows:
        result[user_id] = round(float(average), 2) if average is not None else None
    return result


test_average.__test__ = False  # a contract function, not a pytest test


RESULT_STATUSES = (AttemptStatus.graded, AttemptStatus.pending)
"""Attempts that count as a result: graded, or finished and waiting for a grader."""

LATEST_FIRST = (Attempt.finished_at.desc(), Attempt.id.desc())
"""The order of results: newest first."""


def result_columns():
    """The columns ``result_entry`` reads, in its order (join ``Test`` on the attempt's test)."""
    return (Test.title, Test.slug, Attempt.id, Attempt.percent, Attempt.is_passed, Attempt.finished_at,
            Attempt.status)


def result_entry(title, slug, attempt_id, percent, passed, finished_at, status) -> dict:
    """One result as ``results_for`` returns it, from the values of ``result_columns``."""
    return {"test_title": title, "test_slug": slug, "attempt_id": attempt_id, "score_percent": percent,
            "passed": passed, "finished_at": finished_at, "status": str(status)}


def results_for(user_id: int, limit: int = 10) -> list[dict]:
    """The person's latest finished attempts: test title, score percent, passed, finished_at (newest first).

    An attempt still waiting for a grader is listed with ``score_percent`` and ``passed`` None.
    """
    rows = db.session.execute(
        sa.select(*result_columns())
        .join(Test, Test.id == Attempt.test_id)
        .where(Attempt.user_id == user_id, Attempt.status.in_(RESULT_STATUSES))
        .order_by(*LATEST_FIRST).limit(limit)).all()
    return [result_entry(*row) for row in rows]


def test_id_for_slug(slug: str) -> int | None:
    """The id of the live test with this slug (for links from a course to the test that completes it)."""
    return db.session.execute(
        sa.select(Test.id).where(Test.slug == slug, Test.is_archived.is_(False))).scalar_one_or_none()
