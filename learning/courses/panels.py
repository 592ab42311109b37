"""Dashboard panels of courses: my courses, my training hours, my weekend classes.

The dashboard runs every feature's panels on one page, so each panel here costs one SQL statement
whatever the data: the figures come as scalar subqueries, and the few rows a panel lists are joined
in the same statement. A panel that lists rows *and* shows a count selects from a one-row summary
(the counts) outer-joined to the rows, so the counts arrive even when there is no row to list.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, contains_eager

from ..audit import utcnow
from ..extensions import db
from . import services
from .models import Assignment, ClassSession, Course, Enrolment, Lesson, LessonProgress, Registration

PANEL_ROWS = 5


def my_courses(user) -> dict:
    """Assigned courses not yet completed (by due date), then other courses in progress, each with its
    lessons done and due date; and how many courses the user has completed. One statement."""
    finished = aliased(Enrolment)
    completed = (sa.select(sa.func.count(finished.id))
                 .where(finished.user_id == user.id, finished.completed_at.is_not(None)).scalar_subquery())
    summary = sa.select(completed.label("completed")).subquery("summary")
    total = (sa.select(sa.func.count(Lesson.id))
             .where(Lesson.course_id == Enrolment.course_id, Lesson.is_archived.is_(False)).scalar_subquery())
    done = (sa.select(sa.func.count(LessonProgress.id)).join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(Lesson.course_id == Enrolment.course_id, Lesson.is_archived.is_(False),
                   LessonProgress.user_id == user.id).scalar_subquery())
    rows = db.session.execute(
        sa.select(summary.c.completed, Enrolment, total.label("total"), done.label("done"), Assignment.due_on)
        .select_from(summary)
        .outerjoin(Enrolment, sa.and_(Enrolment.user_id == user.id, Enrolment.completed_at.is_(None)))
        .outerjoin(Course, Course.id == Enrolment.course_id)
        .outerjoin(Assignment, sa.and_(Assignment.course_id == Enrolment.course_id,
                                       Assignment.user_id == Enrolment.user_id))
        .options(contains_eager(Enrolment.course))
        .order_by(Assignment.due_on.is_(None), Assignment.due_on, Enrolment.enrolled_at.desc())
        .limit(PANEL_ROWS)).all()
    courses = [{"course": row.Enrolment.course, "done": row.done, "total": row.total, "due_on": row.due_on}
               for row in rows if row.Enrolment is not None]
    return {"courses": courses, "completed": rows[0].completed, "today": utcnow().date()}


def my_hours(user) -> dict:
    """Hours this year against the annual requirement. One statement."""
    year = utcnow().year
    start, end = services.year_bounds(year)
    return {"year": year, "total": services.training_hours([user.id], start, end)[user.id],
            "required": float(current_app.config["ANNUAL_TRAINING_HOURS"])}


def my_classes(user) -> dict:
    """The user's next registered classes, and how many upcoming classes are open to them. One statement."""
    now = utcnow()
    upcoming = (services.sessions_query(True, now, user).with_only_columns(sa.func.count(ClassSession.id))
                .order_by(None).scalar_subquery())
    summary = sa.select(upcoming.label("upcoming")).subquery("summary")
    not_over = sa.select(ClassSession.id).where(ClassSession.ends_at >= now)
    rows = db.session.execute(
        sa.select(summary.c.upcoming, Registration)
        .select_from(summary)
        .outerjoin(Registration, sa.and_(Registration.user_id == user.id, Registration.session_id.in_(not_over)))
        .outerjoin(ClassSession, ClassSession.id == Registration.session_id)
        .options(contains_eager(Registration.session))
        .order_by(ClassSession.starts_at).limit(PANEL_ROWS)).all()
    registrations = [row.Registration for row in rows if row.Registration is not None]
    return {"registrations": registrations, "upcoming": rows[0].upcoming}
