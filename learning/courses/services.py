"""Rules of courses, assignments, weekend classes, the training-hours ledger and certificates.

Every function takes the acting user explicitly and only flushes; the view or CLI command commits.
The functions at the end (``training_hours`` …) are the contracts other features call.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_time
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from .. import audit, signals
from ..audit import utcnow
from ..extensions import db
from ..people.models import StaffCategory, User
from ..permissions import can
from .models import (
    CREDITED_ATTENDANCE,
    Assignment,
    Attendance,
    Audience,
    Certificate,
    ClassSession,
    Course,
    Enrolment,
    LedgerEntry,
    Lesson,
    LessonProgress,
    Registration,
)

COURSE_SOURCE = "course"
CLASS_SOURCE = "class"
CHECKIN_MINUTES = 15
LATE_AFTER = timedelta(minutes=15)


class CourseError(ValueError):
    """A request the rules refuse; the message is for the user."""


def _insert_once(row, existing):
    """Add ``row``, or return the row a concurrent request stored first under the same unique key.

    A double click on PostgreSQL may run two requests side by side; the loser gets the winner's row
    instead of an error page.
    """
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return db.session.execute(existing).scalar_one()
    return row


# --- periods ---------------------------------------------------------------------------------------

def year_bounds(year: int) -> tuple[date, date]:
    """The first and last day of ``year``."""
    return date(year, 1, 1), date(year, 12, 31)


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Datetimes covering the days ``start``..``end`` inclusive."""
    return datetime.combine(start, datetime.min.time()), datetime.combine(end + timedelta(days=1),
                                                                         datetime.min.time())


def user_language(user) -> str:
    """The course language matching the user's interface language (``zh`` or ``en``)."""
    return "en" if (getattr(user, "preferred_language", None) or "").startswith("en") else "zh"


# --- catalog and progress ----------------------------------------------------------------------

def audience_allows(audience: Audience, user) -> bool:
    """Whether a course or class meant for ``audience`` is open to ``user``'s staff category."""
    return audience == Audience.all or audience.value == user.staff_category.value


def catalog_query(user, language: str, category: str | None = None, audience: str | None = None,
                  search: str = ""):
    """Courses the user may take: assigned first (by due date), then the user's language, then by title.

    Returns a select of ``Course`` rows; the caller paginates it.
    """
    assigned = (sa.select(Assignment.course_id, Assignment.due_on)
                .where(Assignment.user_id == user.id).subquery())
    query = (sa.select(Course).outerjoin(assigned, assigned.c.course_id == Course.id)
             .where(Course.is_archived.is_(False)))
    if not can(user, "courses.manage"):
        query = query.where(sa.or_(Course.audience == Audience.all,
                                   Course.audience == Audience(user.staff_category.value),
                                   assigned.c.course_id.is_not(None)))
    if category:
        query = query.where(Course.category == category)
    if audience:
        query = query.where(Course.audience == audience)
    if search:
        query = query.where(Course.title.ilike(f"%{search.strip()}%"))
    return query.order_by(assigned.c.due_on.is_(None), assigned.c.due_on, Course.language != language,
                          Course.category, Course.title)


def lesson_counts(course_ids: Iterable[int]) -> dict[int, int]:
    """Active lessons per course (one query)."""
    ids = list(course_ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Lesson.course_id, sa.func.count(Lesson.id))
        .where(Lesson.course_id.in_(ids), Lesson.is_archived.is_(False)).group_by(Lesson.course_id)).all())


def done_counts(user_id: int, course_ids: Iterable[int]) -> dict[int, int]:
    """Active lessons the user has done, per course (one query)."""
    ids = list(course_ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Lesson.course_id, sa.func.count(LessonProgress.id))
        .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
        .where(Lesson.course_id.in_(ids), Lesson.is_archived.is_(False), LessonProgress.user_id == user_id)
        .group_by(Lesson.course_id)).all())


def enrolments_of(user_id: int, course_ids: Iterable[int]) -> dict[int, Enrolment]:
    """The user's enrolments in these courses, by course id."""
    ids = list(course_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Enrolment).where(Enrolment.user_id == user_id,
                                                         Enrolment.course_id.in_(ids))).scalars()
    return {row.course_id: row for row in rows}


def assignments_of(user_id: int, course_ids: Iterable[int]) -> dict[int, Assignment]:
    """The user's assignments of these courses, by course id."""
    ids = list(course_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Assignment).where(Assignment.user_id == user_id,
                                                          Assignment.course_id.in_(ids))).scalars()
    return {row.course_id: row for row in rows}


def enrolment_stats(course_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(enrolled, completed) per course (one query)."""
    ids = list(course_ids)
    if not ids:
        return {}
    completed = sa.func.sum(sa.case((Enrolment.completed_at.is_not(None), 1), else_=0))
    rows = db.session.execute(
        sa.select(Enrolment.course_id, sa.func.count(Enrolment.id), completed)
        .where(Enrolment.course_id.in_(ids)).group_by(Enrolment.course_id)).all()
    return {course_id: (enrolled, int(done or 0)) for course_id, enrolled, done in rows}


def find_course(slug: str) -> Course | None:
    """The course with this slug."""
    return db.session.execute(sa.select(Course).where(Course.slug == slug)).scalar_one_or_none()


def active_lessons(course: Course) -> list[Lesson]:
    """The course's lessons in order, archived ones left out."""
    return list(db.session.execute(
        sa.select(Lesson).where(Lesson.course_id == course.id, Lesson.is_archived.is_(False))
        .order_by(Lesson.position, Lesson.key)).scalars())


def done_lesson_ids(user_id: int, course: Course) -> set[int]:
    """Ids of the course's lessons the user has marked done (archived ones included)."""
    return set(db.session.execute(
        sa.select(LessonProgress.lesson_id).join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id == user_id, Lesson.course_id == course.id)).scalars())


def other_versions(course: Course) -> list[Course]:
    """The other language versions of the course (same group)."""
    return list(db.session.execute(
        sa.select(Course).where(Course.group_key == course.group_key, Course.id != course.id,
                                Course.is_archived.is_(False)).order_by(Course.language)).scalars())


def resume_lesson(lessons: list[Lesson], done: set[int], enrolment: Enrolment | None) -> Lesson | None:
    """Where the learner left off: the first lesson not done after the last one they finished."""
    if not lessons:
        return None
    start = 0
    if enrolment is not None and enrolment.last_lesson_id:
        for index, lesson in enumerate(lessons):
            if lesson.id == enrolment.last_lesson_id:
                start = index + 1
    for lesson in lessons[start:] + lessons[:start]:
        if lesson.id not in done:
            return lesson
    return lessons[0]


def enrol(user: User, course: Course) -> Enrolment:
    """Enrol ``user`` in ``course`` (idempotent)."""
    query = sa.select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    enrolment = db.session.execute(query).scalar_one_or_none()
    if enrolment is None:
        enrolment = _insert_once(Enrolment(user_id=user.id, course_id=course.id, enrolled_at=utcnow()), query)
    return enrolment


def mark_lesson_done(user: User, lesson: Lesson) -> tuple[Enrolment, Certificate | None]:
    """Mark a lesson done (idempotent), remember it for resuming, and complete the course when due.

    Returns the enrolment and the certificate issued by this call, if the course was completed now.
    """
    if lesson.is_archived:
        raise CourseError(_("This lesson is no longer part of the course."))
    enrolment = enrol(user, lesson.course)
    query = sa.select(LessonProgress).where(LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id)
    if db.session.execute(query).scalar_one_or_none() is None:
        _insert_once(LessonProgress(user_id=user.id, lesson_id=lesson.id, done_at=utcnow()), query)
    enrolment.last_lesson_id = lesson.id
    db.session.flush()
    return enrolment, complete_if_due(user, enrolment)


def complete_if_due(user: User, enrolment: Enrolment, now: datetime | None = None) -> Certificate | None:
    """Complete the course when every lesson is done and its test (if any) is passed.

    Completion credits the course's hours once per course group and issues a certificate.
    """
    if enrolment.completed_at is not None:
        return None
    course = enrolment.course
    total = lesson_counts([course.id]).get(course.id, 0)
    done = done_counts(user.id, [course.id]).get(course.id, 0)
    if total == 0 or done < total:
        return None
    if course.test_slug and enrolment.test_passed_at is None:
        return None
    now = now or utcnow()
    enrolment.completed_at = now
    credit_hours(user, course.credit_hours, COURSE_SOURCE, course.group_key, course.title, now.date())
    certificate = Certificate(code=_new_code(), user_id=user.id, course_id=course.id,
                              holder_name=user.display_name, course_title=course.title,
                              hours=course.credit_hours, completed_on=now.date(), issued_at=now)
    db.session.add(certificate)
    db.session.flush()
    audit.record(user, "course.completed", course, after={"certificate": certificate.code})
    return certificate


def record_test_passed(user: User, test_slug: str, attempt_id=None) -> list[Certificate]:
    """A learner passed ``test_slug``: note it on every course linked to it and complete those now due."""
    courses = db.session.execute(sa.select(Course).where(Course.test_slug == test_slug)).scalars().all()
    issued = []
    for course in courses:
        enrolment = enrol(user, course)
        if enrolment.test_passed_at is None:
            enrolment.test_passed_at = utcnow()
        certificate = complete_if_due(user, enrolment)
        if certificate is not None:
            issued.append(certificate)
    db.session.flush()
    return issued


def on_test_passed(sender, test_slug: str | None = None, attempt_id=None, **_extra) -> None:
    """Receiver of ``learning.signals.test_passed``: the sender is the user who passed."""
    if sender is not None and test_slug:
        record_test_passed(sender, test_slug, attempt_id)


def _new_code() -> str:
    """A fresh certificate verification code such as ``QL-7K2M-9XQ4-RT``."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        code = f"QL-{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        if db.session.execute(sa.select(Certificate.id).where(Certificate.code == code)).first() is None:
            return code


def find_certificate(code: str) -> Certificate | None:
    """The certificate with this code (case and surrounding space ignored)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 24:
        return None
    return db.session.execute(sa.select(Certificate).options(joinedload(Certificate.user))
                              .where(Certificate.code == code)).scalar_one_or_none()


# --- assignments --------------------------------------------------------------------------------

def users_in_scope(department_id: int | None = None, category: str | None = None,
                   user_ids: Iterable[int] = ()) -> list[User]:
    """Active accounts of a department, a staff category, or named by id."""
    query = sa.select(User).where(User.is_active_account.is_(True)).order_by(User.username)
    ids = list(user_ids)
    if ids:
        query = query.where(User.id.in_(ids))
    elif department_id:
        query = query.where(User.department_id == department_id)
    elif category:
        query = query.where(User.staff_category == StaffCategory(category))
    else:
        return []
    return list(db.session.execute(query).scalars())


def assign_course(actor, course_slug_or_group: str, users: Iterable[User], due_on: date, reason: str,
                  scope: str = "") -> int:
    """Assign a course (by slug, or a group: each person gets their language's version) with a due date.

    Someone already assigned a version of the course gets the new due date; people outside the course's
    audience are left out. Returns how many people were assigned or had their assignment changed.
    """
    course = find_course(course_slug_or_group)
    versions = [course] if course is not None else list(db.session.execute(
        sa.select(Course).where(Course.group_key == course_slug_or_group, Course.is_archived.is_(False))
        .order_by(Course.language.desc())).scalars())
    if not versions:
        raise CourseError(_("There is no course “%(name)s”.", name=course_slug_or_group))
    users = list(users)
    group_ids = list(db.session.execute(sa.select(Course.id).where(
        Course.group_key == versions[0].group_key)).scalars())
    existing = {row.user_id: row for row in db.session.execute(sa.select(Assignment).where(
        Assignment.course_id.in_(group_ids), Assignment.user_id.in_([u.id for u in users]))).scalars()}
    count = 0
    for user in users:
        if not audience_allows(versions[0].audience, user):
            continue  # a course for cadres is not assigned to auxiliary staff, and the other way round
        row = existing.get(user.id)
        if row is not None:
            if row.due_on != due_on or row.reason != reason:
                before = {"due_on": row.due_on, "reason": row.reason}
                row.due_on, row.reason = due_on, reason[:200]
                audit.record(actor, "course.assignment_changed", row, before=before,
                             after={"due_on": due_on, "reason": reason})
                count += 1
            continue
        chosen = next((v for v in versions if v.language == user_language(user)), versions[0])
        db.session.add(Assignment(course_id=chosen.id, user_id=user.id, due_on=due_on, reason=reason[:200],
                                  scope=scope[:120], assigned_by_id=getattr(actor, "id", None),
                                  assigned_at=utcnow()))
        enrol(user, chosen)
        count += 1
    db.session.flush()
    audit.record(actor, "course.assigned", versions[0],
                 after={"users": len(users), "due_on": due_on, "reason": reason, "scope": scope})
    return count


def _group_completed(user_column, course_column):
    """SQL: the user has completed some version of the course's group."""
    other = aliased(Course)
    this = aliased(Course)
    return sa.exists(
        sa.select(Enrolment.id).join(other, other.id == Enrolment.course_id)
        .join(this, this.group_key == other.group_key)
        .where(this.id == course_column, Enrolment.user_id == user_column, Enrolment.completed_at.is_not(None)))


def overdue_query(today: date, department_id: int | None = None):
    """Assignments past their due date whose course (any language version) is not completed."""
    query = (sa.select(Assignment).join(User, User.id == Assignment.user_id)
             .options(joinedload(Assignment.user).joinedload(User.department), joinedload(Assignment.course))
             .where(Assignment.due_on < today, User.is_active_account.is_(True),
                    ~_group_completed(Assignment.user_id, Assignment.course_id)))
    if department_id:
        query = query.where(User.department_id == department_id)
    return query.order_by(Assignment.due_on, User.username)


def assignments_query(department_id: int | None = None):
    """All assignments, newest due date first."""
    query = (sa.select(Assignment).join(User, User.id == Assignment.user_id)
             .options(joinedload(Assignment.user), joinedload(Assignment.course)))
    if department_id:
        query = query.where(User.department_id == department_id)
    return query.order_by(Assignment.due_on.desc(), User.username)


def completed_course_ids(user_ids: Iterable[int], course_ids: Iterable[int]) -> set[tuple[int, int]]:
    """(user id, course id) pairs where the user completed some version of the course's group."""
    users, courses = list(user_ids), list(course_ids)
    if not users or not courses:
        return set()
    this = aliased(Course)
    other = aliased(Course)
    rows = db.session.execute(
        sa.select(Enrolment.user_id, this.id).join(other, other.id == Enrolment.course_id)
        .join(this, this.group_key == other.group_key)
        .where(this.id.in_(courses), Enrolment.user_id.in_(users), Enrolment.completed_at.is_not(None))).all()
    return {(user_id, course_id) for user_id, course_id in rows}


# --- weekend classes ---------------------------------------------------------------------------

SESSION_FIELDS = ("title", "description", "course_id", "starts_at", "ends_at", "place", "instructor_id",
                  "capacity", "audience", "credit_hours")


def _check_session_fields(fields: dict) -> None:


    """Refuse a class that ends before it starts or has no seats."""
    if fields["ends_at"] <= fields["starts_at"]:
        raise CourseError(_("The class must end after it starts."))
    if fields["capacity"] < 1:
        raise CourseError(_("The capacity must be at least one."))


def create_session(actor, **fields) -> ClassSession:
    """Schedule a weekend class; without hours given, it credits its duration."""
    _check_session_fields(fields)
    session = ClassSession(created_by_id=actor.id, created_at=utcnow(),
                           **{name: fields[name] for name in SESSION_FIELDS if name in fields})
    if not session.credit_hours:
        session.credit_hours = session.duration_hours
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "class.created", session, after={"title": session.title})
    return session


def update_session(actor, session: ClassSession, **fields) -> None:
    """Change a class's details (not once attendance is closed)."""
    if session.is_closed:
        raise CourseError(_("Attendance is closed; the class can no longer be changed."))
    _check_session_fields(fields)
    before = {name: getattr(session, name) for name in SESSION_FIELDS}
    for name in SESSION_FIELDS:
        if name in fields:
            setattr(session, name, fields[name])
    if not session.credit_hours:
        session.credit_hours = session.duration_hours
    db.session.flush()
    audit.record(actor, "class.updated", session, before=before,
                 after={name: getattr(session, name) for name in SESSION_FIELDS})


def sessions_query(upcoming: bool | None, now: datetime, user=None):
    """Classes (upcoming first by start, or past newest first), limited to the user's audience."""
    query = sa.select(ClassSession).options(joinedload(ClassSession.instructor))
    if upcoming is True:
        query = query.where(ClassSession.ends_at >= now).order_by(ClassSession.starts_at)
    elif upcoming is False:
        query = query.where(ClassSession.ends_at < now).order_by(ClassSession.starts_at.desc())
    else:
        query = query.order_by(ClassSession.starts_at.desc())
    if user is not None and not can(user, "classes.manage"):
        query = query.where(ClassSession.audience.in_([Audience.all, Audience(user.staff_category.value)]))
    return query


def seat_counts(session_ids: Iterable[int]) -> dict[int, int]:
    """Registrations holding a seat (not wait-listed), per class."""
    ids = list(session_ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Registration.session_id, sa.func.count(Registration.id))
        .where(Registration.session_id.in_(ids), Registration.is_waitlisted.is_(False))
        .group_by(Registration.session_id)).all())


def registrations_of(user_id: int, session_ids: Iterable[int]) -> dict[int, Registration]:
    """The user's registrations for these classes, by class id."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Registration).where(Registration.user_id == user_id,
                                                            Registration.session_id.in_(ids))).scalars()
    return {row.session_id: row for row in rows}


def register(user: User, session: ClassSession, now: datetime | None = None) -> Registration:
    """Register for a class; a full class puts the learner on the waiting list."""
    now = now or utcnow()
    if session.is_closed or session.starts_at <= now:
        raise CourseError(_("Registration for this class has ended."))
    if not audience_allows(session.audience, user):
        raise CourseError(_("This class is not open to your staff category."))
    query = sa.select(Registration).where(Registration.session_id == session.id, Registration.user_id == user.id)
    existing = db.session.execute(query).scalar_one_or_none()
    if existing is not None:
        return existing
    taken = seat_counts([session.id]).get(session.id, 0)
    return _insert_once(Registration(session_id=session.id, user_id=user.id, registered_at=now,
                                     is_waitlisted=taken >= session.capacity), query)


def cancel_registration(user: User, session: ClassSession, now: datetime | None = None) -> None:
    """Withdraw before the class starts; the first person waiting gets the seat."""
    now = now or utcnow()
    registration = db.session.execute(sa.select(Registration).where(
        Registration.session_id == session.id, Registration.user_id == user.id)).scalar_one_or_none()
    if registration is None:
        return
    if session.starts_at <= now or registration.attendance is not None:
        raise CourseError(_("The class has started; ask the instructor to mark you excused."))
    had_seat = not registration.is_waitlisted
    db.session.delete(registration)
    db.session.flush()
    if had_seat:
        waiting = db.session.execute(sa.select(Registration).where(
            Registration.session_id == session.id, Registration.is_waitlisted.is_(True))
            .order_by(Registration.registered_at, Registration.id).limit(1)).scalar_one_or_none()
        if waiting is not None:
            waiting.is_waitlisted = False
            db.session.flush()


def roster(session: ClassSession) -> list[Registration]:
    """Everyone registered (seats first, then the waiting list), with their accounts."""
    return list(db.session.execute(
        sa.select(Registration).options(joinedload(Registration.user).joinedload(User.department))
        .where(Registration.session_id == session.id)
        .order_by(Registration.is_waitlisted, Registration.registered_at, Registration.id)).scalars())


def _credit_class(registration: Registration, session: ClassSession) -> None:


    """Credit the class's hours to a registrant who was present or late (once)."""
    if registration.attendance in CREDITED_ATTENDANCE:
        credit_hours(registration.user, session.credit_hours, CLASS_SOURCE, str(session.id), session.title,
                     session.starts_at.date())


def mark_attendance(actor, session: ClassSession, marks: dict[int, tuple[Attendance | None, str]]) -> int:
    """Take attendance: ``marks`` maps registration ids to (attendance, note). Returns how many changed.

    After the class is closed a change is a correction: it is audited, may only raise attendance to
    present or late (hours once credited are not taken back) and credits the hours.
    """
    changed = 0
    for registration in roster(session):
        if registration.id not in marks or registration.is_waitlisted:
            continue
        attendance, note = marks[registration.id]
        note = (note or "").strip()[:200]
        if attendance == registration.attendance and note == registration.note:
            continue
        if session.is_closed:
            if attendance is None or (registration.attendance in CREDITED_ATTENDANCE
                                      and attendance not in CREDITED_ATTENDANCE):
                raise CourseError(_("Hours credited for %(name)s cannot be taken back by a correction.",
                                    name=registration.user.display_name))
            audit.record(actor, "class.attendance_corrected", registration,
                         before={"attendance": registration.attendance, "note": registration.note},
                         after={"attendance": attendance, "note": note})
        registration.attendance, registration.note = attendance, note
        registration.marked_at, registration.marked_by_id = utcnow(), actor.id
        changed += 1
        if session.is_closed:
            _credit_class(registration, session)
    db.session.flush()
    return changed


def open_checkin(actor, session: ClassSession, minutes: int = CHECKIN_MINUTES,
                 now: datetime | None = None) -> str:
    """Show a fresh six-digit check-in code, valid from now for ``minutes``."""
    if session.is_closed:
        raise CourseError(_("Attendance is closed."))
    now = now or utcnow()
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        clash = db.session.execute(sa.select(ClassSession.id).where(
            ClassSession.checkin_code == code, ClassSession.id != session.id)).first()
        if clash is None:
            break
    session.checkin_code = code
    session.checkin_opens_at = now
    session.checkin_closes_at = now + timedelta(minutes=minutes)
    db.session.flush()
    audit.record(actor, "class.checkin_opened", session, after={"until": session.checkin_closes_at})
    return code


@dataclass
class CheckIn:
    """The outcome of entering a check-in code: ``ok`` and a message for the learner."""

    ok: bool
    message: str
    session: ClassSession | None = None


def check_in(user: User, code: str, now: datetime | None = None) -> CheckIn:
    """Check in with the code shown in class: refused outside its window, twice, or when not registered."""
    now = now or utcnow()
    code = "".join((code or "").split())
    session = db.session.execute(sa.select(ClassSession).where(ClassSession.checkin_code == code)
                                 ).scalar_one_or_none() if code.isdigit() else None
    if session is None:
        return CheckIn(False, _("No class has this check-in code. Check the number and try again."))
    if session.is_closed or not (session.checkin_opens_at <= now <= session.checkin_closes_at):
        return CheckIn(False, _("This check-in code is not valid now: it was valid from %(start)s to %(end)s. "
                                "Ask the instructor.", start=format_time(session.checkin_opens_at, "HH:mm"),
                                end=format_time(session.checkin_closes_at, "HH:mm")), session)
    registration = db.session.execute(sa.select(Registration).where(
        Registration.session_id == session.id, Registration.user_id == user.id)).scalar_one_or_none()
    if registration is None or registration.is_waitlisted:
        return CheckIn(False, _("You are not registered for “%(title)s”.", title=session.title), session)
    if registration.checked_in_at is not None:
        return CheckIn(False, _("You have already checked in to “%(title)s”.", title=session.title), session)
    registration.checked_in_at = now
    if registration.attendance is None:
        registration.attendance = Attendance.late if now > session.starts_at + LATE_AFTER else Attendance.present
        registration.marked_at = now
    db.session.flush()
    return CheckIn(True, _("You are checked in to “%(title)s”.", title=session.title), session)


def close_session(actor, session: ClassSession, now: datetime | None = None) -> int:
    """Close attendance: unmarked registrants become absent, and attendees are credited the hours.

    People on the waiting list were never given a seat and stay "not applicable". Returns how many
    registrants were marked absent by closing.
    """
    if session.is_closed:
        return 0
    now = now or utcnow()
    absent = 0
    for registration in roster(session):
        if registration.is_waitlisted:
            continue
        if registration.attendance is None:
            registration.attendance = Attendance.absent
            registration.marked_at = now
            absent += 1
        _credit_class(registration, session)
    session.closed_at = now
    session.checkin_closes_at = min(session.checkin_closes_at or now, now)
    db.session.flush()
    audit.record(actor, "class.closed", session, after={"absent": absent})
    return absent


# --- the ledger ------------------------------------------------------------------------------

def credit_hours(user, hours: float, source_type: str, source_id, description: str,
                 earned_on: date) -> LedgerEntry:
    """Credit training hours once per (user, source type, source id); a repeat returns the first entry."""
    user_id = user if isinstance(user, int) else user.id
    source_id = str(source_id)
    query = sa.select(LedgerEntry).where(LedgerEntry.user_id == user_id, LedgerEntry.source_type == source_type,
                                         LedgerEntry.source_id == source_id)
    entry = db.session.execute(query).scalar_one_or_none()
    if entry is not None:
        return entry
    new = LedgerEntry(user_id=user_id, hours=float(hours), source_type=source_type, source_id=source_id,
                      description=(description or "")[:300], earned_on=earned_on, created_at=utcnow())
    entry = _insert_once(new, query)
    if entry is new:
        signals.hours_credited.send(user, hours=float(hours), source=(source_type, source_id))
    return entry


def ledger_query(user_id: int | None, start: date, end: date, department_id: int | None = None):
    """Ledger entries of one person (or a department, or everyone) in a period, newest first."""
    query = (sa.select(LedgerEntry).join(User, User.id == LedgerEntry.user_id)
             .options(joinedload(LedgerEntry.user))
             .where(LedgerEntry.earned_on >= start, LedgerEntry.earned_on <= end))
    if user_id is not None:
        query = query.where(LedgerEntry.user_id == user_id)
    if department_id:
        query = query.where(User.department_id == department_id)
    return query.order_by(LedgerEntry.earned_on.desc(), LedgerEntry.id.desc())


def ledger_total(user_id: int | None, start: date, end: date, department_id: int | None = None) -> float:
    """The sum of the hours ``ledger_query`` lists."""
    query = (sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.hours), 0.0))
             .join(User, User.id == LedgerEntry.user_id)
             .where(LedgerEntry.earned_on >= start, LedgerEntry.earned_on <= end))
    if user_id is not None:
        query = query.where(LedgerEntry.user_id == user_id)
    if department_id:
        query = query.where(User.department_id == department_id)
    return round(float(db.session.execute(query).scalar_one()), 2)


def standing_query(start: date, end: date, department_id: int | None = None):
    """Active accounts ordered by hours in the period, fewest first (who is behind)."""
    totals = (sa.select(LedgerEntry.user_id, sa.func.sum(LedgerEntry.hours).label("total"))
              .where(LedgerEntry.earned_on >= start, LedgerEntry.earned_on <= end)
              .group_by(LedgerEntry.user_id).subquery())
    query = (sa.select(User).outerjoin(totals, totals.c.user_id == User.id)
             .where(User.is_active_account.is_(True))
             .order_by(sa.func.coalesce(totals.c.total, 0.0), User.username))
    if department_id:
        query = query.where(User.department_id == department_id)
    return query


def department_hours(start: date, end: date, required: float) -> list[tuple[str, float, int, int]]:
    """Per department: (name, average hours, people behind, people) of active accounts. Two queries."""
    from ..people.models import Department

    totals = (sa.select(LedgerEntry.user_id, sa.func.sum(LedgerEntry.hours).label("total"))
              .where(LedgerEntry.earned_on >= start, LedgerEntry.earned_on <= end)
              .group_by(LedgerEntry.user_id).subquery())
    hours = sa.func.coalesce(totals.c.total, 0.0)
    rows = db.session.execute(
        sa.select(User.department_id, sa.func.avg(hours), sa.func.sum(sa.case((hours < required, 1), else_=0)),
                  sa.func.count(User.id))
        .outerjoin(totals, totals.c.user_id == User.id)
        .where(User.is_active_account.is_(True), User.department_id.is_not(None))
        .group_by(User.department_id)).all()
    names = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    return sorted(((names.get(department_id, "?"), round(float(average or 0), 1), int(behind or 0), int(people))
                   for department_id, average, behind, people in rows), key=lambda row: row[1])


def hours_by_month(user_id: int, year: int) -> list[float]:
    """The user's credited hours in each month of ``year`` (twelve numbers). One query."""
    start, end = year_bounds(year)
    month = sa.extract("month", LedgerEntry.earned_on)
    rows = db.session.execute(
        sa.select(month, sa.func.sum(LedgerEntry.hours))
        .where(LedgerEntry.user_id == user_id, LedgerEntry.earned_on >= start, LedgerEntry.earned_on <= end)
        .group_by(month)).all()
    values = [0.0] * 12
    for number, total in rows:
        values[int(number) - 1] = round(float(total or 0), 2)
    return values


def behind_count(start: date, end: date, required: float, department_id: int | None = None) -> int:
    """How many active accounts have fewer than ``required`` hours in the period."""
    totals = (sa.select(LedgerEntry.user_id, sa.func.sum(LedgerEntry.hours).label("total"))
              .where(LedgerEntry.earned_on >= start, LedgerEntry.earned_on <= end)
              .group_by(LedgerEntry.user_id).subquery())
    query = (sa.select(sa.func.count(User.id)).outerjoin(totals, totals.c.user_id == User.id)
             .where(User.is_active_account.is_(True), sa.func.coalesce(totals.c.total, 0.0) < required))
    if department_id:
        query = query.where(User.department_id == department_id)
    return db.session.execute(query).scalar_one()


def attendance_export_query(start: date, end: date, department_id: int | None = None):
    """Registrations of classes that start in the period, for the attendance export."""
    low, high = _day_bounds(start, end)
    query = (sa.select(Registration).join(ClassSession, ClassSession.id == Registration.session_id)
             .join(User, User.id == Registration.user_id)
             .options(joinedload(Registration.session), joinedload(Registration.user).joinedload(User.department))
             .where(ClassSession.starts_at >= low, ClassSession.starts_at < high))
    if department_id:
        query = query.where(User.department_id == department_id)
    return query.order_by(ClassSession.starts_at, User.username)


# --- contracts for other features --------------------------------------------------------------

def training_hours(user_ids: Iterable[int], start: date, end: date) -> dict[int, float]:
    """Ledger hours per user earned in ``start``..``end`` (missing users: 0.0). One query."""
    ids = list(user_ids)
    result = {user_id: 0.0 for user_id in ids}
    if not ids:
        return result
    rows = db.session.execute(
        sa.select(LedgerEntry.user_id, sa.func.sum(LedgerEntry.hours))
        .where(LedgerEntry.user_id.in_(ids), LedgerEntry.earned_on >= start, LedgerEntry.earned_on <= end)
        .group_by(LedgerEntry.user_id)).all()
    for user_id, total in rows:
        result[user_id] = round(float(total or 0.0), 2)
    return result


def courses_completed(user_ids: Iterable[int], start: date, end: date) -> dict[int, int]:
    """Courses each user completed in the period (0 when none). One query."""
    ids = list(user_ids)
    result = {user_id: 0 for user_id in ids}
    if not ids:
        return result
    low, high = _day_bounds(start, end)
    rows = db.session.execute(
        sa.select(Enrolment.user_id, sa.func.count(Enrolment.id))
        .where(Enrolment.user_id.in_(ids), Enrolment.completed_at >= low, Enrolment.completed_at < high)
        .group_by(Enrolment.user_id)).all()
    result.update(dict(rows))
    return result


def class_attendance_rate(user_ids: Iterable[int], start: date, end: date) -> dict[int, float | None]:
    """Share (0–1) of the user's classes in the period attended (present or late).

    Counted: classes with a seat whose attendance is present, late or absent; excused ones and the
    waiting list are left out. None when the user had no such class. One query.
    """
    ids = list(user_ids)
    result: dict[int, float | None] = {user_id: None for user_id in ids}
    if not ids:
        return result
    low, high = _day_bounds(start, end)
    attended = sa.case((Registration.attendance.in_(list(CREDITED_ATTENDANCE)), 1), else_=0)
    rows = db.session.execute(
        sa.select(Registration.user_id, sa.func.sum(attended), sa.func.count(Registration.id))
        .join(ClassSession, ClassSession.id == Registration.session_id)
        .where(Registration.user_id.in_(ids), Registration.is_waitlisted.is_(False),
               Registration.attendance.in_([Attendance.present, Attendance.late, Attendance.absent]),
               ClassSession.starts_at >= low, ClassSession.starts_at < high)
        .group_by(Registration.user_id)).all()
    for user_id, present, counted in rows:
        result[user_id] = round(float(present) / counted, 4) if counted else None
    return result


def course_progress_for(user_id: int) -> list[dict]:
    """The user's enrolled courses: title, lessons done, lessons in all, completed_at. Three queries."""
    enrolments = list(db.session.execute(
        sa.select(Enrolment).options(joinedload(Enrolment.course)).where(Enrolment.user_id == user_id)
        .order_by(Enrolment.completed_at.is_not(None), Enrolment.enrolled_at.desc())).scalars())
    ids = [e.course_id for e in enrolments]
    totals, done = lesson_counts(ids), done_counts(user_id, ids)
    return [{"title": e.course.title, "slug": e.course.slug, "done": done.get(e.course_id, 0),
             "total": totals.get(e.course_id, 0), "completed_at": e.completed_at} for e in enrolments]
