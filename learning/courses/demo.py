"""Demo data of courses: learners part-way through courses, a completed course with its certificate,
an assignment to a squad (and an overdue one), and weekend classes, one with attendance taken."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..audit import utcnow
from ..extensions import db
from ..people.models import Department, User
from . import services
from .loader import sync_courses
from .models import Attendance, Audience, Certificate, Course, LedgerEntry


def _user(username: str) -> User:


    """The demo account ``username``."""
    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one()


def _course(group: str, language: str = "zh") -> Course | None:
    """The course of ``group`` in ``language`` (else any active course), for a demo that survives edits."""
    found = db.session.execute(sa.select(Course).where(
        Course.group_key == group, Course.language == language, Course.is_archived.is_(False))).scalar_one_or_none()
    return found


def _fallback(exclude: set[int], language: str = "zh") -> Course | None:


    """Any other active course of ``language``, when the expected one is missing from the content."""
    return db.session.execute(sa.select(Course).where(
        Course.language == language, Course.is_archived.is_(False), Course.id.not_in(exclude or {0}))
        .order_by(Course.slug).limit(1)).scalar_one_or_none()


def _do_lessons(user: User, course: Course, count: int | None, when: datetime) -> None:


    """Mark the first ``count`` lessons done (all, and the linked test passed, when None)."""
    lessons = services.active_lessons(course)
    for lesson in lessons[: len(lessons) if count is None else count]:
        services.mark_lesson_done(user, lesson)
    enrolment = services.enrol(user, course)
    if count is None and course.test_slug:
        services.record_test_passed(user, course.test_slug)
    enrolment.enrolled_at = when - timedelta(days=5)
    if enrolment.completed_at is not None:  # date the completion back, as if it happened then
        enrolment.completed_at = when
        db.session.execute(sa.update(LedgerEntry).where(
            LedgerEntry.user_id == user.id, LedgerEntry.source_type == services.COURSE_SOURCE,
            LedgerEntry.source_id == course.group_key).values(earned_on=when.date()))
        db.session.execute(sa.update(Certificate).where(
            Certificate.user_id == user.id, Certificate.course_id == course.id).values(
            completed_on=when.date(), issued_at=when))


def _saturday(offset_weeks: int) -> datetime:


    """Midnight UTC of the Saturday ``offset_weeks`` from this week's."""
    today = utcnow().date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 + 7 * offset_weeks)
    return datetime.combine(saturday, datetime.min.time())


def load() -> None:
    """Courses from the content folder (when not synced yet), progress, assignments and classes."""
    if db.session.execute(sa.select(sa.func.count(Course.id))).scalar_one() == 0:
        report = sync_courses(Path(current_app.config["CONTENT_DIR"]))
        if report.errors:
            current_app.logger.warning("content errors: %s", "; ".join(map(str, report.errors)))
    used: set[int] = set()
    penalty = _course("penalty-law-essentials") or _fallback(used)
    if penalty is None:
        return  # no course content at all: nothing more to show
    used.add(penalty.id)
    garbage = _course("garbage-classification") or _fallback(used) or penalty
    used.add(garbage.id)
    street = _course("street-order-cases") or _fallback(used) or garbage
    used.add(street.id)
    integrity = _course("integrity-discipline") or _fallback(used) or street
    now = utcnow()
    hr, instructor = _user("hr"), _user("instructor")
    cadre, auxiliary = _user("cadre"), _user("auxiliary")

    # Learners part-way through courses, and completed ones with certificates and hours.
    _do_lessons(cadre, penalty, 3, now)
    _do_lessons(cadre, garbage, None, now - timedelta(days=20))
    _do_lessons(auxiliary, garbage, 2, now)
    _do_lessons(_user("c1001"), garbage, None, now - timedelta(days=40))
    _do_lessons(_user("c1002"), street, 1, now)
    _do_lessons(_user("a2001"), street, None, now - timedelta(days=10))
    en_version = _course(penalty.group_key, "en")
    if en_version is not None:
        _do_lessons(_user("c1003"), en_version, 2, now)

    # Assignments: the penalty law to the first squad (due in two weeks), integrity to the second (overdue).
    squad1 = db.session.execute(sa.select(Department).where(Department.code == "sq1")).scalar_one()
    squad2 = db.session.execute(sa.select(Department).where(Department.code == "sq2")).scalar_one()
    services.assign_course(hr, penalty.group_key, services.users_in_scope(department_id=squad1.id),
                           now.date() + timedelta(days=14), "年度法制培训必修课", scope=squad1.name)
    services.assign_course(instructor, integrity.group_key, services.users_in_scope(department_id=squad2.id),
                           now.date() - timedelta(days=7), "廉政教育月", scope=squad2.name)

    # A weekend class last Saturday with attendance taken and closed, and one next Saturday.
    last = _saturday(-1) + timedelta(hours=1)  # 09:00 in Beijing
    past = services.create_session(
        instructor, title="周末课堂：简易程序与当场处罚实务",
        description="结合本月评查发现的问题，讲解当场处罚决定书的填写。",
        course_id=penalty.id, starts_at=last, ends_at=last + timedelta(hours=3), place="局三楼会议室",
        instructor_id=instructor.id, capacity=30, audience=Audience.all, credit_hours=3)
    registrants = ["cadre", "auxiliary", "c1001", "c1002", "c1003", "a2001", "mentor"]
    for username in registrants:
        services.register(_user(username), past, now=last - timedelta(days=2))
    registrations = {r.user.username: r for r in services.roster(past)}
    services.mark_attendance(instructor, past, {
        registrations["cadre"].id: (Attendance.present, ""),
        registrations["auxiliary"].id: (Attendance.late, "迟到10分钟"),
        registrations["c1001"].id: (Attendance.present, ""),
        registrations["c1002"].id: (Attendance.excused, "值班"),
        registrations["a2001"].id: (Attendance.present, ""),
    })
    services.close_session(instructor, past, now=last + timedelta(hours=3, minutes=30))

    upcoming = _saturday(1) + timedelta(hours=1)
    future = services.create_session(
        instructor, title="周末课堂：占道经营案件模块化取证", description="现场取证要点与文书模板，欢迎带案例来讨论。",
        course_id=street.id, starts_at=upcoming, ends_at=upcoming + timedelta(hours=2), place="第一中队培训室",
        instructor_id=instructor.id, capacity=20, audience=Audience.all, credit_hours=0)
    for username in ("cadre", "c1001", "a2002"):
        services.register(_user(username), future, now=now)
    services.create_session(
        instructor, title="周末课堂：辅助人员文明执法与沟通技巧", description="面向辅助人员。",
        course_id=None, starts_at=upcoming + timedelta(days=1), ends_at=upcoming + timedelta(days=1, hours=2),
        place="第二中队会议室", instructor_id=_user("mentor2").id, capacity=2, audience=Audience.auxiliary,
        credit_hours=2)
    db.session.flush()
