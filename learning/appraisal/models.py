"""Appraisal records: the auxiliary-staff registry, recruitment rounds, assessment schemes,
evaluations with their frozen scores and appeals, and the four-element cadre scorecard."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..extensions import db
from ..people.models import Department, User


def _enum(kind) -> sa.Enum:
    return sa.Enum(kind, native_enum=False, length=24)


class Education(enum.StrEnum):
    """Highest education completed, in increasing order (the order matters for eligibility)."""

    junior = "junior"
    senior = "senior"
    vocational = "vocational"
    associate = "associate"
    bachelor = "bachelor"
    master = "master"


EDUCATION_ORDER = list(Education)
EDUCATION_LABELS = {
    Education.junior: _l("Junior secondary"), Education.senior: _l("Senior secondary"),
    Education.vocational: _l("Vocational secondary"), Education.associate: _l("Associate degree"),
    Education.bachelor: _l("Bachelor's degree"), Education.master: _l("Master's degree or higher"),
}
GENDER_LABELS = {"female": _l("Female"), "male": _l("Male")}


class StaffStatus(enum.StrEnum):
    """Whether an auxiliary staff member still works for the bureau."""

    active = "active"
    left = "left"


STATUS_LABELS = {StaffStatus.active: _l("Active"), StaffStatus.left: _l("Left")}


class RuleKind(enum.StrEnum):
    """What an eligibility rule checks."""

    min_education = "min_education"
    min_age = "min_age"
    max_age = "max_age"


RULE_KIND_LABELS = {RuleKind.min_education: _l("Minimum education"), RuleKind.min_age: _l("Minimum age"),
                    RuleKind.max_age: _l("Maximum age")}


class AuxiliaryStaff(db.Model):
    """One registered auxiliary staff member (辅助人员), linked to their account when they have one."""

    __tablename__ = "auxiliary_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    gender: Mapped[str] = mapped_column(sa.String(8))
    id_number: Mapped[str] = mapped_column(sa.String(18), unique=True)
    phone: Mapped[str] = mapped_column(sa.String(20))
    position: Mapped[str] = mapped_column(sa.String(64), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    hired_on: Mapped[date] = mapped_column()
    contract_ends_on: Mapped[date | None] = mapped_column(index=True)
    education: Mapped[Education] = mapped_column(_enum(Education))
    emergency_contact: Mapped[str] = mapped_column(sa.String(120), default="")
    status: Mapped[StaffStatus] = mapped_column(_enum(StaffStatus), default=StaffStatus.active)
    left_on: Mapped[date | None] = mapped_column()
    left_reason: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()
    department: Mapped[Department | None] = relationship()

    def __str__(self) -> str:
        return self.name


class RecruitmentRound(db.Model):
    """A recruitment of auxiliary staff: positions, places, rules, window and score weights."""

    __tablename__ = "recruitment_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    opens_on: Mapped[date] = mapped_column()
    closes_on: Mapped[date] = mapped_column()
    written_weight: Mapped[float] = mapped_column(default=0.6)
    interview_weight: Mapped[float] = mapped_column(default=0.4)
    retention_days: Mapped[int] = mapped_column(default=90)
    is_closed: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[datetime | None] = mapped_column()
    purged_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    positions: Mapped[list[RecruitmentPosition]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RecruitmentPosition.id")
    rules: Mapped[list[EligibilityRule]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="EligibilityRule.id")


class RecruitmentPosition(db.Model):
    """A position offered in a round, with its places; the counts survive the purge of applicants."""

    __tablename__ = "recruitment_position"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("recruitment_round.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"))
    places: Mapped[int] = mapped_column(default=1)
    applicant_count: Mapped[int | None] = mapped_column()
    hired_count: Mapped[int | None] = mapped_column()

    round: Mapped[RecruitmentRound] = relationship(back_populates="positions")
    department: Mapped[Department | None] = relationship()


class EligibilityRule(db.Model):
    """A condition a registration or an applicant must meet; round-less rules apply to the registry."""

    __tablename__ = "eligibility_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recruitment_round.id", ondelete="CASCADE"),
                                                 index=True)
    kind: Mapped[RuleKind] = mapped_column(_enum(RuleKind))
    value: Mapped[str] = mapped_column(sa.String(32))

    round: Mapped[RecruitmentRound | None] = relationship(back_populates="rules")


class Applicant(db.Model):
    """A person applying in a round; personal data, seen by HR only and purged after the round."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("recruitment_round.id", ondelete="CASCADE"), index=True)
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("recruitment_position.id", ondelete="CASCADE"),
                                             index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    gender: Mapped[str] = mapped_column(sa.String(8))
    id_number: Mapped[str] = mapped_column(sa.String(18))
    phone: Mapped[str] = mapped_column(sa.String(20))
    education: Mapped[Education] = mapped_column(_enum(Education))
    emergency_contact: Mapped[str] = mapped_column(sa.String(120), default="")
    written_score: Mapped[float | None] = mapped_column()
    interview_score: Mapped[float | None] = mapped_column()
    is_hired: Mapped[bool] = mapped_column(default=False)
    hired_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    position: Mapped[RecruitmentPosition] = relationship()

    __table_args__ = (sa.UniqueConstraint("round_id", "id_number"),)


# --- assessment schemes and evaluations ---------------------------------------------------------

class Audience(enum.StrEnum):
    """Who a scheme assesses."""

    cadre = "cadre"
    auxiliary = "auxiliary"


AUDIENCE_LABELS = {Audience.cadre: _l("Cadres"), Audience.auxiliary: _l("Auxiliary staff")}


class PeriodType(enum.StrEnum):
    """How long an assessment period is."""

    monthly = "monthly"
    quarterly = "quarterly"
    annual = "annual"


PERIOD_TYPE_LABELS = {PeriodType.monthly: _l("Monthly"), PeriodType.quarterly: _l("Quarterly"),
                      PeriodType.annual: _l("Annual")}


class CriterionKind(enum.StrEnum):
    """Scored by hand, computed from the platform, or a gate that caps the grade."""

    manual = "manual"
    computed = "computed"
    gate = "gate"


CRITERION_KIND_LABELS = {CriterionKind.manual: _l("Scored by hand"), CriterionKind.computed: _l("Computed"),
                         CriterionKind.gate: _l("Gate (caps the grade)")}


class Scheme(db.Model):
    """An assessment scheme (考核细则) for one position of auxiliary staff, or for cadres."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    audience: Mapped[Audience] = mapped_column(_enum(Audience))
    position: Mapped[str | None] = mapped_column(sa.String(64))
    period_type: Mapped[PeriodType] = mapped_column(_enum(PeriodType))
    gate_cap: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan", order_by="Criterion.id", lazy="selectin")
    bands: Mapped[list[Band]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan", order_by="Band.min_points.desc()", lazy="selectin")

    def __str__(self) -> str:
        return self.name


class Criterion(db.Model):
    """One criterion of a scheme: maximum points, and how it is scored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    max_points: Mapped[float] = mapped_column()
    kind: Mapped[CriterionKind] = mapped_column(_enum(CriterionKind))
    guidance: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str | None] = mapped_column(sa.String(40))
    target: Mapped[float | None] = mapped_column()

    scheme: Mapped[Scheme] = relationship(back_populates="criteria")


class Band(db.Model):
    """A grade band: the grade given from ``min_points`` of the total upwards."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    min_points: Mapped[float] = mapped_column()

    scheme: Mapped[Scheme] = relationship(back_populates="bands")


class EvaluationStatus(enum.StrEnum):
    """Where an evaluation stands."""

    draft = "draft"
    finalised = "finalised"
    acknowledged = "acknowledged"
    appealed = "appealed"
    superseded = "superseded"


EVALUATION_STATUS_LABELS = {
    EvaluationStatus.draft: _l("Draft"), EvaluationStatus.finalised: _l("Finalised"),
    EvaluationStatus.acknowledged: _l("Acknowledged"), EvaluationStatus.appealed: _l("Appealed"),
    EvaluationStatus.superseded: _l("Superseded by a new version"),
}


class Evaluation(db.Model):
    """One person's evaluation under a scheme for a period; frozen from finalisation on."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("scheme.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    period_label: Mapped[str] = mapped_column(sa.String(16), index=True)
    version: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evaluation.id"))
    status: Mapped[EvaluationStatus] = mapped_column(_enum(EvaluationStatus), default=EvaluationStatus.draft,
                                                     index=True)
    scheme_name: Mapped[str] = mapped_column(sa.String(120))
    bands_json: Mapped[str] = mapped_column(sa.Text, default="[]")
    gate_cap: Mapped[str | None] = mapped_column(sa.String(40))
    total: Mapped[float | None] = mapped_column()
    max_total: Mapped[float | None] = mapped_column()
    grade: Mapped[str | None] = mapped_column(sa.String(40))
    is_capped: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finalised_at: Mapped[datetime | None] = mapped_column()
    finalised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    scheme: Mapped[Scheme | None] = relationship()
    scores: Mapped[list[EvaluationScore]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="EvaluationScore.position",
        lazy="selectin")
    appeals: Mapped[list[Appeal]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="Appeal.id", lazy="selectin",
        foreign_keys="Appeal.evaluation_id")

    __table_args__ = (sa.UniqueConstraint("scheme_id", "user_id", "period_start", "version"),)

    @property
    def is_frozen(self) -> bool:
        """Finalised evaluations (and every later state) never change."""
        return self.status != EvaluationStatus.draft

    @property
    def bands(self) -> list[dict]:
        """The bands as they were when the evaluation was last computed."""
        return json.loads(self.bands_json or "[]")

    @property
    def open_appeal(self) -> Appeal | None:
        """The appeal HR has not answered yet."""
        return next((appeal for appeal in self.appeals if appeal.status == AppealStatus.open), None)


class EvaluationScore(db.Model):
    """One criterion's score in an evaluation, with the criterion and its inputs copied in."""

    __tablename__ = "evaluation_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(sa.ForeignKey("criterion.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[CriterionKind] = mapped_column(_enum(CriterionKind))
    max_points: Mapped[float] = mapped_column()
    guidance: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str | None] = mapped_column(sa.String(40))
    inputs_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    points: Mapped[float | None] = mapped_column()
    is_gate_passed: Mapped[bool | None] = mapped_column()
    note: Mapped[str] = mapped_column(sa.Text, default="")

    evaluation: Mapped[Evaluation] = relationship(back_populates="scores")

    @property
    def inputs(self) -> dict[str, Any]:
        """The input values the computed score used."""
        return json.loads(self.inputs_json or "{}")


class AppealStatus(enum.StrEnum):
    """An appeal is open until HR upholds or rejects it."""

    open = "open"
    upheld = "upheld"
    rejected = "rejected"


APPEAL_STATUS_LABELS = {AppealStatus.open: _l("Waiting for an answer"), AppealStatus.upheld: _l("Upheld"),
                        AppealStatus.rejected: _l("Rejected")}


class Appeal(db.Model):
    """A person's appeal against a finalised evaluation, and HR's answer."""

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[AppealStatus] = mapped_column(_enum(AppealStatus), default=AppealStatus.open, index=True)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    answered_at: Mapped[datetime | None] = mapped_column()
    new_evaluation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evaluation.id"))

    evaluation: Mapped[Evaluation] = relationship(back_populates="appeals", foreign_keys=[evaluation_id])


# --- cadre scorecard ------------------------------------------------------------------------------

ELEMENTS = ("quality", "development", "theory", "legal")
ELEMENT_LABELS = {
    "quality": _l("Case-handling quality"), "development": _l("Development capabilities"),
    "theory": _l("Theoretical level"), "legal": _l("Legal-system evaluation"),
}
DEFAULT_WEIGHTS = {"quality": 30.0, "development": 25.0, "theory": 25.0, "legal": 20.0}


class ScorecardPeriod(db.Model):
    """A period of the cadre scorecard with its element weights; published as a ranking notice."""

    __tablename__ = "scorecard_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(16), unique=True)
    start: Mapped[date] = mapped_column()
    end: Mapped[date] = mapped_column()
    weight_quality: Mapped[float] = mapped_column(default=30.0)
    weight_development: Mapped[float] = mapped_column(default=25.0)
    weight_theory: Mapped[float] = mapped_column(default=25.0)
    weight_legal: Mapped[float] = mapped_column(default=20.0)
    training_target_hours: Mapped[float] = mapped_column(default=20.0)
    is_published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column()
    computed_at: Mapped[datetime | None] = mapped_column()

    @property
    def weights(self) -> dict[str, float]:
        """The element weights, by element."""
        return {element: getattr(self, f"weight_{element}") for element in ELEMENTS}


class Scorecard(db.Model):
    """One cadre's four elements and total for a period, with every input it used."""

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("scorecard_period.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    quality: Mapped[float | None] = mapped_column()
    development: Mapped[float | None] = mapped_column()
    theory: Mapped[float | None] = mapped_column()
    legal: Mapped[float | None] = mapped_column()
    total: Mapped[float | None] = mapped_column(index=True)
    rank_bureau: Mapped[int | None] = mapped_column()
    rank_department: Mapped[int | None] = mapped_column()
    inputs_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship()
    period: Mapped[ScorecardPeriod] = relationship()

    __table_args__ = (sa.UniqueConstraint("period_id", "user_id"),)

    @property
    def inputs(self) -> dict[str, Any]:
        """Each element's inputs, weights and the arithmetic of the total."""
        return json.loads(self.inputs_json or "{}")


class LegalRating(db.Model):
    """The legal-affairs section's rating of one cadre for a period, against a short rubric."""

    __tablename__ = "legal_rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("scorecard_period.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    rater_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    rubric_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    score: Mapped[float] = mapped_column()
    note: Mapped[str] = mapped_column(sa.Text, default="")
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("period_id", "user_id"),)

    @property
    def rubric(self) -> dict[str, float]:
        """Points per rubric item."""
        return json.loads(self.rubric_json or "{}")
