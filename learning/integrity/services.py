"""Rules of the integrity commitments: letters and versions, hash-chained signatures, collective
signings and integrity books. The acting user is passed in; everything here only flushes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..audit import utcnow
from ..extensions import db
from ..people.models import StaffCategory, User
from .models import Audience, Book, BookPresentation, CollectiveSigning, Letter, LetterVersion, Signature, SigningMethod

GENESIS_HASH = "0" * 64
"""The ``previous_hash`` of the first signature ever recorded."""


class IntegrityError(ValueError):
    """A rule refused the operation; the message is for the user."""


def text_hash(body: str) -> str:
    """SHA-256 of the exact text of a version (UTF-8), as a signature stores it."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record_hash(*, previous_hash: str, user_id: int, version_id: int, text_sha256: str, signed_at,
                method: str, signed_name: str, collective_signing_id: int | None,
                recorded_by_id: int | None) -> str:
    """The chained hash of one signature: its fields and the hash of the record before it."""
    fields = {
        "previous_hash": previous_hash, "user_id": user_id, "version_id": version_id,
        "text_sha256": text_sha256, "signed_at": signed_at.isoformat(timespec="microseconds"),
        "method": str(method), "signed_name": signed_name, "collective_signing_id": collective_signing_id,
        "recorded_by_id": recorded_by_id,
    }
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def signature_hash(signature: Signature) -> str:
    """Recompute the chained hash of a stored signature."""
    return record_hash(previous_hash=signature.previous_hash, user_id=signature.user_id,
                       version_id=signature.version_id, text_sha256=signature.text_sha256,
                       signed_at=signature.signed_at, method=signature.method.value,
                       signed_name=signature.signed_name, collective_signing_id=signature.collective_signing_id,
                       recorded_by_id=signature.recorded_by_id)


# --- letters and versions -------------------------------------------------------------------------

def in_audience(user: User, audience: Audience) -> bool:
    """Whether the user's staff category falls in the audience."""
    return audience == Audience.all or user.staff_category.value == audience.value


def audience_condition(audience: Audience):
    """SQL condition on ``User``: the person falls in ``audience``."""
    if audience == Audience.all:
        return sa.true()
    return User.staff_category == StaffCategory(audience.value)


def create_letter(actor: User, title: str, year: int, audience: Audience, body: str) -> Letter:
    """A new letter with its first version as a draft."""
    letter = Letter(title=title.strip(), year=year, audience=audience)
    db.session.add(letter)
    db.session.flush()
    save_draft(actor, letter, body)
    audit.record(actor, "integrity.letter_created", letter, after={"title": letter.title, "year": year})
    return letter


def draft_of(letter: Letter) -> LetterVersion | None:
    """The unpublished version of a letter, if one is being prepared."""
    return db.session.execute(sa.select(LetterVersion).where(
        LetterVersion.letter_id == letter.id, LetterVersion.published_at.is_(None))).scalar_one_or_none()


def save_draft(actor: User, letter: Letter, body: str) -> LetterVersion:
    """Write the draft of the next version (creating it when none is open); published text never changes."""
    if not body.strip():
        raise IntegrityError(_("The letter needs a text."))
    draft = draft_of(letter)
    if draft is None:
        number = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(LetterVersion.number), 0))
                                    .where(LetterVersion.letter_id == letter.id)).scalar_one() + 1
        draft = LetterVersion(letter=letter, number=number, body=body, created_by_id=getattr(actor, "id", None))
        db.session.add(draft)
    else:
        draft.body = body
    db.session.flush()
    return draft


def publish_version(actor: User, version: LetterVersion) -> None:
    """Publish a draft: it becomes the current version, and everyone in the audience must sign it."""
    if version.is_published:
        raise IntegrityError(_("This version is published already."))
    db.session.execute(sa.update(LetterVersion).where(LetterVersion.letter_id == version.letter_id,
                                                      LetterVersion.is_current.is_(True))
                       .values(is_current=False).execution_options(synchronize_session="fetch"))
    version.published_at = utcnow()
    version.is_current = True
    audit.record(actor, "integrity.version_published", version,
                 after={"letter": version.letter_id, "number": version.number, "sha256": text_hash(version.body)})
    db.session.flush()
    forget_letter_statuses()


def _audiences_of(user: User) -> list[Audience]:
    return [Audience.all, Audience(user.staff_category.value)]


def current_versions_for(user: User) -> list[tuple[LetterVersion, Signature | None]]:
    """The current versions the user must sign, each with the user's signature of it (one query)."""
    rows = db.session.execute(
        sa.select(LetterVersion, Signature).join(Letter, LetterVersion.letter_id == Letter.id)
        .outerjoin(Signature, sa.and_(Signature.version_id == LetterVersion.id, Signature.user_id == user.id))
        .where(LetterVersion.is_current.is_(True), Letter.audience.in_(_audiences_of(user)))
        .order_by(Letter.year.desc(), Letter.id)).all()
    return [(version, signature) for version, signature in rows]


def unsigned_count(user: User) -> int:
    """How many current versions in the user's audience the user has not signed (one query)."""
    signed = sa.select(Signature.id).where(Signature.user_id == user.id, Signature.version_id == LetterVersion.id)
    return db.session.execute(
        sa.select(sa.func.count(LetterVersion.id)).join(Letter, LetterVersion.letter_id == Letter.id)
        .where(LetterVersion.is_current.is_(True), Letter.audience.in_(_audiences_of(user)),
               ~signed.exists())).scalar_one()


@dataclass(frozen=True)
class LetterStatus:
    """A current letter addressed to a person, and whether they have signed it (for the banner/panel)."""

    version_id: int
    letter_id: int
    title: str
    is_signed: bool


_STATUS_KEY = "integrity_letter_status"


def letter_statuses(user: User) -> list[LetterStatus]:
    """The user's current letters and whether each is signed: one query, cached for the request in
    ``flask.g`` so the banner (every page) and the dashboard panel share it."""
    from flask import g, has_request_context, request

    cached = g.get(_STATUS_KEY) if has_request_context() else None
    if cached is not None and cached[0] is request._get_current_object() and cached[1] == user.id:
        return cached[2]
    signed = sa.select(Signature.id).where(Signature.user_id == user.id, Signature.version_id == LetterVersion.id)
    rows = [LetterStatus(version_id, letter_id, title, bool(is_signed)) for version_id, letter_id, title, is_signed
            in db.session.execute(
                sa.select(LetterVersion.id, Letter.id, Letter.title, signed.exists())
                .join(Letter, LetterVersion.letter_id == Letter.id)
                .where(LetterVersion.is_current.is_(True), Letter.audience.in_(_audiences_of(user)))
                .order_by(Letter.year.desc(), Letter.id)).all()]
    if has_request_context():
        setattr(g, _STATUS_KEY, (request._get_current_object(), user.id, rows))
    return rows


def forget_letter_statuses() -> None:
    """Drop the request's cached letter statuses (after a signature or a publication)."""
    from flask import g, has_app_context

    if has_app_context():
        g.pop(_STATUS_KEY, None)


def signing_progress(limit: int = 5) -> list[dict]:
    """The newest current versions with their signature count and audience size (one query)."""
    signed = (sa.select(sa.func.count(Signature.id)).where(Signature.version_id == LetterVersion.id)
              .correlate(LetterVersion).scalar_subquery())
    audience = (sa.select(sa.func.count(User.id))
                .where(User.is_active_account.is_(True),
                       sa.or_(Letter.audience == Audience.all,
                              sa.cast(User.staff_category, sa.String) == sa.cast(Letter.audience, sa.String)))
                .correlate(Letter).scalar_subquery())
    rows = db.session.execute(
        sa.select(LetterVersion.id, Letter.id, Letter.title, signed, audience)
        .join(Letter, LetterVersion.letter_id == Letter.id).where(LetterVersion.is_current.is_(True))
        .order_by(Letter.year.desc(), Letter.id).limit(limit)).all()
    return [{"version_id": version_id, "letter_id": letter_id, "title": title, "signed": done, "total": total}
            for version_id, letter_id, title, done, total in rows]


# --- signatures -----------------------------------------------------------------------------------

CHAIN_LOCK = 7_250_411
"""PostgreSQL advisory-lock key that serialises appends to the signature chain."""


def _append_signature(user: User, version: LetterVersion, method: SigningMethod, signed_name: str,
                      recorded_by: User | None, collective: CollectiveSigning | None) -> Signature:
    if db.session.get_bind().dialect.name == "postgresql":
        # Writers take turns at the chain's end (SQLite's BEGIN IMMEDIATE already serialises writers).
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    last = db.session.execute(sa.select(Signature.record_hash).order_by(Signature.id.desc()).limit(1)
                              ).scalar_one_or_none()
    fields = {
        "previous_hash": last or GENESIS_HASH, "user_id": user.id, "version_id": version.id,
        "text_sha256": text_hash(version.body), "signed_at": utcnow(), "method": method.value,
        "signed_name": signed_name, "collective_signing_id": collective.id if collective else None,
        "recorded_by_id": recorded_by.id if recorded_by else None,
    }
    signature = Signature(**{**fields, "method": method}, record_hash=record_hash(**fields))
    db.session.add(signature)
    db.session.flush()
    forget_letter_statuses()
    return signature


def _check_signable(user: User, version: LetterVersion) -> None:
    if not version.is_current:
        raise IntegrityError(_("This version is not the current one."))
    if not in_audience(user, version.letter.audience):
        raise IntegrityError(_("This letter is not addressed to %(name)s.", name=user.display_name))
    exists = db.session.execute(sa.select(Signature.id).where(
        Signature.user_id == user.id, Signature.version_id == version.id)).scalar_one_or_none()
    if exists is not None:
        raise IntegrityError(_("%(name)s has signed this version already.", name=user.display_name))


def _normalise_name(name: str) -> str:
    return "".join(name.split()).casefold()


def sign_online(user: User, version: LetterVersion, typed_name: str) -> Signature:
    """The user signs online by typing their full name, which must match their name on record."""
    _check_signable(user, version)
    if _normalise_name(typed_name) != _normalise_name(user.display_name):
        raise IntegrityError(_("Type your full name exactly as it is on record: %(name)s.", name=user.display_name))
    signature = _append_signature(user, version, SigningMethod.online, typed_name.strip(), user, None)
    audit.record(user, "integrity.signed", signature, after={"version": version.id, "method": "online"})
    return signature


def create_collective_signing(actor: User, version: LetterVersion, held_on: date, place: str) -> CollectiveSigning:
    """A collective signing of the current version; ``actor`` is the organiser who records signatures."""
    if not version.is_current:
        raise IntegrityError(_("This version is not the current one."))
    signing = CollectiveSigning(version=version, held_on=held_on, place=place.strip(), organiser_id=actor.id)
    db.session.add(signing)
    db.session.flush()
    audit.record(actor, "integrity.collective_created", signing, after={"place": signing.place})
    return signing


@dataclass
class PaperReport:
    """What recording a collective signing did with each employee number."""

    signed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def record_paper_signatures(actor: User, signing: CollectiveSigning, usernames: list[str]) -> PaperReport:
    """The organiser records who signed on paper at the collective signing."""
    if actor.id != signing.organiser_id:
        raise IntegrityError(_("Only the organiser records the signatures of a collective signing."))
    wanted = list(dict.fromkeys(name.strip() for name in usernames if name.strip()))
    users = {u.username: u for u in db.session.execute(sa.select(User).where(User.username.in_(wanted))).scalars()}
    report = PaperReport()
    for name in wanted:
        user = users.get(name)
        if user is None:
            report.skipped.append((name, _("no such employee number")))
            continue
        try:
            _check_signable(user, signing.version)
        except IntegrityError as error:
            report.skipped.append((name, str(error)))
            continue
        signature = _append_signature(user, signing.version, SigningMethod.collective, user.display_name,
                                      actor, signing)
        audit.record(actor, "integrity.signed", signature,
                     after={"version": signing.version_id, "method": "collective", "user": name})
        report.signed.append(name)
    return report


@dataclass
class ChainReport:
    """The outcome of checking the signature chain."""

    checked: int
    bad_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether every record checked out."""
        return self.bad_id is None


def verify_chain() -> ChainReport:
    """Walk every signature in order: its text hash, its own hash and its link to the one before."""
    bodies = {vid: text_hash(body) for vid, body in db.session.execute(
        sa.select(LetterVersion.id, LetterVersion.body))}
    previous = GENESIS_HASH
    checked = 0
    result = db.session.execute(sa.select(Signature).order_by(Signature.id).execution_options(yield_per=500))
    try:  # streamed (a server-side cursor on PostgreSQL): close it when stopping at a bad record
        for signature in result.scalars():
            checked += 1
            if signature.previous_hash != previous:
                return ChainReport(checked, signature.id, "does not link to the record before it")
            if signature_hash(signature) != signature.record_hash:
                return ChainReport(checked, signature.id, "its fields do not match its hash")
            if bodies.get(signature.version_id) != signature.text_sha256:
                return ChainReport(checked, signature.id, "the letter text it signed has changed")
            previous = signature.record_hash
    finally:
        result.close()
    return ChainReport(checked)


# --- lists for the integrity manager ----------------------------------------------------------------

def unsigned_query(version: LetterVersion, department_id: int | None = None):
    """Active people in the version's audience who have not signed it (a select to paginate)."""
    signed = sa.select(Signature.id).where(Signature.version_id == version.id, Signature.user_id == User.id)
    query = sa.select(User).where(User.is_active_account.is_(True), ~signed.exists(),
                                  audience_condition(version.letter.audience))
    if department_id:
        query = query.where(User.department_id == department_id)
    return query.order_by(User.department_id, User.username)


def department_counts(version: LetterVersion) -> list[dict]:
    """Per department: people in the audience and how many have signed (one aggregate query)."""
    from ..people.models import Department

    signed = sa.select(Signature.id).where(Signature.version_id == version.id, Signature.user_id == User.id)
    rows = db.session.execute(
        sa.select(Department.id, Department.name, sa.func.count(User.id),
                  sa.func.sum(sa.case((signed.exists(), 1), else_=0)))
        .select_from(User).outerjoin(Department, User.department_id == Department.id)
        .where(User.is_active_account.is_(True), audience_condition(version.letter.audience))
        .group_by(Department.id, Department.name).order_by(Department.name)).all()
    return [{"id": did, "name": name, "total": total, "signed": int(done or 0), "unsigned": total - int(done or 0)}
            for did, name, total, done in rows]


def signature_counts(version_ids: list[int]) -> dict[int, int]:
    """Signatures per version, in one query."""
    if not version_ids:
        return {}
    return dict(db.session.execute(sa.select(Signature.version_id, sa.func.count(Signature.id))
                                   .where(Signature.version_id.in_(version_ids))
                                   .group_by(Signature.version_id)).all())


# --- books -----------------------------------------------------------------------------------------

def create_book(actor: User, title: str, author: str = "", publisher: str = "", description: str = "") -> Book:
    """Add a title to the integrity-books catalogue."""
    book = Book(title=title.strip(), author=author.strip(), publisher=publisher.strip(),
                description=description.strip())
    db.session.add(book)
    db.session.flush()
    audit.record(actor, "integrity.book_added", book, after={"title": book.title})
    return book


def present_book(actor: User, book: Book, usernames: list[str], presented_on: date,
                 occasion: str) -> tuple[list[BookPresentation], list[str]]:
    """Record that the book was given to each person on an occasion; returns (presentations, unknown numbers)."""
    wanted = list(dict.fromkeys(name.strip() for name in usernames if name.strip()))
    users = {u.username: u for u in db.session.execute(sa.select(User).where(User.username.in_(wanted))).scalars()}
    made = []
    for name in wanted:
        if name in users:
            made.append(BookPresentation(book=book, recipient=users[name], presented_on=presented_on,
                                         occasion=occasion.strip(), presented_by_id=actor.id))
    db.session.add_all(made)
    db.session.flush()
    if made:
        audit.record(actor, "integrity.book_presented", book, after={"to": [p.recipient.username for p in made]})
    return made, [name for name in wanted if name not in users]


def write_reflection(actor: User, presentation: BookPresentation, body: str) -> None:
    """The recipient writes a short reading reflection, once."""
    if actor.id != presentation.recipient_id:
        raise IntegrityError(_("Only the person who received the book writes its reflection."))
    if presentation.reflection_at is not None:
        raise IntegrityError(_("You have written your reflection already."))
    presentation.reflection, presentation.reflection_at = body.strip(), utcnow()
    audit.record(actor, "integrity.reflection", presentation)
    db.session.flush()


# --- contract for other features (appraisal) --------------------------------------------------------

def signed_current_letters(user_ids) -> dict[int, bool]:
    """True when the user has signed every current letter version whose audience includes them (3 queries)."""
    ids = list(user_ids)
    if not ids:
        return {}
    categories = dict(db.session.execute(sa.select(User.id, User.staff_category).where(User.id.in_(ids))).all())
    versions = db.session.execute(
        sa.select(LetterVersion.id, Letter.audience).join(Letter, LetterVersion.letter_id == Letter.id)
        .where(LetterVersion.is_current.is_(True))).all()
    signed: set[tuple[int, int]] = set()
    if versions:
        signed = set(db.session.execute(sa.select(Signature.user_id, Signature.version_id).where(
            Signature.user_id.in_(ids), Signature.version_id.in_([vid for vid, _a in versions]))).all())
    result = {}
    for user_id in ids:
        category = categories.get(user_id)
        needed = [vid for vid, audience in versions
                  if category is not None and (audience == Audience.all or audience.value == category.value)]
        result[user_id] = all((user_id, vid) in signed for vid in needed)
    return result
