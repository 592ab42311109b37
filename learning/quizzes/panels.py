"""Dashboard panels: my tests (learners) and the grading queue (graders)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import get_locale

from ..extensions import db
from . import results, services
from .models import Attempt, AttemptStatus


def my_tests_panel(user) -> dict:
    """Running attempts, how many tests are open to the person, and their latest results."""
    language = "en" if str(get_locale()).startswith("en") else "zh"
    running = db.session.execute(sa.select(Attempt).where(Attempt.user_id == user.id,
                                                          Attempt.status == AttemptStatus.open)
                                 .order_by(Attempt.started_at).limit(5)).scalars().all()
    query = services.tests_for_user_query(user, language).order_by(None).subquery()
    open_count = db.session.execute(sa.select(sa.func.count()).select_from(query)).scalar_one()
    return {"running": running, "open_count": open_count, "results": results.results_for(user.id, limit=3)}


def grading_panel(_user) -> dict:
    """How many answers wait for a grader."""
    return {"waiting": services.waiting_count()}
