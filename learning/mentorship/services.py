"""Rules of the Blue and Green Project: pairings, talks, cadence, evaluations and sharing events.

Every operation takes the acting user explicitly and only flushes; the view or CLI commits.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from .. import audit
from ..audit import utcnow
from ..extensions import db
from ..people.models import User
from .models import Pairing, PairingStatus, PrivateNote, SharingAttendance, SharingEvent, Talk, TalkKind


class MentorshipError(ValueError):
    """A rule of the programme refused the operation; the message is for the user."""


def _today() -> date:
    return utcnow().date()


def max_apprentices() -> int:
    """How many active apprentices one mentor may have (setting ``MENTORSHIP_MAX_APPRENTICES``)."""
    return int(current_app.config.get("MENTORSHIP_MAX_APPRENTICES", 3))


# --- pairings -------------------------------------------------------------------------------------

def active_count(mentor_id: int) -> int:
    """Active pairings of one mentor."""
    return db.session.execute(
        sa.select(sa.func.count(Pairing.id)).where(Pairing.mentor_id == mentor_id,
                                                   Pairing.status == PairingStatus.active)).scalar_one()


def create_pairing(actor: User | None, mentor: User, apprentice: User, term_start: date, term_end: date,
                   goals: str, cadence_days: int | None = None) -> Pairing:
    """Pair ``mentor`` with ``apprentice`` for a term, within the cap of apprentices per mentor."""
    if mentor.id == apprentice.id:
        raise MentorshipError(_("A mentor cannot be their own apprentice."))
    if not mentor.has_role("mentor"):
        raise MentorshipError(_("%(name)s does not hold the mentor role.", name=mentor.display_name))
    if term_end <= term_start:
        raise MentorshipError(_("The term must end after it starts."))
    if not goals.strip():
        raise MentorshipError(_("Write the goals of the pairing."))
    busy = db.session.execute(sa.select(sa.func.count(Pairing.id)).where(
        Pairing.apprentice_id == apprentice.id, Pairing.status == PairingStatus.active)).scalar_one()
    if busy:
        raise MentorshipError(_("%(name)s already has an active mentor.", name=apprentice.display_name))
    cap = max_apprentices()
    if active_count(mentor.id) >= cap:
        raise MentorshipError(_("%(name)s already mentors %(cap)d apprentices, the most allowed.",
                                name=mentor.display_name, cap=cap))
    cadence = cadence_days or int(current_app.config.get("MENTORSHIP_CADENCE_DAYS", 30))
    pairing = Pairing(mentor=mentor, apprentice=apprentice, term_start=term_start, term_end=term_end,
                      goals=goals.strip(), cadence_days=cadence,
                      next_talk_due_on=term_start + timedelta(days=cadence),
                      created_by_id=getattr(actor, "id", None))
    db.session.add(pairing)
    db.session.flush()
    audit.record(actor, "mentorship.paired", pairing,
                 after={"mentor": mentor.username, "apprentice": apprentice.username,
                        "term": [term_start.isoformat(), term_end.isoformat()]})
    return pairing


def sign_agreement(actor: User, pairing: Pairing) -> None:
    """The mentor or the apprentice signs the pairing's agreement (once each)."""
    now = utcnow()
    if actor.id == pairing.mentor_id and pairing.mentor_signed_at is None:
        pairing.mentor_signed_at = now
    elif actor.id == pairing.apprentice_id and pairing.apprentice_signed_at is None:
        pairing.apprentice_signed_at = now
    else:
        raise MentorshipError(_("You have already signed this agreement."))
    audit.record(actor, "mentorship.agreement_signed", pairing)
    db.session.flush()


def log_talk(actor: User, pairing: Pairing, held_on: date, minutes: int, kind: TalkKind, topics: str,
             summary: str, private_note: str | None = None) -> Talk:
    """The mentor logs a session; the cadence clock restarts from its date."""
    if actor.id != pairing.mentor_id:
        raise MentorshipError(_("Only the mentor of this pairing logs its talks."))
    if not pairing.is_active:
        raise MentorshipError(_("This pairing is closed."))
    if not pairing.is_agreement_signed:
        raise MentorshipError(_("Both mentor and apprentice must sign the agreement first."))
    if held_on > _today():
        raise MentorshipError(_("A talk cannot be logged before it happens."))
    if held_on < pairing.term_start:
        raise MentorshipError(_("The talk falls before the term starts."))
    talk = Talk(pairing=pairing, held_on=held_on, minutes=minutes, kind=kind, topics=topics.strip(),
                summary=summary.strip())
    db.session.add(talk)
    if pairing.last_talk_on is None or held_on > pairing.last_talk_on:
        pairing.last_talk_on = held_on
        pairing.next_talk_due_on = held_on + timedelta(days=pairing.cadence_days)
    db.session.flush()
    if private_note and private_note.strip():
        add_private_note(actor, talk, private_note)
    audit.record(actor, "mentorship.talk_logged", talk, after={"pairing": pairing.id, "on": held_on.isoformat()})
    return talk


def add_private_note(actor: User, talk: Talk, body: str) -> PrivateNote:
    """A note on a talk that only its author (the mentor) will ever read; its text is never audited."""
    if actor.id != talk.pairing.mentor_id:
        raise MentorshipError(_("Only the mentor of this pairing keeps private notes on it."))
    note = PrivateNote(talk=talk, author_id=actor.id, body=body.strip())
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "mentorship.note_added", note)
    return note


def confirm_talk(actor: User, talk: Talk) -> None:
    """The apprentice confirms the shared summary of a talk."""
    if actor.id != talk.pairing.apprentice_id:
        raise MentorshipError(_("Only the apprentice confirms a talk."))
    if talk.confirmed_at is not None:
        raise MentorshipError(_("This talk is confirmed already."))
    talk.confirmed_at = utcnow()
    audit.record(actor, "mentorship.talk_confirmed", talk)
    db.session.flush()


def evaluate(actor: User, pairing: Pairing, rating: int, comments: str) -> None:
    """End of term: the mentor rates the apprentice against the goals, or the apprentice the mentorship.

    Each side evaluates once; a finalised evaluation is not changed afterwards.
    """
    if not 1 <= rating <= 5:
        raise MentorshipError(_("The rating runs from 1 to 5."))
    now = utcnow()
    if actor.id == pairing.mentor_id:
        if pairing.mentor_evaluated_at is not None:
            raise MentorshipError(_("You have already evaluated this term."))
        pairing.mentor_rating, pairing.mentor_evaluation, pairing.mentor_evaluated_at = rating, comments.strip(), now
    elif actor.id == pairing.apprentice_id:
        if pairing.apprentice_evaluated_at is not None:
            raise MentorshipError(_("You have already evaluated this term."))
        pairing.apprentice_rating, pairing.apprentice_evaluation = rating, comments.strip()
        pairing.apprentice_evaluated_at = now
    else:
        raise MentorshipError(_("Only the mentor and the apprentice evaluate the term."))
    audit.record(actor, "mentorship.evaluated", pairing, after={"rating": rating})
    db.session.flush()


def close_pairing(actor: User, pairing: Pairing, status: PairingStatus, reason: str = "") -> None:
    """The programme owner closes a pairing: completed (after the mentor's evaluation) or ended early."""
    if not pairing.is_active:
        raise MentorshipError(_("This pairing is closed already."))
    if status == PairingStatus.completed and pairing.mentor_evaluated_at is None:
        raise MentorshipError(_("The mentor evaluates the apprentice before the pairing is completed."))
    if status == PairingStatus.ended_early and not reason.strip():
        raise MentorshipError(_("Give the reason for ending the pairing early."))
    if status == PairingStatus.active:
        raise MentorshipError(_("Choose how the pairing ends."))
    before = {"status": pairing.status.value}
    pairing.status, pairing.end_reason = status, reason.strip() or None
    pairing.closed_at, pairing.closed_by_id = utcnow(), actor.id
    audit.record(actor, "mentorship.closed", pairing, before=before,
                 after={"status": status.value, "reason": pairing.end_reason})
    db.session.flush()


# --- queries ---------------------------------------------------------------------------------------

def _with_people(query):
    return query.options(joinedload(Pairing.mentor), joinedload(Pairing.apprentice))


def pairing_with_people(pairing_id: int) -> Pairing | None:
    """A pairing with its mentor and apprentice in one query (their roles only if something asks), or None.

    The pairing page shows both people; loading them with the pairing saves a query for each.
    """
    query = sa.select(Pairing).where(Pairing.id == pairing_id).options(
        joinedload(Pairing.mentor).lazyload(User.roles), joinedload(Pairing.apprentice).lazyload(User.roles))
    return db.session.execute(query).unique().scalar_one_or_none()


def pairings_of(user_id: int):
    """Pairings where the user is mentor or apprentice, newest first (a select to paginate)."""
    return _with_people(sa.select(Pairing).where(
        sa.or_(Pairing.mentor_id == user_id, Pairing.apprentice_id == user_id))
        .order_by(Pairing.status, Pairing.term_start.desc(), Pairing.id.desc()))


def all_pairings(status: str | None = None, today: date | None = None):
    """All pairings for the programme owner; ``status`` may be a status or ``overdue``."""
    query = sa.select(Pairing)
    if status == "overdue":
        query = query.where(Pairing.status == PairingStatus.active,
                            Pairing.next_talk_due_on < (today or _today()))
    elif status in PairingStatus.__members__:
        query = query.where(Pairing.status == PairingStatus(status))
    return _with_people(query.order_by(Pairing.next_talk_due_on, Pairing.id))


def overdue_pairings(mentor_id: int | None = None, today: date | None = None, limit: int = 10) -> list[Pairing]:
    """Active pairings behind their cadence (of one mentor, when given), most overdue first."""
    query = all_pairings("overdue", today)
    if mentor_id is not None:
        query = query.where(Pairing.mentor_id == mentor_id)
    return list(db.session.execute(query.limit(limit)).scalars().unique())


def talks_of(pairing_id: int):
    """The talks of a pairing, newest first (a select to paginate)."""
    return sa.select(Talk).where(Talk.pairing_id == pairing_id).order_by(Talk.held_on.desc(), Talk.id.desc())


def notes_by_talk(talk_ids: list[int], author_id: int | None) -> dict[int, list[int]]:
    """Ids of private notes per talk; with ``author_id`` only that author's (for the mentor's links)."""
    if not talk_ids:
        return {}
    query = sa.select(PrivateNote.talk_id, PrivateNote.id).where(PrivateNote.talk_id.in_(talk_ids))
    if author_id is not None:
        query = query.where(PrivateNote.author_id == author_id)
    result: dict[int, list[int]] = {}
    for talk_id, note_id in db.session.execute(query.order_by(PrivateNote.id)):
        result.setdefault(talk_id, []).append(note_id)
    return result


def talk_stats(pairing_ids: list[int], start: date | None = None, end: date | None = None) -> dict[int, dict]:
    """Per pairing: talks logged, confirmed and minutes (within the period, when given), in one query."""
    if not pairing_ids:
        return {}
    query = sa.select(Talk.pairing_id, sa.func.count(Talk.id), sa.func.count(Talk.confirmed_at),
                      sa.func.coalesce(sa.func.sum(Talk.minutes), 0)).where(Talk.pairing_id.in_(pairing_ids))
    if start is not None:
        query = query.where(Talk.held_on >= start)
    if end is not None:
        query = query.where(Talk.held_on <= end)
    rows = db.session.execute(query.group_by(Talk.pairing_id)).all()
    stats = {pid: {"talks": 0, "confirmed": 0, "minutes": 0} for pid in pairing_ids}
    for pid, talks, confirmed, minutes in rows:
        stats[pid] = {"talks": talks, "confirmed": confirmed, "minutes": int(minutes)}
    return stats


def expected_talks(pairing: Pairing, start: date, end: date) -> int:
    """Talks the cadence asks for in the part of the term that falls in ``start``–``end``."""
    first, last = max(start, pairing.term_start), min(end, pairing.term_end, _today())
    if last < first:
        return 0
    return ((last - first).days + 1) // pairing.cadence_days


@dataclass
class ReportRow:
    """One pairing in the term report."""

    pairing: Pairing
    talks: int
    confirmed: int
    expected: int

    @property
    def cadence_kept(self) -> bool:
        """Whether the talks logged reach what the cadence expects."""
        return self.talks >= self.expected


def term_report_query(start: date, end: date):
    """Pairings whose term overlaps the period (a select to paginate)."""
    return _with_people(sa.select(Pairing).where(Pairing.term_start <= end, Pairing.term_end >= start)
                        .order_by(Pairing.term_start, Pairing.id))


def term_report_rows(pairings: list[Pairing], start: date, end: date) -> list[ReportRow]:
    """Report rows for the given pairings (one query for all their talk counts)."""
    stats = talk_stats([p.id for p in pairings], start, end)
    return [ReportRow(p, stats[p.id]["talks"], stats[p.id]["confirmed"], expected_talks(p, start, end))
            for p in pairings]


def term_report_summary(start: date, end: date) -> dict:
    """Totals for the period: pairings by status, talks logged, mean ratings (aggregated in SQL)."""
    overlap = sa.and_(Pairing.term_start <= end, Pairing.term_end >= start)
    by_status = dict(db.session.execute(
        sa.select(Pairing.status, sa.func.count(Pairing.id)).where(overlap).group_by(Pairing.status)).all())
    talks, ratings = db.session.execute(sa.select(
        sa.select(sa.func.count(Talk.id)).join(Pairing, Talk.pairing_id == Pairing.id)
        .where(overlap, Talk.held_on >= start, Talk.held_on <= end).scalar_subquery(),
        sa.select(sa.func.avg(Pairing.mentor_rating)).where(overlap).scalar_subquery(),
    )).one()
    apprentice_mean = db.session.execute(
        sa.select(sa.func.avg(Pairing.apprentice_rating)).where(overlap)).scalar_one()
    return {"by_status": {status.value: by_status.get(status, 0) for status in PairingStatus},
            "total": sum(by_status.values()), "talks": talks,
            "mentor_rating": ratings, "apprentice_rating": apprentice_mean}


# --- the apprentice's record from other features -----------------------------------------------------

def _provider(module: str):
    """The module ``learning.<module>`` when its feature is installed, else None."""
    package = module.split(".")[0]
    if importlib.util.find_spec(f"learning.{package}") is None:
        return None
    return importlib.import_module(f"learning.{module}")


def apprentice_record(user_id: int) -> dict[str, list[dict]]:
    """Course progress, test results and case-review grades of a person, each only when its feature exists.

    Each part comes from its feature's contract function (a fixed number of queries each):
    ``course_progress_for`` (title, done, total, completed_at), ``results_for`` (test_title, score_percent,
    passed — None while a grader is still due —, finished_at) and ``officer_record`` (case_number, month,
    score, grade); review rows also get ``grade_label``, the grade in the reader's language.
    """
    record: dict[str, list[dict]] = {}
    courses = _provider("courses.services")
    if courses is not None:
        record["courses"] = courses.course_progress_for(user_id)
    quizzes = _provider("quizzes.results")
    if quizzes is not None:
        record["tests"] = quizzes.results_for(user_id, limit=10)
    reviews = _provider("reviews.services")
    if reviews is not None:
        labels = getattr(_provider("reviews.models"), "GRADE_LABELS", {})
        record["reviews"] = [{**row, "grade_label": labels.get(row.get("grade"), row.get("grade"))}
                             for row in reviews.officer_record(user_id, limit=10)]
    return record


# --- experience sharing ------------------------------------------------------------------------------

def create_sharing_event(actor: User, speaker: User, topic: str, held_on: date, place: str = "",
                         hours: float = 1.0, summary: str = "") -> SharingEvent:
    """Record an experience-sharing event."""
    if hours < 0 or hours > 24:
        raise MentorshipError(_("Credit hours run from 0 to 24."))
    sharing = SharingEvent(speaker=speaker, topic=topic.strip(), held_on=held_on, place=place.strip(),
                           hours=hours, summary=summary.strip(), created_by_id=actor.id)
    db.session.add(sharing)
    db.session.flush()
    audit.record(actor, "mentorship.sharing_created", sharing, after={"topic": sharing.topic})
    return sharing


@dataclass
class AttendanceReport:
    """What recording attendance did, per employee number given."""

    added: list[str]
    already: list[str]
    unknown: list[str]
    credited: int


def record_attendance(actor: User, sharing: SharingEvent, usernames: list[str]) -> AttendanceReport:
    """Record who attended; attendance credits training hours when the courses feature exists."""
    wanted = [name.strip() for name in usernames if name.strip()]
    users = {user.username: user for user in db.session.execute(
        sa.select(User).where(User.username.in_(wanted))).scalars()}
    present = set(db.session.execute(sa.select(SharingAttendance.user_id)
                                     .where(SharingAttendance.event_id == sharing.id)).scalars())
    report = AttendanceReport([], [], [], 0)
    courses = _provider("courses.services")
    for name in dict.fromkeys(wanted):
        user = users.get(name)
        if user is None:
            report.unknown.append(name)
        elif user.id in present:
            report.already.append(name)
        else:
            db.session.add(SharingAttendance(event_id=sharing.id, user_id=user.id))
            present.add(user.id)
            report.added.append(name)
            if courses is not None and sharing.hours > 0:
                courses.credit_hours(user, sharing.hours, "sharing_event", sharing.id,
                                     sharing.topic, sharing.held_on)
                report.credited += 1
    if report.added:
        audit.record(actor, "mentorship.attendance", sharing, after={"added": report.added})
    db.session.flush()
    return report


def attendance_counts(event_ids: list[int]) -> dict[int, int]:
    """Attendees per event, in one query."""
    if not event_ids:
        return {}
    return dict(db.session.execute(
        sa.select(SharingAttendance.event_id, sa.func.count(SharingAttendance.user_id))
        .where(SharingAttendance.event_id.in_(event_ids)).group_by(SharingAttendance.event_id)).all())


# --- contracts for other features (appraisal) -------------------------------------------------------

def mentorship_activity(user_ids, start: date, end: date) -> dict[int, int]:
    """Talks held in the period in which each user was the mentor or the apprentice (2 queries)."""
    ids = list(user_ids)
    result = dict.fromkeys(ids, 0)
    if not ids:
        return result
    in_period = sa.and_(Talk.held_on >= start, Talk.held_on <= end)
    for column in (Pairing.mentor_id, Pairing.apprentice_id):
        rows = db.session.execute(
            sa.select(column, sa.func.count(Talk.id)).join(Pairing, Talk.pairing_id == Pairing.id)
            .where(column.in_(ids), in_period).group_by(column)).all()
        for user_id, count in rows:
            result[user_id] += count
    return result


def sharing_talks_given(user_ids, start: date, end: date) -> dict[int, int]:
    """Experience-sharing events in the period at which each user was the speaker (1 query)."""
    ids = list(user_ids)
    result = dict.fromkeys(ids, 0)
    if not ids:
        return result
    rows = db.session.execute(
        sa.select(SharingEvent.speaker_id, sa.func.count(SharingEvent.id))
        .where(SharingEvent.speaker_id.in_(ids), SharingEvent.held_on >= start, SharingEvent.held_on <= end)
        .group_by(SharingEvent.speaker_id)).all()
    result.update(dict(rows))
    return result
