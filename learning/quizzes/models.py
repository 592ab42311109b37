"""Question bank, tests, attempts with their frozen questions, assignments and per-person overrides.

A question's text and key live in numbered versions: editing makes a new version, and an attempt
points at the versions it showed, so a later edit never changes a past grade.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..extensions import db
from ..people.models import Department, User


class QuestionType(enum.StrEnum):
    """The kinds of question; all but ``short`` are graded automatically."""

    single = "single"
    multiple = "multiple"
    truefalse = "truefalse"
    fill = "fill"
    short = "short"


QUESTION_TYPE_LABELS = {
    QuestionType.single: _l("Single choice"),
    QuestionType.multiple: _l("Multiple choice"),
    QuestionType.truefalse: _l("True or false"),
    QuestionType.fill: _l("Fill in the blank"),
    QuestionType.short: _l("Short answer"),
}

GRADING_LABELS = {
    "highest": _l("Highest score"), "latest": _l("Latest attempt"), "first": _l("First attempt"),
    "average": _l("Average of attempts"),
}
REVIEW_LABELS = {
    "after_submit": _l("Answers shown after submission"),
    "after_close": _l("Answers shown after the window closes"),
    "never": _l("Answers never shown"),
}
AUDIENCE_LABELS = {"all": _l("Everyone"), "cadre": _l("Cadres"), "auxiliary": _l("Auxiliary staff")}


class AttemptStatus(enum.StrEnum):
    """An attempt is open while it runs, pending while short answers wait for a grader, then graded."""

    open = "open"
    submitted = "submitted"
    pending = "pending"
    graded = "graded"


ATTEMPT_STATUS_LABELS = {
    AttemptStatus.open: _l("In progress"),
    AttemptStatus.submitted: _l("Submitted"),
    AttemptStatus.pending: _l("Waiting for manual grading"),
    AttemptStatus.graded: _l("Graded"),
}


class Question(db.Model):
    """A question of a bank in one language; ``bank/key`` names it in test files."""

    id: Mapped[int] = mapped_column(primary_key=True)
    bank: Mapped[str] = mapped_column(sa.String(64), index=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(8))
    bank_title: Mapped[str] = mapped_column(sa.String(200), default="")
    current_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_version.id", use_alter=True, name="fk_question_current_version_id"))
    is_archived: Mapped[bool] = mapped_column(default=False)
    is_site_authored: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    current_version: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True, lazy="joined")

    __table_args__ = (sa.UniqueConstraint("bank", "key", "language", name="uq_question_bank_key_language"),)

    @property
    def ref(self) -> str:
        """``bank/key``, as test files name the question."""
        return f"{self.bank}/{self.key}"


class QuestionVersion(db.Model):
    """One version of a question: text, options and key as they were when an attempt showed them."""

    __tablename__ = "question_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    type: Mapped[QuestionType] = mapped_column(sa.Enum(QuestionType, native_enum=False, length=16))
    difficulty: Mapped[int] = mapped_column(default=1)
    points: Mapped[float] = mapped_column(default=1.0)
    tags_text: Mapped[str] = mapped_column(sa.Text, default="[]")
    text: Mapped[str] = mapped_column(sa.Text)
    options_text: Mapped[str] = mapped_column(sa.Text, default="[]")
    scoring: Mapped[str] = mapped_column(sa.String(16), default="all_or_nothing")
    answer_bool: Mapped[bool | None] = mapped_column()
    answers_text: Mapped[str] = mapped_column(sa.Text, default="[]")
    rubric: Mapped[str] = mapped_column(sa.Text, default="")
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    question: Mapped[Question] = relationship(foreign_keys=[question_id])

    __table_args__ = (sa.UniqueConstraint("question_id", "number", name="uq_question_version_number"),)

    @property
    def tags(self) -> list[str]:
        """The version's tags."""
        return json.loads(self.tags_text or "[]")

    @property
    def options(self) -> list[dict]:
        """Options as ``{"text": ..., "correct": bool}`` in their original order."""
        return json.loads(self.options_text or "[]")

    @property
    def accepted_answers(self) -> list[str]:
        """Accepted answers of a fill-in question."""
        return json.loads(self.answers_text or "[]")

    @property
    def is_manual(self) -> bool:
        """Whether a person grades this question."""
        return self.type == QuestionType.short


class Test(db.Model):
    """A test: fixed questions or a random draw, with its rules (time, attempts, pass mark, review)."""

    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    language: Mapped[str] = mapped_column(sa.String(8), default="zh")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    mode: Mapped[str] = mapped_column(sa.String(16), default="fixed")
    questions_text: Mapped[str] = mapped_column(sa.Text, default="[]")
    draw_text: Mapped[str] = mapped_column(sa.Text, default="[]")
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_options: Mapped[bool] = mapped_column(default=False)
    time_limit_minutes: Mapped[int | None] = mapped_column()
    attempts_allowed: Mapped[int] = mapped_column(default=1)
    pass_mark: Mapped[float] = mapped_column(default=60.0)
    grading: Mapped[str] = mapped_column(sa.String(16), default="highest")
    review: Mapped[str] = mapped_column(sa.String(16), default="after_submit")
    audience: Mapped[str] = mapped_column(sa.String(16), default="all")
    opens_at: Mapped[datetime | None] = mapped_column()
    closes_at: Mapped[datetime | None] = mapped_column()
    is_archived: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def fixed_refs(self) -> list[str]:
        """``bank/key`` of each question of a fixed test, in order."""
        return json.loads(self.questions_text or "[]")

    @property
    def draw(self) -> list[dict]:
        """The draw rules of a random test."""
        return json.loads(self.draw_text or "[]")

    @property
    def question_count(self) -> int:
        """How many questions an attempt shows."""
        if self.mode == "fixed":
            return len(self.fixed_refs)
        return sum(int(item.get("count", 1)) for item in self.draw)


class TestAssignment(db.Model):
    """A test assigned to a department, a staff category or one person, with a due date."""

    __test__ = False  # not a pytest test class

    __tablename__ = "test_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(sa.ForeignKey("test.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"))
    staff_category: Mapped[str | None] = mapped_column(sa.String(16))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    due_on: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    test: Mapped[Test] = relationship()
    department: Mapped[Department | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class TestOverride(db.Model):
    """Different rules for one person on one test (extra time, attempts, another window), with a reason."""

    __test__ = False  # not a pytest test class

    __tablename__ = "test_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(sa.ForeignKey("test.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    opens_at: Mapped[datetime | None] = mapped_column()
    closes_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(300))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (sa.UniqueConstraint("test_id", "user_id", name="uq_test_override_test_user"),)


class Attempt(db.Model):
    """One attempt at a test by one person; the server's ``deadline_at`` is the only clock."""

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(sa.ForeignKey("test.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    number: Mapped[int] = mapped_column(default=1)
    status: Mapped[AttemptStatus] = mapped_column(
        sa.Enum(AttemptStatus, native_enum=False, length=16), default=AttemptStatus.open, index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(index=True)
    submitted_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column(index=True)
    is_auto_submitted: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float | None] = mapped_column()
    max_score: Mapped[float] = mapped_column(default=0.0)
    percent: Mapped[float | None] = mapped_column()
    is_passed: Mapped[bool | None] = mapped_column()

    test: Mapped[Test] = relationship(lazy="joined")
    user: Mapped[User] = relationship()
    items: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("test_id", "user_id", "number", name="uq_attempt_test_user_number"),
        sa.Index("ix_attempt_user_test", "user_id", "test_id"),
        sa.Index("ix_attempt_test_status", "test_id", "status"),
    )

    @property
    def is_open(self) -> bool:
        """Still running (answers may be saved)."""
        return self.status == AttemptStatus.open

    @property
    def is_final(self) -> bool:
        """Every part is graded: the score counts."""
        return self.status == AttemptStatus.graded


class AttemptQuestion(db.Model):
    """A question as one attempt showed it (frozen version and option order), with the answer given.

    The answer lives on this row, so saving it is one UPDATE that also checks the attempt is still open
    and within its deadline.
    """

    __tablename__ = "attempt_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempt.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_version.id"), index=True)
    key_version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_version.id"))
    option_order_text: Mapped[str] = mapped_column(sa.String(200), default="[]")
    points: Mapped[float] = mapped_column(default=1.0)
    response_text: Mapped[str | None] = mapped_column(sa.Text)
    saved_at: Mapped[datetime | None] = mapped_column()
    score: Mapped[float | None] = mapped_column()
    needs_grading: Mapped[bool] = mapped_column(default=False, index=True)
    feedback: Mapped[str] = mapped_column(sa.Text, default="")
    graded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    graded_at: Mapped[datetime | None] = mapped_column()

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    version: Mapped[QuestionVersion] = relationship(foreign_keys=[version_id], lazy="joined")
    key_version: Mapped[QuestionVersion] = relationship(foreign_keys=[key_version_id])

    __table_args__ = (sa.UniqueConstraint("attempt_id", "position", name="uq_attempt_question_position"),)

    @property
    def option_order(self) -> list[int]:
        """The original option indices in the order this attempt showed them."""
        return json.loads(self.option_order_text or "[]")

    @property
    def response(self):
        """The saved answer (list of option indices, bool, or text), or None."""
        return json.loads(self.response_text) if self.response_text else None

    @property
    def is_answered(self) -> bool:
        """Whether something was saved."""
        value = self.response
        return value not in (None, "", [])
