"""Courses and lessons (loaded from content files), progress, assignments, weekend classes,
the training-hours ledger and certificates."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..extensions import db
from ..people.models import Department, User


class Audience(enum.StrEnum):
    """Who may take a course or attend a class: everyone, cadres only or auxiliary staff only."""

    all = "all"
    cadre = "cadre"
    auxiliary = "auxiliary"


AUDIENCE_LABELS = {Audience.all: _l("Everyone"), Audience.cadre: _l("Cadres"),
                   Audience.auxiliary: _l("Auxiliary staff")}

CATEGORIES = ("law", "enforcement", "integrity", "skills")
CATEGORY_LABELS = {"law": _l("Law"), "enforcement": _l("Enforcement"), "integrity": _l("Integrity"),
                   "skills": _l("Skills")}
LANGUAGE_LABELS = {"zh": "中文", "en": "English"}


class Course(db.Model):
    """A course as its content files describe it; one language version of a ``group``."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    group_key: Mapped[str] = mapped_column(sa.String(80), index=True)
    language: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    intro: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str] = mapped_column(sa.String(32), index=True)
    audience: Mapped[Audience] = mapped_column(sa.Enum(Audience, native_enum=False, length=16))
    credit_hours: Mapped[float] = mapped_column(sa.Float)
    test_slug: Mapped[str | None] = mapped_column(sa.String(80))
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    lessons: Mapped[list[Lesson]] = relationship(back_populates="course", order_by="Lesson.position")

    def __str__(self) -> str:
        """The course's title."""
        return self.title


class Lesson(db.Model):
    """A lesson of a course; ``key`` (``01-scope``) is stable, so progress survives edits."""

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    minutes: Mapped[int] = mapped_column(default=0)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="lessons")

    __table_args__ = (sa.UniqueConstraint("course_id", "key", name="uq_lesson_course_key"),)


class Enrolment(db.Model):
    """A learner taking a course: where they are, whether its test was passed, when it was completed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_lesson_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lesson.id"))
    test_passed_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column(index=True)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()

    __table_args__ = (sa.UniqueConstraint("user_id", "course_id", name="uq_enrolment_user_course"),)


class LessonProgress(db.Model):
    """A lesson marked as done by a learner. Kept when the lesson is archived."""

    __tablename__ = "lesson_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lesson.id"), index=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "lesson_id", name="uq_lesson_progress_user_lesson"),)


class Assignment(db.Model):
    """A course assigned to one person with a due date; ``scope`` says how (department, category, named)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    due_on: Mapped[date] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    scope: Mapped[str] = mapped_column(sa.String(120), default="")
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])

    __table_args__ = (sa.UniqueConstraint("course_id", "user_id", name="uq_assignment_course_user"),)


class Attendance(enum.StrEnum):
    """How a registrant attended a class; present and late credit the class's hours."""

    present = "present"
    late = "late"
    absent = "absent"
    excused = "excused"


ATTENDANCE_LABELS = {Attendance.present: _l("Present"), Attendance.late: _l("Late"),
                     Attendance.absent: _l("Absent"), Attendance.excused: _l("Excused")}
CREDITED_ATTENDANCE = (Attendance.present, Attendance.late)


class ClassSession(db.Model):
    """A weekend class: a scheduled session with registration, attendance and an optional check-in code."""

    __tablename__ = "class_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course.id"))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column()
    place: Mapped[str] = mapped_column(sa.String(200))
    instructor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    capacity: Mapped[int] = mapped_column(default=30)
    audience: Mapped[Audience] = mapped_column(sa.Enum(Audience, native_enum=False, length=16),
                                               default=Audience.all)
    credit_hours: Mapped[float] = mapped_column(sa.Float)
    checkin_code: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    checkin_opens_at: Mapped[datetime | None] = mapped_column()
    checkin_closes_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course | None] = relationship()
    instructor: Mapped[User] = relationship(foreign_keys=[instructor_id])

    @property
    def duration_hours(self) -> float:
        """Length of the session in hours."""
        return round((self.ends_at - self.starts_at).total_seconds() / 3600, 2)

    @property
    def is_closed(self) -> bool:
        """Whether attendance has been closed (unmarked registrants are absent)."""
        return self.closed_at is not None


class Registration(db.Model):
    """A learner registered (or wait-listed) for a class, and their attendance once taken."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("class_session.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_waitlisted: Mapped[bool] = mapped_column(default=False)
    attendance: Mapped[Attendance | None] = mapped_column(sa.Enum(Attendance, native_enum=False, length=16))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    checked_in_at: Mapped[datetime | None] = mapped_column()
    marked_at: Mapped[datetime | None] = mapped_column()
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    session: Mapped[ClassSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (sa.UniqueConstraint("session_id", "user_id", name="uq_registration_session_user"),)


#: What a ledger entry's ``source_type`` means to the learner: courses and weekend classes credit hours
#: here; mentorship credits attendance at experience-sharing events ("sharing_event") through credit_hours.
SOURCE_LABELS = {"course": _l("Course"), "class": _l("Weekend class"), "sharing_event": _l("Experience sharing")}


class LedgerEntry(db.Model):
    """One credit of training hours, with its source; never changed once written."""

    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    hours: Mapped[float] = mapped_column(sa.Float)
    source_type: Mapped[str] = mapped_column(sa.String(32))
    source_id: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    earned_on: Mapped[date] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()

    @property
    def source_label(self) -> str:
        """The source in the reader's language (the raw type for a source no feature has named)."""
        return str(SOURCE_LABELS.get(self.source_type, self.source_type))

    __table_args__ = (
        sa.UniqueConstraint("user_id", "source_type", "source_id", name="uq_ledger_entry_source"),
        sa.Index("ix_ledger_entry_user_earned", "user_id", "earned_on"),
    )


class Certificate(db.Model):
    """Proof that a learner completed a course, checkable by anyone through its code."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(24), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    holder_name: Mapped[str] = mapped_column(sa.String(80))
    course_title: Mapped[str] = mapped_column(sa.String(200))
    hours: Mapped[float] = mapped_column(sa.Float)
    completed_on: Mapped[date] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()

    __table_args__ = (sa.UniqueConstraint("user_id", "course_id", name="uq_certificate_user_course"),)


__all__ = ["Assignment", "Attendance", "Audience", "Certificate", "ClassSession", "Course", "Department",
           "Enrolment", "LedgerEntry", "Lesson", "LessonProgress", "Registration"]
