"""Pairings of mentor and apprentice, their talk logs, private notes and experience-sharing events."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..extensions import db
from ..people.models import User


class PairingStatus(enum.StrEnum):
    """Active during the term; completed (graduated) or ended early when the programme owner closes it."""

    active = "active"
    completed = "completed"
    ended_early = "ended_early"


PAIRING_STATUS_LABELS = {
    PairingStatus.active: _l("Active"),
    PairingStatus.completed: _l("Completed"),
    PairingStatus.ended_early: _l("Ended early"),
}


class TalkKind(enum.StrEnum):
    """What kind of session the mentor held."""

    heart_to_heart = "heart_to_heart"
    coaching = "coaching"
    case_walkthrough = "case_walkthrough"
    experience_sharing = "experience_sharing"


TALK_KIND_LABELS = {
    TalkKind.heart_to_heart: _l("Heart-to-heart talk"),
    TalkKind.coaching: _l("On-the-job coaching"),
    TalkKind.case_walkthrough: _l("Case walk-through"),
    TalkKind.experience_sharing: _l("Experience sharing"),
}


class Pairing(db.Model):
    """A mentor and an apprentice for a term, with agreed goals; both sign the agreement at the start."""

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    apprentice_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    term_start: Mapped[date] = mapped_column()
    term_end: Mapped[date] = mapped_column()
    goals: Mapped[str] = mapped_column(sa.Text)
    cadence_days: Mapped[int] = mapped_column(default=30)
    status: Mapped[PairingStatus] = mapped_column(
        sa.Enum(PairingStatus, native_enum=False, length=16), default=PairingStatus.active, index=True)
    mentor_signed_at: Mapped[datetime | None] = mapped_column()
    apprentice_signed_at: Mapped[datetime | None] = mapped_column()
    last_talk_on: Mapped[date | None] = mapped_column()
    next_talk_due_on: Mapped[date] = mapped_column(index=True)
    mentor_rating: Mapped[int | None] = mapped_column()
    mentor_evaluation: Mapped[str | None] = mapped_column(sa.Text)
    mentor_evaluated_at: Mapped[datetime | None] = mapped_column()
    apprentice_rating: Mapped[int | None] = mapped_column()
    apprentice_evaluation: Mapped[str | None] = mapped_column(sa.Text)
    apprentice_evaluated_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    apprentice: Mapped[User] = relationship(foreign_keys=[apprentice_id])

    @property
    def is_agreement_signed(self) -> bool:
        """Both mentor and apprentice have signed the agreement."""
        return self.mentor_signed_at is not None and self.apprentice_signed_at is not None

    @property
    def is_active(self) -> bool:
        """The pairing is running."""
        return self.status == PairingStatus.active

    def is_overdue(self, today: date) -> bool:
        """An active pairing whose next talk was due before ``today``."""
        return self.is_active and self.next_talk_due_on < today


class Talk(db.Model):
    """One session logged by the mentor; the apprentice confirms the shared summary."""

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(sa.ForeignKey("pairing.id"), index=True)
    held_on: Mapped[date] = mapped_column(index=True)
    minutes: Mapped[int] = mapped_column()
    kind: Mapped[TalkKind] = mapped_column(sa.Enum(TalkKind, native_enum=False, length=24))
    topics: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text)
    confirmed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pairing: Mapped[Pairing] = relationship()


class PrivateNote(db.Model):
    """A note on a talk that only the mentor who wrote it may read (kept apart from the shared talk)."""

    __tablename__ = "private_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    talk_id: Mapped[int] = mapped_column(sa.ForeignKey("talk.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    talk: Mapped[Talk] = relationship()


class SharingEvent(db.Model):
    """An experience-sharing event: a colleague speaks on a topic; attendance may earn training hours."""

    __tablename__ = "sharing_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    speaker_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    topic: Mapped[str] = mapped_column(sa.String(200))
    held_on: Mapped[date] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(sa.String(120), default="")
    hours: Mapped[float] = mapped_column(default=1.0)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    speaker: Mapped[User] = relationship(foreign_keys=[speaker_id])


class SharingAttendance(db.Model):
    """One person attended one experience-sharing event."""

    __tablename__ = "sharing_attendance"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("sharing_event.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), primary_key=True, index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
