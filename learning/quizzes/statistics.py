"""Test statistics computed in SQL: score distribution, pass rate, and per question the facility and
discrimination indices.

Facility index: the mean fraction of the question's points earned (0–1) over graded attempts.
Discrimination index: the facility among the top third of attempts (by percent, NTILE(3)) minus the
facility among the bottom third; from −1 to 1, higher means the question separates strong from weak.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from .models import Attempt, AttemptQuestion, AttemptStatus, Question, QuestionVersion


def summary(test_id: int) -> dict:
    """Graded attempts, people, mean percent, passes and pass rate (0–1, None without attempts)."""
    count, people, mean, passed, waiting = db.session.execute(
        sa.select(sa.func.count(Attempt.id), sa.func.count(sa.distinct(Attempt.user_id)), sa.func.avg(Attempt.percent),
                  sa.func.coalesce(sa.func.sum(sa.case((Attempt.is_passed.is_(True), 1), else_=0)), 0),
                  sa.select(sa.func.count(Attempt.id)).where(Attempt.test_id == test_id,
                                                             Attempt.status == AttemptStatus.pending)
                  .scalar_subquery())
        .where(Attempt.test_id == test_id, Attempt.status == AttemptStatus.graded)).one()
    return {"attempts": count, "people": people, "mean_percent": round(float(mean), 2) if mean is not None else None,
            "passed": int(passed), "pass_rate": (int(passed) / count) if count else None, "pending": waiting}


BANDS = [f"{low}–{low + 9}" for low in range(0, 90, 10)] + ["90–100"]


def distribution(test_id: int) -> list[int]:
    """Graded attempts per band of ten percent (0–9, …, 90–100)."""
    if db.engine.dialect.name == "sqlite":  # CAST truncates in SQLite; percent is never negative
        band = sa.func.min(sa.cast(Attempt.percent / 10, sa.Integer), 9)
    else:
        band = sa.func.least(sa.cast(sa.func.floor(Attempt.percent / 10), sa.Integer), 9)
    rows = db.session.execute(sa.select(band.label("band"), sa.func.count(Attempt.id))
                              .where(Attempt.test_id == test_id, Attempt.status == AttemptStatus.graded)
                              .group_by("band")).all()
    counts = [0] * 10
    for index, count in rows:
        counts[int(index)] += count
    return counts


def item_analysis(test_id: int, limit: int | None = None) -> list[dict]:
    """Per question: times shown, facility and discrimination index; the most missed first (``limit`` rows)."""
    ranked = (sa.select(Attempt.id.label("attempt_id"),
                        sa.func.ntile(3).over(order_by=(Attempt.percent.desc(), Attempt.id)).label("tile"))
              .where(Attempt.test_id == test_id, Attempt.status == AttemptStatus.graded).subquery())
    fraction = sa.cast(sa.func.coalesce(AttemptQuestion.score, 0.0), sa.Float) / AttemptQuestion.points
    facility = sa.func.avg(fraction)
    upper = sa.func.avg(sa.case((ranked.c.tile == 1, fraction)))
    lower = sa.func.avg(sa.case((ranked.c.tile == 3, fraction)))
    rows = db.session.execute(
        sa.select(QuestionVersion.question_id, sa.func.count(AttemptQuestion.id), facility.label("facility"),
                  upper, lower)
        .select_from(AttemptQuestion)
        .join(ranked, ranked.c.attempt_id == AttemptQuestion.attempt_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
        .group_by(QuestionVersion.question_id)
        .order_by(sa.text("facility"), QuestionVersion.question_id).limit(limit)).all()
    questions = {question.id: question for question in db.session.execute(
        sa.select(Question).where(Question.id.in_([row[0] for row in rows]))).scalars()}
    result = []
    for question_id, shown, fac, up, low in rows:
        result.append({
            "question": questions.get(question_id), "question_id": question_id, "shown": shown,
            "facility": round(float(fac), 4) if fac is not None else None,
            "discrimination": round(float(up) - float(low), 4) if up is not None and low is not None else None,
        })
    return result


def attempts_query(test_id: int):
    """Finished attempts of a test with their people, newest first (for the table and the export)."""
    from sqlalchemy.orm import joinedload

    return (sa.select(Attempt).where(Attempt.test_id == test_id, Attempt.status != AttemptStatus.open)
            .options(joinedload(Attempt.user)).order_by(Attempt.finished_at.desc(), Attempt.id.desc()))
