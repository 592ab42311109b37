"""The mentorship pages as people use them: pairing, logging and confirming, cadence, report, sharing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import url_for
from sqlalchemy import event

from learning.audit import utcnow
from learning.courses.models import Course, Enrolment, LedgerEntry
from learning.courses.services import course_progress_for, enrol
from learning.extensions import db
from learning.mentorship.models import Pairing, SharingEvent, Talk
from learning.people.models import User
from learning.quizzes.models import Attempt, AttemptStatus
from learning.quizzes.models import Test as QuizTest
from learning.reviews.models import CaseFile, CaseHandler, CycleStatus, FileStatus, Grade, ReviewCycle, SampledFile


def _user_id(app, username):
    with app.app_context():
        return db.session.execute(sa.select(User.id).where(User.username == username)).scalar_one()


def _pairing_id(app, mentor="mentor"):
    with app.app_context():
        return db.session.execute(sa.select(Pairing.id).join(User, User.id == Pairing.mentor_id)
                                  .where(User.username == mentor)).scalar_one()


def test_mentor_logs_a_talk_and_the_apprentice_confirms_it(demo_app):
    """The talk appears for both; the apprentice's confirmation shows on the pairing page."""
    pairing_id = _pairing_id(demo_app)
    mentor = demo_app.test_client()
    mentor.login("mentor")
    response = mentor.post_form(f"/mentorship/pairings/{pairing_id}/talks/new", {
        "held_on": utcnow().date().isoformat(), "minutes": "40", "kind": "case_walkthrough",
        "topics": "违法建设案卷", "summary": "复盘立案审批环节。", "private_note": "只给自己看"})
    assert response.status_code == 302
    apprentice = demo_app.test_client()
    apprentice.login("cadre")
    page = apprentice.get(f"/mentorship/pairings/{pairing_id}").get_data(as_text=True)
    assert "复盘立案审批环节。" in page and "只给自己看" not in page
    with demo_app.app_context():
        talk_id = db.session.execute(sa.select(Talk.id).where(Talk.topics == "违法建设案卷")).scalar_one()
    assert apprentice.post_form(f"/mentorship/talks/{talk_id}/confirm").status_code == 302
    with demo_app.app_context():
        assert db.session.get(Talk, talk_id).confirmed_at is not None
    assert mentor.post_form(f"/mentorship/talks/{talk_id}/confirm").status_code == 403


def test_owner_creates_a_pairing_and_both_sign(demo_app):
    """hr pairs mentor2 with auxiliary; both sign; the pairing page shows both signatures."""
    hr = demo_app.test_client()
    hr.login("hr")
    today = utcnow().date()
    response = hr.post_form("/mentorship/pairings/new", {
        "mentor_id": _user_id(demo_app, "mentor2"), "apprentice_id": _user_id(demo_app, "auxiliary"),
        "term_start": today.isoformat(), "term_end": (today + timedelta(days=180)).isoformat(),
        "cadence_days": "30", "goals": "熟悉辅助人员岗位职责"})
    assert response.status_code == 302
    url = response.headers["Location"]
    for username in ("mentor2", "auxiliary"):
        client = demo_app.test_client()
        client.login(username)
        assert client.post_form(url + "/sign").status_code == 302
    page = hr.get(url).get_data(as_text=True)
    assert page.count("signed " + today.isoformat()) == 2


def test_cap_refusal_is_shown_on_the_form(demo_app):
    """With a cap of one, pairing mentor with a second apprentice explains why not."""
    demo_app.config["MENTORSHIP_MAX_APPRENTICES"] = 1
    hr = demo_app.test_client()
    hr.login("hr")
    today = utcnow().date()
    page = hr.post_form("/mentorship/pairings/new", {
        "mentor_id": _user_id(demo_app, "mentor"), "apprentice_id": _user_id(demo_app, "a2002"),
        "term_start": today.isoformat(), "term_end": (today + timedelta(days=90)).isoformat(),
        "cadence_days": "30", "goals": "x"}).get_data(as_text=True)
    assert "the most allowed" in page


def test_overdue_pairings_are_listed_for_the_owner_and_on_the_mentors_dashboard(demo_app):
    """mentor2's pairing is behind: hr sees it in the programme; mentor2 sees it on the dashboard."""
    hr = demo_app.test_client()
    hr.login("hr")
    page = hr.get("/mentorship/pairings?status=overdue").get_data(as_text=True)
    assert "郑海涛" in page and "冯丽" in page and "张国强" not in page
    assert 'data-testid="programme-overdue"' in hr.get("/").get_data(as_text=True)
    mentor2 = demo_app.test_client()
    mentor2.login("mentor2")
    dashboard = mentor2.get("/").get_data(as_text=True)
    assert 'data-testid="mentor-overdue"' in dashboard and "冯丽" in dashboard
    mentor = demo_app.test_client()
    mentor.login("mentor")
    assert "Every apprentice is on cadence." in mentor.get("/").get_data(as_text=True)


def _record_card(page: str) -> str:
    """The apprentice's record card of a pairing page."""
    start = page.index('data-testid="apprentice-record"')
    return " ".join(page[start:page.index("</section>", start)].split())


def _demo_record(app, username):
    """What the demo holds for a person, read from the other features' tables (not through mentorship)."""
    with app.app_context():
        user_id = _user_id(app, username)
        courses = db.session.execute(sa.select(Course.title).join(Enrolment, Enrolment.course_id == Course.id)
                                     .where(Enrolment.user_id == user_id)).scalars().all()
        tests = db.session.execute(sa.select(QuizTest.title, Attempt.percent)
                                   .join(QuizTest, QuizTest.id == Attempt.test_id)
                                   .where(Attempt.user_id == user_id, Attempt.status == AttemptStatus.graded)).all()
        cases = db.session.execute(
            sa.select(CaseFile.case_number, SampledFile.final_grade)
            .join(CaseHandler, CaseHandler.case_id == CaseFile.id)
            .join(SampledFile, SampledFile.case_id == CaseFile.id)
            .join(ReviewCycle, ReviewCycle.id == SampledFile.cycle_id)
            .where(CaseHandler.user_id == user_id, ReviewCycle.status == CycleStatus.published,
                   SampledFile.status == FileStatus.final)).all()
    return courses, tests, cases


def test_mentor_sees_the_apprentices_record_on_the_pairing_page(demo_app):
    """mentor sees cadre's courses, test scores and case-review grades from the demo; mentor2 does not."""
    courses, tests, cases = _demo_record(demo_app, "cadre")
    assert courses and tests and cases  # the demo gives the apprentice something to show
    mentor = demo_app.test_client()
    mentor.login("mentor")
    card = _record_card(mentor.get(f"/mentorship/pairings/{_pairing_id(demo_app)}").get_data(as_text=True))
    for title in courses:
        assert title in card
    with demo_app.test_request_context():
        for row in course_progress_for(_user_id(demo_app, "cadre")):
            if row["completed_at"] is None:
                assert f"{row['title']} · {row['done']} of {row['total']} lessons" in card
    for title, percent in tests:
        assert f"{title}: {round(percent, 1)}%" in card
    for number, grade in cases:
        assert f"{number} (" in card
        assert {Grade.excellent: "Excellent", Grade.good: "Good", Grade.qualified: "Qualified",
                Grade.unqualified: "Unqualified"}[grade] in card
    assert "excellent" not in card and "unqualified" not in card  # grades read as labels, not codes

    mentor2 = demo_app.test_client()
    mentor2.login("mentor2")
    assert mentor2.get(f"/mentorship/pairings/{_pairing_id(demo_app)}").status_code in (403, 404)
    other = _record_card(mentor2.get(f"/mentorship/pairings/{_pairing_id(demo_app, 'mentor2')}")
                         .get_data(as_text=True))
    _, _, c1002_cases = _demo_record(demo_app, "c1002")
    only_cadre = {number for number, _ in cases} - {number for number, _ in c1002_cases}
    assert only_cadre and not any(number in other for number in only_cadre)
    assert all(number in other for number, _ in c1002_cases)


def _statements(app, client, url) -> int:
    """How many SQL statements a GET of ``url`` runs."""
    statements = []
    with app.app_context():
        engine = db.engine

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_pairing_page_queries_do_not_grow_with_the_apprentices_record(demo_app):
    """With the record shown, the page stays at a few statements however many courses the apprentice has."""
    url = f"/mentorship/pairings/{_pairing_id(demo_app)}"
    mentor = demo_app.test_client()
    mentor.login("mentor")
    before = _statements(demo_app, mentor, url)
    before_courses = len(_demo_record(demo_app, "cadre")[0])
    with demo_app.app_context():
        cadre = db.session.execute(sa.select(User).where(User.username == "cadre")).scalar_one()
        all_courses = db.session.execute(sa.select(Course)).scalars().all()
        for course in all_courses:
            enrol(cadre, course)
        db.session.commit()
        titles = [course.title for course in all_courses]
    assert len(titles) > before_courses
    after = _statements(demo_app, mentor, url)
    card = _record_card(mentor.get(url).get_data(as_text=True))
    assert all(title in card for title in titles)
    assert after == before <= 15


def test_attendance_appears_once_in_the_attendees_hours_ledger(demo_app):
    """hr records c1004 at the demo event (twice); c1004's ledger lists it once with the event's hours."""
    with demo_app.app_context():
        sharing = db.session.execute(sa.select(SharingEvent)).scalar_one()
        event_id, topic, year, hours = sharing.id, sharing.topic, sharing.held_on.year, sharing.hours
    hr = demo_app.test_client()
    hr.login("hr")
    for _attempt in range(2):
        hr.post_form(f"/mentorship/sharing/{event_id}/attendance", {"usernames": "c1004"})
    flashed = hr.get(f"/mentorship/sharing/{event_id}").get_data(as_text=True)
    assert "credited with 1.5 training hours" in flashed and "1 already there" in flashed
    learner = demo_app.test_client()
    learner.login("c1004")
    with demo_app.test_request_context():
        url = url_for("courses.hours", year=year)
    page = learner.get(url).get_data(as_text=True)
    assert page.count(topic) == 1
    with demo_app.app_context():
        entries = db.session.execute(sa.select(LedgerEntry.hours).where(
            LedgerEntry.user_id == _user_id(demo_app, "c1004"), LedgerEntry.source_type == "sharing_event",
            LedgerEntry.source_id == str(event_id))).scalars().all()
    assert entries == [hours]


def test_end_of_term_through_the_pages(demo_app):
    """Mentor and apprentice evaluate, hr closes as completed; the report shows the outcome."""
    pairing_id = _pairing_id(demo_app)
    for username, rating in (("mentor", "4"), ("cadre", "5")):
        client = demo_app.test_client()
        client.login(username)
        assert client.post_form(f"/mentorship/pairings/{pairing_id}/evaluate",
                                {"rating": rating, "comments": "目标基本达成"}).status_code == 302
    hr = demo_app.test_client()
    hr.login("hr")
    hr.post_form(f"/mentorship/pairings/{pairing_id}/close", {"status": "completed"})
    page = hr.get(f"/mentorship/pairings/{pairing_id}").get_data(as_text=True)
    assert "Completed" in page and "4 / 5" in page and "5 / 5" in page
    report = hr.get("/mentorship/report").get_data(as_text=True)
    assert "Completed" in report and "Talks logged" in report


def test_ending_early_needs_a_reason(demo_app):
    """Without a reason the pairing stays active."""
    pairing_id = _pairing_id(demo_app, "mentor2")
    hr = demo_app.test_client()
    hr.login("hr")
    hr.post_form(f"/mentorship/pairings/{pairing_id}/close", {"status": "ended_early", "reason": ""})
    with demo_app.app_context():
        assert db.session.get(Pairing, pairing_id).is_active
    hr.post_form(f"/mentorship/pairings/{pairing_id}/close", {"status": "ended_early", "reason": "调离"})
    with demo_app.app_context():
        assert not db.session.get(Pairing, pairing_id).is_active


def test_term_report_exports_csv(demo_client):
    """The report downloads as CSV with a row per pairing."""
    demo_client.login("hr")
    response = demo_client.get("/mentorship/report?fmt=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    assert "张国强" in text and "郑海涛" in text and "Cadence kept" in text


def test_sharing_event_attendance(demo_app):
    """hr records attendees by employee number; unknown numbers are reported."""
    with demo_app.app_context():
        event_id = db.session.execute(sa.select(SharingEvent.id)).scalar_one()
    hr = demo_app.test_client()
    hr.login("hr")
    hr.post_form(f"/mentorship/sharing/{event_id}/attendance", {"usernames": "c1004, c1005 nobody"})
    page = hr.get(f"/mentorship/sharing/{event_id}").get_data(as_text=True)
    assert "马超" in page and "朱婷" in page and "nobody" in page


def test_pages_run_a_fixed_small_number_of_queries(demo_app):
    """Each of mentorship's own pages runs at most 15 statements (the dashboard as a whole is checked by
    tests/test_query_budget.py, mentorship's panels by test_dashboard_budget.py)."""
    pairing_id = _pairing_id(demo_app)
    with demo_app.app_context():
        event_id = db.session.execute(sa.select(SharingEvent.id)).scalar_one()
    pages = {"mentor": ["/mentorship/", f"/mentorship/pairings/{pairing_id}", "/mentorship/sharing",
                        f"/mentorship/sharing/{event_id}"],
             "hr": ["/mentorship/pairings", "/mentorship/report", f"/mentorship/pairings/{pairing_id}"]}
    for username, urls in pages.items():
        client = demo_app.test_client()
        client.login(username)
        for url in urls:
            statements = []
            with demo_app.app_context():
                engine = db.engine

            def count(*_args, _statements=statements):
                _statements.append(1)

            event.listen(engine, "before_cursor_execute", count)
            try:
                assert client.get(url).status_code == 200
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert len(statements) <= 15, f"{url} as {username}: {len(statements)} statements"


def test_pairing_page_shows_the_apprentices_record_from_the_other_features(demo_client, demo_app,
                                                                           stand_in_features):
    """With courses, quizzes and reviews present, the mentor sees progress, results and grades."""
    demo_client.login("mentor")
    page = demo_client.get(f"/mentorship/pairings/{_pairing_id(demo_app)}").get_data(as_text=True)
    assert 'data-testid="apprentice-record"' in page
    assert "Simple procedure" in page and "Road occupation test: 85.0%" in page and "综执罚〔2026〕1号" in page


def test_every_mentorship_page_renders_in_chinese(demo_app):
    """The pages read in Chinese after switching language."""
    client = demo_app.test_client()
    client.login("hr")
    client.post_form("/language", {"language": "zh_Hans_CN"})
    pairing_id = _pairing_id(demo_app)
    for url, label in (("/mentorship/pairings", "未按节奏"), (f"/mentorship/pairings/{pairing_id}", "谈话节奏"),
                       ("/mentorship/report", "期满报告"), ("/mentorship/sharing", "经验分享")):
        page = client.get(url).get_data(as_text=True)
        assert label in page, url
