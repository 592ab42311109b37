"""Dashboard panels: my tests (learners) and the grading queue (graders).

The dashboard runs every feature's panels on one page, so each panel here is one SQL statement
whatever the data. "My tests" lists rows and shows a count: it selects from a one-row summary (the
count) outer-joined to the rows, so the count arrives even when there is no row to list.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import get_locale

from ..extensions import db
from . import results, services
from .models import Attempt, AttemptStatus, Test

RUNNING_ROWS = 5
RESULT_ROWS = 3


def my_tests_panel(user) -> dict:
    """Running attempts (oldest first), how many tests are open to the person, and their latest results
    (as ``results.results_for`` gives them). One statement."""
    language = "en" if str(get_locale()).startswith("en") else "zh"
    tests = services.tests_for_user_query(user, language).order_by(None).subquery()
    open_count = sa.select(sa.func.count()).select_from(tests).scalar_subquery()
    summary = sa.select(open_count.label("open_count")).subquery("summary")
    # Running attempts and results are ranked apart: running ones by start, results newest first.
    running = Attempt.status == AttemptStatus.open
    rank = sa.func.row_number().over(
        partition_by=running, order_by=(sa.case((running, Attempt.started_at)), *results.LATEST_FIRST))
    attempts = (sa.select(*results.result_columns(), running.label("is_running"), rank.label("row_rank"))
                .join(Test, Test.id == Attempt.test_id)
                .where(Attempt.user_id == user.id,
                       sa.or_(running, Attempt.status.in_(results.RESULT_STATUSES)))
                .subquery("attempts"))
    listed = sa.or_(sa.and_(attempts.c.is_running, attempts.c.row_rank <= RUNNING_ROWS),
                    sa.and_(sa.not_(attempts.c.is_running), attempts.c.row_rank <= RESULT_ROWS))
    columns = [attempts.c[column.key] for column in results.result_columns()]
    rows = db.session.execute(
        sa.select(summary.c.open_count, attempts.c.is_running, *columns)
        .select_from(summary).outerjoin(attempts, listed)
        .order_by(attempts.c.row_rank)).all()
    running_attempts, latest = [], []
    for row in rows:
        if row.is_running is not None:  # None: the summary row alone, nothing to list
            (running_attempts if row.is_running else latest).append(results.result_entry(*row[2:]))
    return {"running": running_attempts, "open_count": rows[0].open_count, "results": latest}


def grading_panel(_user) -> dict:
    """How many answers wait for a grader. One statement."""
    return {"waiting": services.waiting_count()}
