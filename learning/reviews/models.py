"""Case files, the versioned rubric, monthly review cycles, scores, findings and rectification notices."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..extensions import db
from ..people.models import Department, StaffCategory, User


class Procedure(enum.StrEnum):
    """How the case was handled: simple on-the-spot procedure, quick handling, or general procedure."""

    simple = "simple"
    quick = "quick"
    general = "general"


PROCEDURE_LABELS = {Procedure.simple: _l("Simple procedure (on the spot)"),
                    Procedure.quick: _l("Quick handling"), Procedure.general: _l("General procedure")}


class DeliveryChannel(enum.StrEnum):
    """How the decision reached the party."""

    on_spot = "on_spot"
    electronic = "electronic"
    post = "post"


DELIVERY_LABELS = {DeliveryChannel.on_spot: _l("On the spot"), DeliveryChannel.electronic: _l("Electronic"),
                   DeliveryChannel.post: _l("Post")}


class PaymentChannel(enum.StrEnum):
    """How the fine was paid."""

    electronic = "electronic"
    bank = "bank"
    on_spot = "on_spot"


PAYMENT_LABELS = {PaymentChannel.electronic: _l("Electronic"), PaymentChannel.bank: _l("Bank"),
                  PaymentChannel.on_spot: _l("On the spot")}


def _enum(kind):
    return sa.Enum(kind, native_enum=False, length=16)


class CaseFile(db.Model):
    """One closed (or open) case file of a squad, as entered by form or CSV import."""

    __tablename__ = "review_case_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    case_type: Mapped[str] = mapped_column(sa.String(32), index=True)
    procedure: Mapped[Procedure] = mapped_column(_enum(Procedure), index=True)
    squad_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    facts: Mapped[str] = mapped_column(sa.Text, default="")
    legal_basis: Mapped[str] = mapped_column(sa.Text, default="")
    is_warning: Mapped[bool] = mapped_column(default=False)
    fine_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    confiscation: Mapped[str] = mapped_column(sa.String(200), default="")
    discovered_on: Mapped[date | None] = mapped_column()
    filed_on: Mapped[date | None] = mapped_column()
    decided_on: Mapped[date | None] = mapped_column()
    delivered_on: Mapped[date | None] = mapped_column()
    closed_on: Mapped[date | None] = mapped_column()
    closed_month: Mapped[str | None] = mapped_column(sa.String(7), index=True)
    handling_days: Mapped[int | None] = mapped_column()
    delivery_channel: Mapped[DeliveryChannel | None] = mapped_column(_enum(DeliveryChannel))
    payment_channel: Mapped[PaymentChannel | None] = mapped_column(_enum(PaymentChannel))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column()

    squad: Mapped[Department] = relationship()
    handlers: Mapped[list[CaseHandler]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="(CaseHandler.is_lead.desc(), CaseHandler.id)")
    parties: Mapped[list[CaseParty]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseParty.id")

    def __str__(self) -> str:
        return self.case_number

    @property
    def lead(self) -> User | None:
        """The lead handler."""
        return next((handler.user for handler in self.handlers if handler.is_lead), None)

    @property
    def co_handlers(self) -> list[User]:
        """The co-handlers."""
        return [handler.user for handler in self.handlers if not handler.is_lead]

    @property
    def has_too_few_officers(self) -> bool:
        """Fewer than two enforcement officers (cadres) handled it: a defect of the file."""
        return sum(1 for handler in self.handlers if handler.user.staff_category == StaffCategory.cadre) < 2

    def derive(self) -> None:
        """Recompute the handling days (filing, else discovery, to closing) and the closing month."""
        start = self.filed_on or self.discovered_on
        end = self.closed_on or self.decided_on
        self.handling_days = (end - start).days if start and end and end >= start else None
        self.closed_month = self.closed_on.strftime("%Y-%m") if self.closed_on else None


class CaseHandler(db.Model):
    """An officer who handled the case: the lead, or a co-handler."""

    __tablename__ = "review_case_handler"
    __table_args__ = (sa.UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("review_case_file.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    is_lead: Mapped[bool] = mapped_column(default=False)

    case: Mapped[CaseFile] = relationship(back_populates="handlers")
    user: Mapped[User] = relationship(lazy="joined")


class CaseParty(db.Model):
    """A party to the case. Never shown on a published page: the bulletin masks all of this."""

    __tablename__ = "review_case_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("review_case_file.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    id_number: Mapped[str] = mapped_column(sa.String(32), default="")
    phone: Mapped[str] = mapped_column(sa.String(32), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    plate: Mapped[str] = mapped_column(sa.String(32), default="")

    case: Mapped[CaseFile] = relationship(back_populates="parties")

    def terms(self) -> list[str]:
        """Every piece of this party's data, as entered (for redaction)."""
        return [value for value in (self.name, self.id_number, self.phone, self.address, self.plate) if value]


# --- rubric ---------------------------------------------------------------------------------------

class _Localized:
    label: str
    label_en: str | None

    @property
    def title(self) -> str:
        """The label in the user's language (Chinese unless English is chosen and given)."""
        try:
            english = str(get_locale()) == "en"
        except (RuntimeError, AttributeError):
            english = False
        return self.label_en if english and self.label_en else self.label


class Rubric(db.Model):
    """One version of the scoring standard: veto items, sections of criteria, grade bands, tags."""

    __tablename__ = "review_rubric"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    excellent_min: Mapped[float] = mapped_column(default=90.0)
    good_min: Mapped[float] = mapped_column(default=80.0)
    qualified_min: Mapped[float] = mapped_column(default=60.0)
    recheck_margin: Mapped[float] = mapped_column(default=10.0)
    is_current: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    veto_items: Mapped[list[VetoItem]] = relationship(
        back_populates="rubric", cascade="all, delete-orphan", order_by="VetoItem.position")
    sections: Mapped[list[RubricSection]] = relationship(
        back_populates="rubric", cascade="all, delete-orphan", order_by="RubricSection.position")
    problem_tags: Mapped[list[ProblemTag]] = relationship(
        back_populates="rubric", cascade="all, delete-orphan", order_by="ProblemTag.position")

    @property
    def max_total(self) -> float:
        """The most a file can score."""
        return sum(section.max_points for section in self.sections)


class VetoItem(_Localized, db.Model):
    """A check that, when failed, makes the file unqualified with score 0."""

    __tablename__ = "review_veto_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("review_rubric.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(sa.String(48))
    label: Mapped[str] = mapped_column(sa.String(200))
    label_en: Mapped[str | None] = mapped_column(sa.String(200))

    rubric: Mapped[Rubric] = relationship(back_populates="veto_items")


class RubricSection(_Localized, db.Model):
    """A scored section (for example file presentation, 20 points)."""

    __tablename__ = "review_rubric_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("review_rubric.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(200))
    label_en: Mapped[str | None] = mapped_column(sa.String(200))
    max_points: Mapped[float] = mapped_column()

    rubric: Mapped[Rubric] = relationship(back_populates="sections")
    criteria: Mapped[list[RubricCriterion]] = relationship(
        back_populates="section", cascade="all, delete-orphan", order_by="RubricCriterion.position")


class RubricCriterion(_Localized, db.Model):
    """A criterion of a section, with its maximum points; scored by deductions."""

    __tablename__ = "review_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("review_rubric_section.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(200))
    label_en: Mapped[str | None] = mapped_column(sa.String(200))
    max_points: Mapped[float] = mapped_column()

    section: Mapped[RubricSection] = relationship(back_populates="criteria")


class ProblemTag(_Localized, db.Model):
    """A recurring problem (missing evidence photo, wrong article cited…), optionally tied to training."""

    __tablename__ = "review_problem_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("review_rubric.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(sa.String(48))
    label: Mapped[str] = mapped_column(sa.String(200))
    label_en: Mapped[str | None] = mapped_column(sa.String(200))
    course_slugs: Mapped[str] = mapped_column(sa.String(400), default="")
    question_tags: Mapped[str] = mapped_column(sa.String(400), default="")

    rubric: Mapped[Rubric] = relationship(back_populates="problem_tags")

    @property
    def courses(self) -> list[str]:
        """The course slugs handlers with this problem are assigned."""
        return [slug.strip() for slug in self.course_slugs.split(";") if slug.strip()]


# --- cycles ---------------------------------------------------------------------------------------

class CycleStatus(enum.StrEnum):
    """An open cycle is being scored; a published one is frozen."""

    open = "open"
    published = "published"


class ReviewCycle(db.Model):
    """The review of one month: its sample (reproducible from ``seed``), assignments and bulletin."""

    __tablename__ = "review_cycle"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), unique=True)
    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("review_rubric.id"))
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    sample_size: Mapped[int] = mapped_column(default=3)
    reviewers_per_file: Mapped[int] = mapped_column(default=2)
    status: Mapped[CycleStatus] = mapped_column(_enum(CycleStatus), default=CycleStatus.open, index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    published_at: Mapped[datetime | None] = mapped_column()
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    bulletin: Mapped[str | None] = mapped_column(sa.Text)  # the frozen bulletin (JSON), set when published

    rubric: Mapped[Rubric] = relationship()
    files: Mapped[list[SampledFile]] = relationship(back_populates="cycle", cascade="all, delete-orphan",
                                                    order_by="SampledFile.id")
    errata: Mapped[list[Erratum]] = relationship(back_populates="cycle", order_by="Erratum.id")

    @property
    def is_published(self) -> bool:
        """Published cycles are frozen."""
        return self.status == CycleStatus.published


class FileStatus(enum.StrEnum):
    """Where a sampled file stands: waiting for scores, waiting for a recheck, or graded."""

    pending = "pending"
    recheck = "recheck"
    final = "final"


class Grade(enum.StrEnum):
    """The grade bands."""

    excellent = "excellent"
    good = "good"
    qualified = "qualified"
    unqualified = "unqualified"


GRADE_LABELS = {Grade.excellent: _l("Excellent"), Grade.good: _l("Good"), Grade.qualified: _l("Qualified"),
                Grade.unqualified: _l("Unqualified")}


class SampledFile(db.Model):
    """A case file drawn into a cycle, with its final score and grade once settled."""

    __tablename__ = "review_sampled_file"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("review_cycle.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("review_case_file.id"), index=True)
    status: Mapped[FileStatus] = mapped_column(_enum(FileStatus), default=FileStatus.pending)
    final_total: Mapped[float | None] = mapped_column()
    final_grade: Mapped[Grade | None] = mapped_column(_enum(Grade))
    is_vetoed: Mapped[bool] = mapped_column(default=False)
    is_exemplary: Mapped[bool] = mapped_column(default=False)

    cycle: Mapped[ReviewCycle] = relationship(back_populates="files")
    case: Mapped[CaseFile] = relationship()
    assignments: Mapped[list[ReviewAssignment]] = relationship(back_populates="file", order_by="ReviewAssignment.id")


class AssignmentKind(enum.StrEnum):
    """A first review, or the recheck by a third reviewer when two totals differ too much."""

    primary = "primary"
    recheck = "recheck"


class ReviewAssignment(db.Model):
    """One reviewer's review of one sampled file, and the score they gave it."""

    __tablename__ = "review_assignment"
    __table_args__ = (sa.UniqueConstraint("file_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("review_sampled_file.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    kind: Mapped[AssignmentKind] = mapped_column(_enum(AssignmentKind), default=AssignmentKind.primary)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    total: Mapped[float | None] = mapped_column()
    grade: Mapped[Grade | None] = mapped_column(_enum(Grade))
    is_vetoed: Mapped[bool] = mapped_column(default=False)
    is_exemplary: Mapped[bool] = mapped_column(default=False)
    is_rectification_requested: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(sa.Text, default="")

    file: Mapped[SampledFile] = relationship(back_populates="assignments")
    reviewer: Mapped[User] = relationship(lazy="joined")
    veto_failures: Mapped[list[VetoFailure]] = relationship(back_populates="assignment",
                                                            cascade="all, delete-orphan")
    deductions: Mapped[list[Deduction]] = relationship(back_populates="assignment", cascade="all, delete-orphan",
                                                       order_by="Deduction.id")
    findings: Mapped[list[Finding]] = relationship(back_populates="assignment", cascade="all, delete-orphan",
                                                   order_by="Finding.id")


class VetoFailure(db.Model):
    """A veto item the reviewer found failed."""

    __tablename__ = "review_veto_failure"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "veto_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("review_assignment.id", ondelete="CASCADE"),
                                               index=True)
    veto_item_id: Mapped[int] = mapped_column(sa.ForeignKey("review_veto_item.id"))

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="veto_failures")
    veto_item: Mapped[VetoItem] = relationship()


class Deduction(db.Model):
    """Points taken off a criterion, with the reason."""

    __tablename__ = "review_deduction"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("review_assignment.id", ondelete="CASCADE"),
                                               index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("review_criterion.id"))
    points: Mapped[float] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.Text)

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="deductions")
    criterion: Mapped[RubricCriterion] = relationship()


class Finding(db.Model):
    """A problem found in the file: a tag of the rubric and/or free text."""

    __tablename__ = "review_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("review_assignment.id", ondelete="CASCADE"),
                                               index=True)
    tag_id: Mapped[int | None] = mapped_column(sa.ForeignKey("review_problem_tag.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text, default="")

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="findings")
    tag: Mapped[ProblemTag | None] = relationship(lazy="joined")


class Erratum(db.Model):
    """A correction appended to a published bulletin, with its reason. The bulletin itself never changes."""

    __tablename__ = "review_erratum"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("review_cycle.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    cycle: Mapped[ReviewCycle] = relationship(back_populates="errata")


# --- rectification --------------------------------------------------------------------------------

class NoticeStatus(enum.StrEnum):
    """Open (waiting for the handlers), answered, accepted, or returned for more work."""

    open = "open"
    answered = "answered"
    accepted = "accepted"
    returned = "returned"


NOTICE_STATUS_LABELS = {NoticeStatus.open: _l("Awaiting rectification"), NoticeStatus.answered: _l("Answered"),
                        NoticeStatus.accepted: _l("Accepted"), NoticeStatus.returned: _l("Returned")}


class RectificationNotice(db.Model):
    """A notice to a file's handlers to correct what the review found, by a deadline."""

    __tablename__ = "review_rectification_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("review_sampled_file.id"), unique=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("review_case_file.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[NoticeStatus] = mapped_column(_enum(NoticeStatus), default=NoticeStatus.open, index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    response: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column()
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    file: Mapped[SampledFile] = relationship()
    case: Mapped[CaseFile] = relationship()

    @property
    def is_overdue(self) -> bool:
        """Past the deadline and still waiting for the handlers."""
        return self.status in (NoticeStatus.open, NoticeStatus.returned) and self.due_on < date.today()
