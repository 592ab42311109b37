"""The rules of the programme: pairings, the cap, talks, cadence, evaluations, reports and contracts."""

from __future__ import annotations

import importlib.util
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning.audit import AuditEvent, utcnow
from learning.courses import services as courses
from learning.courses.models import Course, Enrolment, LedgerEntry
from learning.extensions import db
from learning.mentorship import services
from learning.mentorship.models import Pairing, PairingStatus, TalkKind
from learning.mentorship.services import MentorshipError
from learning.people.models import User
from learning.quizzes.models import Attempt, AttemptStatus
from learning.reviews.models import CaseFile, CaseHandler, CycleStatus, FileStatus, ReviewCycle, SampledFile

from ..conftest import make_user
from .conftest import make_pairing

TODAY = utcnow().date()


def _talk(pairing, days_ago: int, note: str | None = None):
    return services.log_talk(pairing.mentor, pairing, TODAY - timedelta(days=days_ago), 45,
                             TalkKind.heart_to_heart, "settling in", "We talked about the first month.", note)


def test_a_mentor_cannot_take_more_apprentices_than_the_cap(app, people):
    """The cap (default 3) refuses the fourth active apprentice, with the mentor's name in the message."""
    for n in range(3):
        make_pairing(people["owner"], people["mentor"], make_user(f"x{n}"))
    with pytest.raises(MentorshipError, match="the most allowed"):
        make_pairing(people["owner"], people["mentor"], people["apprentice"])
    app.config["MENTORSHIP_MAX_APPRENTICES"] = 4
    assert make_pairing(people["owner"], people["mentor"], people["apprentice"]).is_active


def test_closed_pairings_do_not_count_against_the_cap(app, people):
    """An apprentice who ended early frees a place with the mentor."""
    app.config["MENTORSHIP_MAX_APPRENTICES"] = 1
    first = make_pairing(people["owner"], people["mentor"], people["learner"])
    services.close_pairing(people["owner"], first, PairingStatus.ended_early, "moved to another squad")
    assert make_pairing(people["owner"], people["mentor"], people["apprentice"]).is_active


@pytest.mark.parametrize("case", ["self", "not a mentor", "already paired", "term backwards"])
def test_pairing_rules(people, case):
    """No self-pairing, the mentor must hold the mentor role, one active mentor per apprentice, a sane term."""
    owner, mentor, apprentice = people["owner"], people["mentor"], people["apprentice"]
    start = TODAY
    if case == "self":
        args = (mentor, mentor, start, start + timedelta(days=90))
    elif case == "not a mentor":
        args = (people["learner"], apprentice, start, start + timedelta(days=90))
    elif case == "already paired":
        make_pairing(owner, people["mentor2"], apprentice)
        args = (mentor, apprentice, start, start + timedelta(days=90))
    else:
        args = (mentor, apprentice, start, start - timedelta(days=1))
    with pytest.raises(MentorshipError):
        services.create_pairing(owner, *args, "goals")


def test_talks_wait_for_both_signatures_of_the_agreement(people):
    """Until mentor and apprentice have both signed, no talk can be logged."""
    pairing = make_pairing(people["owner"], people["mentor"], people["apprentice"], signed=False)
    services.sign_agreement(people["mentor"], pairing)
    with pytest.raises(MentorshipError, match="sign the agreement"):
        _talk(pairing, 1)
    services.sign_agreement(people["apprentice"], pairing)
    assert _talk(pairing, 1).id
    with pytest.raises(MentorshipError):
        services.sign_agreement(people["apprentice"], pairing)


def test_only_the_mentor_logs_and_only_the_apprentice_confirms(pairing, people):
    """The apprentice cannot log; the mentor cannot confirm; a talk is confirmed once."""
    with pytest.raises(MentorshipError):
        services.log_talk(people["apprentice"], pairing, TODAY, 30, TalkKind.coaching, "t", "s")
    talk = _talk(pairing, 2)
    with pytest.raises(MentorshipError):
        services.confirm_talk(people["mentor"], talk)
    services.confirm_talk(people["apprentice"], talk)
    assert talk.confirmed_at is not None
    with pytest.raises(MentorshipError, match="already"):
        services.confirm_talk(people["apprentice"], talk)


def test_a_talk_in_the_future_is_refused(pairing):
    """A session is logged after it happened."""
    with pytest.raises(MentorshipError):
        services.log_talk(pairing.mentor, pairing, TODAY + timedelta(days=1), 30, TalkKind.coaching, "t", "s")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(last_talk_ago=st.integers(min_value=0, max_value=59), cadence=st.integers(min_value=7, max_value=90))
def test_overdue_means_the_next_talk_is_past_its_due_date(app, last_talk_ago, cadence):
    """For any last talk and cadence, a pairing is overdue exactly when last talk + cadence < today."""
    with app.test_request_context():
        owner = make_user("o", roles=["hr"])
        pairing = make_pairing(owner, make_user("m", roles=["mentor"]), make_user("a"), cadence=cadence)
        _talk(pairing, last_talk_ago)
        expected = TODAY - timedelta(days=last_talk_ago) + timedelta(days=cadence) < TODAY
        assert pairing.is_overdue(TODAY) is expected
        assert (pairing in services.overdue_pairings(today=TODAY)) is expected
        db.session.rollback()  # each example starts from an empty database


def test_a_pairing_without_talks_is_overdue_one_cadence_after_the_term_starts(people):
    """With no talk at all, the first one is due one cadence after the start."""
    pairing = make_pairing(people["owner"], people["mentor"], people["apprentice"])  # started 60 days ago
    assert pairing.next_talk_due_on == pairing.term_start + timedelta(days=30)
    assert services.overdue_pairings(mentor_id=people["mentor"].id) == [pairing]
    assert services.overdue_pairings(mentor_id=people["mentor2"].id) == []


def test_an_older_talk_logged_late_does_not_move_the_due_date_back(pairing):
    """The due date follows the newest talk, whatever order talks are logged in."""
    _talk(pairing, 3)
    _talk(pairing, 20)
    assert pairing.last_talk_on == TODAY - timedelta(days=3)
    assert pairing.next_talk_due_on == TODAY + timedelta(days=27)


def test_private_note_text_never_reaches_the_audit_log(pairing):
    """The audit log records that a note was added, never what it says."""
    _talk(pairing, 1, note="SECRET-NOTE-TEXT")
    rows = db.session.execute(sa.select(AuditEvent.before, AuditEvent.after, AuditEvent.detail)).all()
    assert all("SECRET-NOTE-TEXT" not in str(row) for row in rows)
    actions = db.session.execute(sa.select(AuditEvent.action)).scalars().all()
    assert "mentorship.note_added" in actions


def test_end_of_term_evaluations_once_each_then_the_owner_closes(pairing, people):
    """Both sides evaluate once; completing needs the mentor's evaluation; ending early needs a reason."""
    with pytest.raises(MentorshipError, match="evaluates the apprentice"):
        services.close_pairing(people["owner"], pairing, PairingStatus.completed)
    services.evaluate(people["mentor"], pairing, 4, "Met goals 1 and 2.")
    services.evaluate(people["apprentice"], pairing, 5, "Patient and clear.")
    with pytest.raises(MentorshipError):
        services.evaluate(people["mentor"], pairing, 2, "changed my mind")
    with pytest.raises(MentorshipError):
        services.evaluate(people["learner"], pairing, 3, "not mine")
    with pytest.raises(MentorshipError, match="reason"):
        services.close_pairing(people["owner"], pairing, PairingStatus.ended_early, " ")
    services.close_pairing(people["owner"], pairing, PairingStatus.completed)
    assert pairing.status == PairingStatus.completed and pairing.mentor_rating == 4
    with pytest.raises(MentorshipError, match="closed"):
        _talk(pairing, 0)


def test_term_report_counts_talks_and_cadence(pairing, people):
    """Two talks in a 60-day term with a 30-day cadence keeps the cadence; one does not."""
    _talk(pairing, 50)
    start, end = TODAY - timedelta(days=365), TODAY
    rows = services.term_report_rows([pairing], start, end)
    assert (rows[0].talks, rows[0].expected, rows[0].cadence_kept) == (1, 2, False)
    _talk(pairing, 10)
    rows = services.term_report_rows([pairing], start, end)
    assert (rows[0].talks, rows[0].cadence_kept) == (2, True)
    summary = services.term_report_summary(start, end)
    assert summary["total"] == 1 and summary["talks"] == 2 and summary["by_status"]["active"] == 1


def test_mentorship_activity_counts_talks_as_mentor_or_apprentice_in_the_period(pairing, people):
    """Both sides of a talk are counted; talks outside the period and unknown people give 0."""
    _talk(pairing, 5)
    _talk(pairing, 40)
    ids = [people["mentor"].id, people["apprentice"].id, people["learner"].id, 99999]
    recent = services.mentorship_activity(ids, TODAY - timedelta(days=10), TODAY)
    assert recent == dict(zip(ids, [1, 1, 0, 0], strict=True))
    assert services.mentorship_activity(ids, TODAY - timedelta(days=60), TODAY)[people["mentor"].id] == 2
    assert services.mentorship_activity([], TODAY, TODAY) == {}


def test_sharing_talks_given_counts_events_where_the_user_spoke(people):
    """Only the speaker is counted, only in the period."""
    owner, mentor = people["owner"], people["mentor"]
    services.create_sharing_event(owner, mentor, "Quick handling", TODAY - timedelta(days=3))
    services.create_sharing_event(owner, mentor, "Old one", date(2000, 1, 1))
    result = services.sharing_talks_given([mentor.id, owner.id], TODAY - timedelta(days=30), TODAY)
    assert result == {mentor.id: 1, owner.id: 0}


def test_attendance_reports_unknown_and_repeated_numbers(people):
    """Each employee number is added (and credited) once; unknown and repeated numbers come back."""
    event = services.create_sharing_event(people["owner"], people["mentor"], "Topic", TODAY)
    report = services.record_attendance(people["owner"], event, ["ap1", "l1", "nobody", "ap1"])
    assert (report.added, report.unknown, report.credited) == (["ap1", "l1"], ["nobody"], 2)
    again = services.record_attendance(people["owner"], event, ["ap1"])
    assert (again.added, again.already, again.credited) == ([], ["ap1"], 0)
    assert services.attendance_counts([event.id]) == {event.id: 2}


def test_attendance_shows_up_once_in_the_hours_ledger(people):
    """Attending credits the event's hours once, on its date, however often the list is sent again."""
    apprentice, learner = people["apprentice"], people["learner"]
    event = services.create_sharing_event(people["owner"], people["mentor"], "Quick handling",
                                          TODAY - timedelta(days=2), hours=1.5)
    services.record_attendance(people["owner"], event, ["ap1", "ap1"])
    services.record_attendance(people["owner"], event, ["ap1", "l1"])
    entries = db.session.execute(sa.select(LedgerEntry).where(LedgerEntry.user_id == apprentice.id)).scalars().all()
    assert [(e.hours, e.source_type, e.source_id, e.description, e.earned_on) for e in entries] == [
        (1.5, "sharing_event", str(event.id), "Quick handling", event.held_on)]
    ids = [apprentice.id, learner.id, people["mentor"].id]
    assert courses.training_hours(ids, TODAY - timedelta(days=30), TODAY) == dict(zip(ids, [1.5, 1.5, 0.0],
                                                                                        strict=True))


def test_an_event_without_hours_credits_nothing(people):
    """A sharing event worth 0 hours records attendance but leaves the ledger alone."""
    event = services.create_sharing_event(people["owner"], people["mentor"], "Coffee", TODAY, hours=0)
    report = services.record_attendance(people["owner"], event, ["ap1"])
    assert (report.added, report.credited) == (["ap1"], 0)
    assert db.session.execute(sa.select(sa.func.count(LedgerEntry.id))).scalar_one() == 0


def test_without_the_courses_feature_attendance_credits_nothing(people, monkeypatch):
    """Installed without courses, mentorship still records attendance and credits no hours."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "learning.courses" else real(name, *a))
    event = services.create_sharing_event(people["owner"], people["mentor"], "Topic", TODAY)
    report = services.record_attendance(people["owner"], event, ["ap1"])
    assert (report.added, report.credited) == (["ap1"], 0)
    assert db.session.execute(sa.select(sa.func.count(LedgerEntry.id))).scalar_one() == 0


def test_apprentice_record_comes_from_the_installed_features(demo_app):
    """The demo apprentice's record holds their enrolled courses, finished tests and reviewed case files."""
    with demo_app.test_request_context():
        cadre = db.session.execute(sa.select(User).where(User.username == "cadre")).scalar_one()
        record = services.apprentice_record(cadre.id)
        enrolled = set(db.session.execute(sa.select(Course.title).join(Enrolment, Enrolment.course_id == Course.id)
                                          .where(Enrolment.user_id == cadre.id)).scalars())
        assert enrolled and {c["title"] for c in record["courses"]} == enrolled
        assert all(0 <= c["done"] <= c["total"] for c in record["courses"])
        percents = set(db.session.execute(sa.select(Attempt.percent).where(
            Attempt.user_id == cadre.id, Attempt.status == AttemptStatus.graded)).scalars())
        assert percents and {t["score_percent"] for t in record["tests"]} == percents
        handled = set(db.session.execute(
            sa.select(CaseFile.case_number).join(CaseHandler, CaseHandler.case_id == CaseFile.id)
            .join(SampledFile, SampledFile.case_id == CaseFile.id)
            .join(ReviewCycle, ReviewCycle.id == SampledFile.cycle_id)
            .where(CaseHandler.user_id == cadre.id, ReviewCycle.status == CycleStatus.published,
                   SampledFile.status == FileStatus.final)).scalars())
        assert handled and {r["case_number"] for r in record["reviews"]} == handled
        assert {str(r["grade_label"]) for r in record["reviews"]} <= {"Excellent", "Good", "Qualified", "Unqualified"}


def test_apprentice_record_and_hours_come_from_the_other_features_when_present(pairing, people, stand_in_features):
    """With the features present, their contract functions fill the record and attendance credits hours."""
    record = services.apprentice_record(pairing.apprentice_id)
    assert record["courses"][0]["title"] == "Simple procedure"
    assert record["tests"][0]["score_percent"] == 85.0
    assert record["reviews"][0]["grade"] == "excellent"
    event = services.create_sharing_event(people["owner"], people["mentor"], "Topic", TODAY, hours=1.5)
    report = services.record_attendance(people["owner"], event, ["ap1"])
    assert report.credited == 1
    user, hours, source_type, source_id = stand_in_features[0][:4]
    assert (user.username, hours, source_type, source_id) == ("ap1", 1.5, "sharing_event", event.id)


def test_demo_has_two_active_pairings_one_behind_its_cadence(demo_app):
    """The demo shows the cadence at work."""
    with demo_app.app_context():
        active = db.session.execute(sa.select(Pairing).where(Pairing.status == PairingStatus.active)).scalars().all()
        assert len(active) == 2
        overdue = services.overdue_pairings()
        assert [p.mentor.username for p in overdue] == ["mentor2"]
