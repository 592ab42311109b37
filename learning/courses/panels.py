"""Dashboard panels of courses: my courses, my training hours, my weekend classes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from ..audit import utcnow
from ..extensions import db
from . import services
from .models import Assignment, ClassSession, Enrolment, Registration

PANEL_ROWS = 5


def my_courses(user) -> dict:
    """Assigned courses not yet completed (by due date), then other courses in progress."""
    enrolments = list(db.session.execute(
        sa.select(Enrolment).options(joinedload(Enrolment.course))
        .outerjoin(Assignment, sa.and_(Assignment.course_id == Enrolment.course_id,
                                       Assignment.user_id == Enrolment.user_id))
        .where(Enrolment.user_id == user.id, Enrolment.completed_at.is_(None))
        .order_by(Assignment.due_on.is_(None), Assignment.due_on, Enrolment.enrolled_at.desc())
        .limit(PANEL_ROWS)).scalars())
    ids = [e.course_id for e in enrolments]
    completed = db.session.execute(sa.select(sa.func.count(Enrolment.id)).where(
        Enrolment.user_id == user.id, Enrolment.completed_at.is_not(None))).scalar_one()
    return {"enrolments": enrolments, "totals": services.lesson_counts(ids),
            "done": services.done_counts(user.id, ids), "assignments": services.assignments_of(user.id, ids),
            "completed": completed, "today": utcnow().date()}


def my_hours(user) -> dict:
    """Hours this year against the annual requirement."""
    year = utcnow().year
    start, end = services.year_bounds(year)
    return {"year": year, "total": services.training_hours([user.id], start, end)[user.id],
            "required": float(current_app.config["ANNUAL_TRAINING_HOURS"])}


def my_classes(user) -> dict:
    """The user's next registered classes, and how many upcoming classes are open."""
    now = utcnow()
    registrations = list(db.session.execute(
        sa.select(Registration).join(ClassSession, ClassSession.id == Registration.session_id)
        .options(joinedload(Registration.session))
        .where(Registration.user_id == user.id, ClassSession.ends_at >= now)
        .order_by(ClassSession.starts_at).limit(PANEL_ROWS)).scalars())
    upcoming = db.session.execute(
        services.sessions_query(True, now, user).with_only_columns(sa.func.count(ClassSession.id))
        .order_by(None)).scalar_one()
    return {"registrations": registrations, "upcoming": upcoming}
