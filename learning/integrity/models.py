"""Commitment letters and their versions, hash-chained signatures, collective signings and books."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit import utcnow
from ..extensions import db
from ..people.models import User


class Audience(enum.StrEnum):
    """Who must sign a letter: everyone, cadres only or auxiliary staff only."""

    all = "all"
    cadre = "cadre"
    auxiliary = "auxiliary"


AUDIENCE_LABELS = {Audience.all: _l("Everyone"), Audience.cadre: _l("Cadres"),
                   Audience.auxiliary: _l("Auxiliary staff")}


class SigningMethod(enum.StrEnum):
    """Online (read and type one's name) or on paper at a collective signing."""

    online = "online"
    collective = "collective"


METHOD_LABELS = {SigningMethod.online: _l("Online"), SigningMethod.collective: _l("Collective signing")}


class Letter(db.Model):
    """An integrity commitment letter for a year and an audience; its text lives in versions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    year: Mapped[int] = mapped_column(index=True)
    audience: Mapped[Audience] = mapped_column(sa.Enum(Audience, native_enum=False, length=16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LetterVersion(db.Model):
    """One text of a letter (Markdown). A draft until published; published text never changes."""

    __tablename__ = "letter_version"
    __table_args__ = (sa.UniqueConstraint("letter_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"), index=True)
    number: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(sa.Text)
    published_at: Mapped[datetime | None] = mapped_column()
    # The newest published version of its letter: the one its audience must have signed.
    is_current: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    letter: Mapped[Letter] = relationship(lazy="joined")

    @property
    def is_published(self) -> bool:
        """Whether the version has been published (and so is frozen)."""
        return self.published_at is not None


class CollectiveSigning(db.Model):
    """A signing session on paper: date, place, organiser; the organiser records who signed."""

    __tablename__ = "collective_signing"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("letter_version.id"), index=True)
    held_on: Mapped[date] = mapped_column()
    place: Mapped[str] = mapped_column(sa.String(120))
    organiser_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[LetterVersion] = relationship()
    organiser: Mapped[User] = relationship()


class Signature(db.Model):
    """One person's signature of one version: the hash of the exact text, time and method.

    Append-only, and chained: ``record_hash`` covers the fields and the ``previous_hash`` of the record
    before it, so altering any stored signature breaks the chain from that record on.
    """

    __table_args__ = (sa.UniqueConstraint("user_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("letter_version.id"), index=True)
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column()
    method: Mapped[SigningMethod] = mapped_column(sa.Enum(SigningMethod, native_enum=False, length=16))
    signed_name: Mapped[str] = mapped_column(sa.String(80))
    collective_signing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("collective_signing.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # Unique: two signatures taken at once cannot both claim the same predecessor (no silent fork).
    previous_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    record_hash: Mapped[str] = mapped_column(sa.String(64))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    version: Mapped[LetterVersion] = relationship()
    collective_signing: Mapped[CollectiveSigning | None] = relationship()


@event.listens_for(Signature, "before_update")
@event.listens_for(Signature, "before_delete")
def _refuse_change(_mapper, _connection, target):
    raise PermissionError(f"signature {target.id} cannot be edited or deleted")


class Book(db.Model):
    """A title in the integrity-books catalogue."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    author: Mapped[str] = mapped_column(sa.String(120), default="")
    publisher: Mapped[str] = mapped_column(sa.String(120), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BookPresentation(db.Model):
    """A book given to a person on an occasion; the person may add a short reading reflection."""

    __tablename__ = "book_presentation"

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(sa.ForeignKey("book.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    presented_on: Mapped[date] = mapped_column()
    occasion: Mapped[str] = mapped_column(sa.String(200))
    presented_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reflection: Mapped[str | None] = mapped_column(sa.Text)
    reflection_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    book: Mapped[Book] = relationship()
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
