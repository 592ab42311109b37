"""The dashboard panels of courses stay within their share of the page's statement budget (3 for all
of them together, for every demo role) and still show the same figures."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from learning.audit import utcnow
from learning.courses import panels, services
from learning.courses.loader import sync_courses
from learning.courses.models import Assignment, Audience, ClassSession, Registration
from learning.extensions import db
from learning.people.models import User
from tests.conftest import make_user
from tests.dashboard import DEMO_ROLES, panel_statements

from .conftest import write_course

BUDGET = 3
AREA = "courses"


def test_course_panels_stay_within_the_budget_for_every_demo_role(demo_app):
    """Whoever signs in, the course panels together run at most three statements, templates included."""
    counts = {}
    for role in DEMO_ROLES:
        with demo_app.test_request_context():
            counts[role], contexts = panel_statements(AREA, role)
            assert set(contexts) == {"courses.mine", "courses.hours", "courses.classes"}, role
    assert all(count <= BUDGET for count in counts.values()), counts


def test_course_panels_show_what_the_services_compute(demo_app):
    """For every demo role the panels list the courses in progress with lessons done, due dates, the
    completed count, this year's hours and the upcoming classes, as the per-figure services say."""
    for role in DEMO_ROLES:
        with demo_app.test_request_context():
            _, contexts = panel_statements(AREA, role)
            user = db.session.execute(sa.select(User).where(User.username == role)).scalar_one()
            progress = services.course_progress_for(user.id)
            in_progress = {entry["slug"]: entry for entry in progress if entry["completed_at"] is None}
            mine = contexts["courses.mine"]
            assert mine["completed"] == len(progress) - len(in_progress)
            assert len(mine["courses"]) == min(len(in_progress), panels.PANEL_ROWS)
            due = {a.course_id: a.due_on for a in services.assignments_of(
                user.id, [c["course"].id for c in mine["courses"]]).values()}
            for shown in mine["courses"]:
                expected = in_progress[shown["course"].slug]
                assert (shown["done"], shown["total"]) == (expected["done"], expected["total"])
                assert shown["due_on"] == due.get(shown["course"].id)
            start, end = services.year_bounds(utcnow().year)
            assert contexts["courses.hours"]["total"] == services.training_hours([user.id], start, end)[user.id]
            now = utcnow()
            upcoming = db.session.execute(services.sessions_query(True, now, user)).scalars().all()
            assert contexts["courses.classes"]["upcoming"] == len(upcoming)
            registered = services.registrations_of(user.id, [session.id for session in upcoming])
            assert [r.session_id for r in contexts["courses.classes"]["registrations"]] == \
                [s.id for s in upcoming if s.id in registered][:panels.PANEL_ROWS]
    with demo_app.test_request_context():
        _, contexts = panel_statements(AREA, "cadre")
        assert contexts["courses.mine"]["courses"] and contexts["courses.hours"]["total"] > 0  # real data


def test_my_courses_panel_lists_due_courses_first_and_counts_completed_ones(app, tmp_path):
    """Six courses in progress: the overdue one, then the one due soon, then the newest others, five in
    all; the completed course is counted, not listed; someone with nothing in progress still sees the count."""
    for number in range(7):
        write_course(tmp_path, f"c{number}-zh", {"01-a": "A.", "02-b": "B."}, title=f"课程{number}")
    today = utcnow().date()
    with app.app_context():
        sync_courses(tmp_path)
        learner, idle = make_user("learner1", display_name="赵某"), make_user("idle1", display_name="钱某")
        courses = {number: services.find_course(f"c{number}-zh") for number in range(7)}
        for number, course in courses.items():
            enrolment = services.enrol(learner, course)
            enrolment.enrolled_at = utcnow() - timedelta(days=10 - number)
        for lesson in services.active_lessons(courses[0]):
            services.mark_lesson_done(learner, lesson)
        services.mark_lesson_done(learner, services.active_lessons(courses[2])[0])
        db.session.add_all([Assignment(course_id=courses[5].id, user_id=learner.id, due_on=today + timedelta(days=3)),
                            Assignment(course_id=courses[1].id, user_id=learner.id, due_on=today - timedelta(days=1))])
        enrolment = services.enrol(idle, courses[0])
        enrolment.completed_at = utcnow()
        db.session.commit()
    client = app.test_client()
    client.login("learner1", "correct horse battery")
    with app.test_request_context():
        mine = panels.my_courses(db.session.execute(sa.select(User).where(User.username == "learner1")).scalar_one())
    assert [c["course"].slug for c in mine["courses"]] == ["c1-zh", "c5-zh", "c6-zh", "c4-zh", "c3-zh"]
    assert mine["completed"] == 1
    page = client.get("/").get_data(as_text=True)
    assert page.count("text-bg-danger") >= 1 and "课程1" in page and "课程2" not in page
    assert "Courses completed: 1" in page
    client.logout()
    client.login("idle1", "correct horse battery")
    page = client.get("/").get_data(as_text=True)
    assert "No course in progress." in page and "Courses completed: 1" in page


def test_my_classes_panel_lists_coming_registrations_and_counts_classes_open_to_me(app):
    """A past class is not listed; the coming ones are, soonest first; the count leaves out classes
    meant for another staff category."""
    now = utcnow()
    with app.app_context():
        teacher = make_user("teacher", roles={"instructor"})
        learner = make_user("aux1", category="auxiliary", display_name="孙某某")

        def session(title, days, audience=Audience.all):
            row = ClassSession(title=title, starts_at=now + timedelta(days=days),
                               ends_at=now + timedelta(days=days, hours=2), place="培训室", instructor_id=teacher.id,
                               credit_hours=2, audience=audience)
            db.session.add(row)
            db.session.flush()
            return row

        past, later, sooner = session("已结束课堂", -5), session("较晚课堂", 9), session("较早课堂", 2)
        session("干部课堂", 4, Audience.cadre)
        db.session.add_all([Registration(session_id=s.id, user_id=learner.id, registered_at=now)
                            for s in (past, later, sooner)])
        db.session.commit()
    client = app.test_client()
    client.login("aux1", "correct horse battery")
    page = client.get("/").get_data(as_text=True)
    assert "已结束课堂" not in page
    assert page.index("较早课堂") < page.index("较晚课堂")
    assert "Upcoming classes: 2" in page
