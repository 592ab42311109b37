"""Rules of courses: completion and hours, assignments, classes and check-in, and the contracts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from learning import signals
from learning.audit import utcnow
from learning.courses import services
from learning.courses.models import Attendance, Audience, Certificate, Enrolment, LedgerEntry
from learning.extensions import db
from tests.conftest import make_department, make_user

from .conftest import write_course

START = datetime(2026, 6, 6, 1, 0)  # a Saturday, 09:00 in Beijing


def _finish(user, slug):
    course = services.find_course(slug)
    certificate = None
    for lesson in services.active_lessons(course):
        _enrolment, issued = services.mark_lesson_done(user, lesson)
        certificate = certificate or issued
    return certificate


def _class(instructor, capacity=10, audience=Audience.all, starts_at=START, hours=0):
    return services.create_session(
        instructor, title="周末课堂", description="", course_id=None, starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2), place="Room 1", instructor_id=instructor.id,
        capacity=capacity, audience=audience, credit_hours=hours)


def _ledger(user):
    return db.session.execute(sa.select(LedgerEntry).where(LedgerEntry.user_id == user.id)).scalars().all()


# --- completion, hours and certificates -----------------------------------------------------------

def test_completing_every_lesson_credits_hours_and_issues_a_certificate(synced):
    """The last lesson done completes the course: hours in the ledger and a certificate with a code."""
    user = make_user("c1")
    course = services.find_course("basics-zh")
    lessons = services.active_lessons(course)
    for lesson in lessons[:-1]:
        assert services.mark_lesson_done(user, lesson)[1] is None
    enrolment, certificate = services.mark_lesson_done(user, lessons[-1])
    assert enrolment.completed_at is not None
    assert certificate.code.startswith("QL-") and certificate.hours == 2
    assert certificate.holder_name == user.display_name
    assert [(e.source_type, e.source_id, e.hours) for e in _ledger(user)] == [("course", "basics", 2.0)]
    assert services.mark_lesson_done(user, lessons[-1])[1] is None  # again: nothing new


def test_hours_are_credited_once_per_group(synced):
    """Completing the English version after the Chinese one gives a certificate but no second credit."""
    user = make_user("c1")
    _finish(user, "basics-zh")
    second = _finish(user, "basics-en")
    assert second is not None
    assert len(_ledger(user)) == 1
    assert services.training_hours([user.id], date(2000, 1, 1), date(2100, 1, 1))[user.id] == 2.0


def test_linked_test_must_be_passed_and_the_signal_completes_the_course(app, content):
    """With ``test:`` the lessons alone do not complete; the quizzes' test_passed signal does."""
    write_course(content, "tested-zh", test="tested-quiz-zh", group="tested")
    with app.test_request_context():
        from learning.courses.loader import sync_courses

        sync_courses(content)
        user = make_user("c1")
        assert _finish(user, "tested-zh") is None
        signals.test_passed.send(user, test_slug="tested-quiz-zh", attempt_id=7)
        enrolment = db.session.execute(sa.select(Enrolment)).scalar_one()
        assert enrolment.completed_at is not None and enrolment.test_passed_at is not None
        assert db.session.execute(sa.select(sa.func.count(Certificate.id))).scalar_one() == 1


def test_test_passed_before_the_lessons_counts_when_they_are_done(app, content):
    """Passing the test first, then finishing the lessons, completes the course."""
    write_course(content, "tested-en", test="tested-quiz-en", group="tested")
    with app.test_request_context():
        from learning.courses.loader import sync_courses

        sync_courses(content)
        user = make_user("c1")
        signals.test_passed.send(user, test_slug="tested-quiz-en", attempt_id=1)
        assert _finish(user, "tested-en") is not None


def test_resume_is_the_first_lesson_not_done_after_the_last_one_finished(synced):
    """Resume goes past the lesson last marked done, wrapping to an earlier one still open."""
    user = make_user("c1")
    course = services.find_course("basics-zh")
    lessons = services.active_lessons(course)
    assert services.resume_lesson(lessons, set(), None) == lessons[0]
    enrolment, _ = services.mark_lesson_done(user, lessons[1])
    done = services.done_lesson_ids(user.id, course)
    assert services.resume_lesson(lessons, done, enrolment) == lessons[2]
    enrolment, _ = services.mark_lesson_done(user, lessons[2])
    assert services.resume_lesson(lessons, services.done_lesson_ids(user.id, course), enrolment) == lessons[0]


# --- catalog --------------------------------------------------------------------------------

def _catalog(user, language="zh", **filters):
    return [c.slug for c in db.session.execute(services.catalog_query(user, language, **filters)).scalars()]


def test_catalog_shows_the_users_language_first_and_hides_other_audiences(synced):
    """An auxiliary sees no cadre-only course; the interface language's version comes first."""
    auxiliary = make_user("a1", category="auxiliary")
    cadre = make_user("c1")
    assert _catalog(auxiliary, "en") == ["basics-en", "basics-zh"]
    assert _catalog(auxiliary, "zh")[0] == "basics-zh"
    assert "cadre-only-zh" in _catalog(cadre)
    assert _catalog(cadre, audience="cadre") == ["cadre-only-zh"]
    assert _catalog(cadre, category="integrity") == []


def test_assigned_courses_come_first_with_their_due_date(synced):
    """An assignment puts the course at the top of the learner's catalog."""
    hr = make_user("hr1", roles={"hr"})
    user = make_user("c1", preferred_language="en")
    services.assign_course(hr, "cadre-only-zh", [user], date(2026, 12, 1), "required")
    assert _catalog(user, "en")[0] == "cadre-only-zh"


# --- assignments -------------------------------------------------------------------------------

def test_assigning_a_group_gives_each_person_their_language_and_updates_due_dates(synced):
    """By group: English speakers get the English version; assigning again changes the due date only."""
    hr = make_user("hr1", roles={"hr"})
    squad = make_department("sq1")
    zh_user = make_user("c1", department=squad)
    en_user = make_user("c2", department=squad, preferred_language="en")
    people = services.users_in_scope(department_id=squad.id)
    assert services.assign_course(hr, "basics", people, date(2026, 12, 1), "yearly") == 2
    assigned = services.assignments_of(en_user.id, [services.find_course("basics-en").id])
    assert assigned and services.assignments_of(zh_user.id, [services.find_course("basics-zh").id])
    assert services.assign_course(hr, "basics", people, date(2026, 12, 1), "yearly") == 0
    assert services.assign_course(hr, "basics", people, date(2026, 12, 20), "yearly") == 2
    with pytest.raises(services.CourseError):
        services.assign_course(hr, "no-such-course", people, date(2026, 12, 1), "")


def test_overdue_lists_people_past_due_who_have_not_completed(synced):
    """Overdue: past the due date and no version of the course completed; filtered by department."""
    hr = make_user("hr1", roles={"hr"})
    squad, other = make_department("sq1"), make_department("sq2")
    late, done = make_user("c1", department=squad), make_user("c2", department=squad)
    elsewhere = make_user("c3", department=other)
    services.assign_course(hr, "basics-zh", [late, done, elsewhere], date(2026, 1, 10), "")
    _finish(done, "basics-en")  # the other language counts
    today = date(2026, 2, 1)
    overdue = db.session.execute(services.overdue_query(today)).scalars().all()
    assert sorted(a.user.username for a in overdue) == ["c1", "c3"]
    assert [a.user.username for a in db.session.execute(services.overdue_query(today, squad.id)).scalars()] == ["c1"]
    assert db.session.execute(services.overdue_query(date(2026, 1, 5))).scalars().all() == []


# --- classes, check-in and attendance ---------------------------------------------------------

def test_capacity_puts_late_registrants_on_the_waiting_list_and_a_withdrawal_frees_a_seat(ctx):
    """Two seats: the third registrant waits and moves up when someone withdraws."""
    instructor = make_user("t1", roles={"instructor"})
    session = _class(instructor, capacity=2)
    before = START - timedelta(days=1)
    people = [make_user(f"c{i}") for i in range(3)]
    registrations = [services.register(p, session, now=before) for p in people]
    assert [r.is_waitlisted for r in registrations] == [False, False, True]
    services.cancel_registration(people[0], session, now=before)
    assert registrations[2].is_waitlisted is False
    with pytest.raises(services.CourseError):
        services.register(make_user("c9"), session, now=START + timedelta(minutes=1))


def test_class_audience_is_enforced(ctx):
    """A class for auxiliary staff refuses a cadre."""
    instructor = make_user("t1", roles={"instructor"})
    session = _class(instructor, audience=Audience.auxiliary)
    with pytest.raises(services.CourseError):
        services.register(make_user("c1"), session, now=START - timedelta(days=1))
    assert services.register(make_user("a1", category="auxiliary"), session, now=START - timedelta(days=1))


def test_check_in_is_refused_outside_its_window_twice_and_when_not_registered(ctx):
    """The code works once, within its window, for registrants only; each refusal says why."""
    instructor = make_user("t1", roles={"instructor"})
    session = _class(instructor)
    learner, stranger = make_user("c1"), make_user("c2")
    services.register(learner, session, now=START - timedelta(days=1))
    code = services.open_checkin(instructor, session, minutes=15, now=START)
    early = services.check_in(learner, code, now=START - timedelta(minutes=1))
    assert not early.ok and "not valid now" in early.message
    late = services.check_in(learner, code, now=START + timedelta(minutes=16))
    assert not late.ok and "not valid now" in late.message
    assert "not registered" in services.check_in(stranger, code, now=START + timedelta(minutes=1)).message
    assert "No class has this" in services.check_in(learner, "12", now=START).message
    first = services.check_in(learner, code, now=START + timedelta(minutes=5))
    assert first.ok
    again = services.check_in(learner, code, now=START + timedelta(minutes=6))
    assert not again.ok and "already checked in" in again.message
    registration = services.roster(session)[0]
    assert registration.attendance == Attendance.present and registration.checked_in_at is not None


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(offset=st.integers(min_value=-600, max_value=600), window=st.integers(min_value=1, max_value=120))
def test_a_code_is_accepted_exactly_within_its_window(ctx, offset, window):
    """For any window and any moment: accepted if and only if the moment lies in the window."""
    instructor = db.session.execute(sa.select(services.User).where(services.User.username == "tw")
                                    ).scalar_one_or_none() or make_user("tw", roles={"instructor"})
    session = _class(instructor)
    learner = make_user(f"h{session.id}")
    services.register(learner, session, now=START - timedelta(days=1))
    code = services.open_checkin(instructor, session, minutes=window, now=START)
    outcome = services.check_in(learner, code, now=START + timedelta(minutes=offset))
    assert outcome.ok == (0 <= offset <= window)
    session.checkin_code = None  # leave no code behind for the next example
    db.session.flush()


def test_closing_marks_unmarked_absent_credits_attendees_and_leaves_the_waiting_list_alone(ctx):
    """At close: unmarked → absent; present and late get the hours; waiting list stays not applicable."""
    instructor = make_user("t1", roles={"instructor"})
    session = _class(instructor, capacity=3, hours=2.5)
    people = [make_user(f"c{i}") for i in range(4)]
    for person in people:
        services.register(person, session, now=START - timedelta(days=1))
    roster = {r.user.username: r for r in services.roster(session)}
    services.mark_attendance(instructor, session, {roster["c0"].id: (Attendance.present, ""),
                                                   roster["c1"].id: (Attendance.late, "10 min")})
    assert services.close_session(instructor, session, now=START + timedelta(hours=3)) == 1
    assert roster["c2"].attendance == Attendance.absent
    assert roster["c3"].is_waitlisted and roster["c3"].attendance is None
    credited = {e.user_id: e.hours for e in db.session.execute(sa.select(LedgerEntry)).scalars()}
    assert credited == {people[0].id: 2.5, people[1].id: 2.5}


def test_corrections_after_close_may_raise_attendance_but_not_take_hours_back(ctx):
    """Absent → present after close credits the hours (audited); present → absent is refused."""
    instructor = make_user("t1", roles={"instructor"})
    session = _class(instructor)
    a, b = make_user("c1"), make_user("c2")
    for person in (a, b):
        services.register(person, session, now=START - timedelta(days=1))
    roster = {r.user_id: r for r in services.roster(session)}
    services.mark_attendance(instructor, session, {roster[a.id].id: (Attendance.present, "")})
    services.close_session(instructor, session, now=START + timedelta(hours=3))
    services.mark_attendance(instructor, session, {roster[b.id].id: (Attendance.present, "came late, signed sheet")})
    assert len(_ledger(b)) == 1 and _ledger(b)[0].hours == 2.0
    with pytest.raises(services.CourseError):
        services.mark_attendance(instructor, session, {roster[a.id].id: (Attendance.absent, "")})


def test_session_must_end_after_it_starts(ctx):
    """A class ending before it starts is refused."""
    instructor = make_user("t1", roles={"instructor"})
    with pytest.raises(services.CourseError):
        services.create_session(instructor, title="x", description="", course_id=None, starts_at=START,
                                ends_at=START, place="p", instructor_id=instructor.id, capacity=5,
                                audience=Audience.all, credit_hours=0)


# --- contracts --------------------------------------------------------------------------------

def test_credit_hours_is_idempotent_per_source(ctx):
    """The same (user, source type, source id) is credited once."""
    user = make_user("c1")
    first = services.credit_hours(user, 1.5, "sharing", 42, "Experience sharing", date(2026, 3, 1))
    again = services.credit_hours(user, 1.5, "sharing", "42", "Experience sharing", date(2026, 3, 1))
    assert first.id == again.id
    assert services.training_hours([user.id], date(2026, 1, 1), date(2026, 12, 31)) == {user.id: 1.5}


def test_training_hours_sums_the_period_inclusive_and_fills_missing_users(ctx):
    """Both period ends count; a user without entries gets 0.0."""
    user, other = make_user("c1"), make_user("c2")
    services.credit_hours(user, 2, "x", 1, "", date(2026, 1, 1))
    services.credit_hours(user, 3, "x", 2, "", date(2026, 1, 31))
    services.credit_hours(user, 5, "x", 3, "", date(2026, 2, 1))
    assert services.training_hours([user.id, other.id], date(2026, 1, 1), date(2026, 1, 31)) == \
        {user.id: 5.0, other.id: 0.0}
    assert services.training_hours([], date(2026, 1, 1), date(2026, 1, 31)) == {}


def test_courses_completed_and_progress_for(synced):
    """Completed courses are counted in the period; progress lists done and total lessons."""
    user = make_user("c1")
    _finish(user, "basics-zh")
    services.mark_lesson_done(user, services.active_lessons(services.find_course("cadre-only-zh"))[0])
    today = utcnow().date()
    assert services.courses_completed([user.id, 999], today, today) == {user.id: 1, 999: 0}
    progress = {item["slug"]: item for item in services.course_progress_for(user.id)}
    assert progress["basics-zh"]["done"] == 3 and progress["basics-zh"]["completed_at"] is not None
    assert (progress["cadre-only-zh"]["done"], progress["cadre-only-zh"]["total"]) == (1, 2)
    assert progress["cadre-only-zh"]["completed_at"] is None


def test_class_attendance_rate(ctx):
    """Present and late count as attended, excused is left out, unregistered users get None."""
    instructor = make_user("t1", roles={"instructor"})
    a, b, nobody = make_user("c1"), make_user("c2"), make_user("c3")
    marks = [(Attendance.present, Attendance.absent), (Attendance.late, Attendance.excused),
             (Attendance.absent, Attendance.present)]
    for index, (mark_a, mark_b) in enumerate(marks):
        session = _class(instructor, starts_at=START + timedelta(days=7 * index))
        for person in (a, b):
            services.register(person, session, now=START - timedelta(days=1))
        roster = {r.user_id: r.id for r in services.roster(session)}
        services.mark_attendance(instructor, session, {roster[a.id]: (mark_a, ""), roster[b.id]: (mark_b, "")})
    rates = services.class_attendance_rate([a.id, b.id, nobody.id], date(2026, 6, 1), date(2026, 6, 30))
    assert rates == {a.id: pytest.approx(2 / 3, abs=1e-3), b.id: 0.5, nobody.id: None}


def test_contracts_run_a_fixed_number_of_queries(synced):
    """training_hours, courses_completed and class_attendance_rate run one query whatever the user count."""
    users = [make_user(f"q{i}") for i in range(12)]
    ids = [u.id for u in users]
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for contract in (services.training_hours, services.courses_completed, services.class_attendance_rate):
            statements.clear()
            contract(ids, date(2026, 1, 1), date(2026, 12, 31))
            assert len(statements) == 1, contract.__name__
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_concurrent_duplicate_returns_the_stored_row(ctx):
    """When another request stored the same ledger source first, the insert yields that row, not an error."""
    user = make_user("c1")
    first = services.credit_hours(user, 2, "class", 5, "A", date(2026, 3, 1))
    duplicate = LedgerEntry(user_id=user.id, hours=2, source_type="class", source_id="5", description="A",
                            earned_on=date(2026, 3, 1))
    query = sa.select(LedgerEntry).where(LedgerEntry.user_id == user.id, LedgerEntry.source_id == "5")
    assert services._insert_once(duplicate, query) is first
    assert len(_ledger(user)) == 1


def test_department_hours_and_hours_by_month(ctx):
    """Per department the average and the people behind; per month the user's hours."""
    squad, office = make_department("sq1", "Squad one"), make_department("of1", "Office")
    a, b = make_user("c1", department=squad), make_user("c2", department=squad)
    make_user("c3", department=office)
    services.credit_hours(a, 50, "x", 1, "", date(2026, 3, 4))
    services.credit_hours(a, 40, "x", 2, "", date(2026, 11, 4))
    services.credit_hours(b, 10, "x", 3, "", date(2026, 3, 9))
    rows = services.department_hours(date(2026, 1, 1), date(2026, 12, 31), 80)
    assert rows == [("Office", 0.0, 1, 1), ("Squad one", 50.0, 1, 2)]
    months = services.hours_by_month(a.id, 2026)
    assert months[2] == 50 and months[10] == 40 and sum(months) == 90
