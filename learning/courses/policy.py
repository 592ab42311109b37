"""Object rules of courses: who may take a course, see a certificate, or run a class."""

from __future__ import annotations

import sqlalchemy as sa

from .. import permissions
from ..extensions import db
from .models import Assignment, Certificate, ClassSession, Course, Enrolment, Lesson


def can_take_course(user, course: Course) -> bool:
    """A course is open to its audience, to people it was assigned to, and to those already enrolled."""
    if "courses.manage" in permissions.permissions_of(user):
        return True
    if course.audience.value in ("all", user.staff_category.value) and not course.is_archived:
        return True
    assigned = db.session.execute(sa.select(Assignment.id).where(
        Assignment.user_id == user.id, Assignment.course_id == course.id)).first()
    enrolled = db.session.execute(sa.select(Enrolment.id).where(
        Enrolment.user_id == user.id, Enrolment.course_id == course.id)).first()
    return assigned is not None or enrolled is not None


@permissions.object_rule("courses.learn")
def learn_rule(user, obj) -> bool:
    """Courses and lessons by audience or assignment; certificates by their holder or training staff."""
    if "courses.learn" not in permissions.permissions_of(user):
        return False
    if isinstance(obj, Lesson):
        return can_take_course(user, obj.course)
    if isinstance(obj, Course):
        return can_take_course(user, obj)
    if isinstance(obj, Certificate):
        return obj.user_id == user.id or "training.view_all" in permissions.permissions_of(user)
    return False


@permissions.object_rule("classes.manage")
def manage_class_rule(user, session: ClassSession) -> bool:
    """A class is run by instructors, and by the colleague named as its instructor."""
    return "classes.manage" in permissions.permissions_of(user) or session.instructor_id == user.id


@permissions.object_rule("classes.attend")
def attend_rule(user, session: ClassSession) -> bool:
    """A class is open to its audience (those who run it may always look)."""
    granted = permissions.permissions_of(user)
    if "classes.manage" in granted or session.instructor_id == user.id:
        return True
    return "classes.attend" in granted and session.audience.value in ("all", user.staff_category.value)
