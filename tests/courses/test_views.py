"""Pages of courses as a user meets them: from the catalog to the certificate, classes, hours and exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy import event

from learning.audit import utcnow
from learning.courses import services
from learning.courses.loader import sync_courses
from learning.courses.models import Attendance, Audience, Certificate, ClassSession
from learning.extensions import db
from learning.people.models import User
from tests.conftest import make_department, make_user

from .conftest import write_course, write_lesson

PASSWORD = "correct horse battery"


@pytest.fixture
def site(app, content):
    """The small content synced, a squad with a cadre and an auxiliary, an instructor and HR."""
    write_lesson(content / "courses" / "basics-en", "04-unsafe",
                 "Safe text <script>alert(1)</script> <img src=x onerror=alert(2)> [link](javascript:alert(3))")
    with app.app_context():
        sync_courses(content)
        squad = make_department("sq1", "第一中队")
        make_user("cadre1", department=squad, display_name="赵某")
        make_user("aux1", department=squad, category="auxiliary", display_name="孙某某")
        make_user("teacher", roles={"instructor"}, display_name="刘某")
        make_user("hr1", roles={"hr"}, display_name="李某")
        db.session.commit()
    return app


def _client(app, username, language="en"):
    client = app.test_client()
    assert client.login(username, PASSWORD).status_code == 302
    client.post_form("/language", {"language": language})
    return client


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.mark.parametrize("language,slug,done_word,cert_word", [
    ("en", "basics-en", "Done", "Certificate of completion"),
    ("zh_Hans_CN", "basics-zh", "已完成", "结业证书"),
])
def test_from_the_catalog_to_the_certificate(site, language, slug, done_word, cert_word):
    """A learner finds the course, takes every lesson in order and lands on the certificate, in each language."""
    client = _client(site, "cadre1", language)
    catalog = _text(client.get("/courses"))
    other = "basics-zh" if slug == "basics-en" else "basics-en"
    assert catalog.index(f'data-course="{slug}"') < catalog.index(f'data-course="{other}"')
    response = client.post_form(f"/courses/{slug}/enrol")
    assert response.status_code == 302 and response.location.endswith(f"/courses/{slug}/lessons/01-scope")
    location = response.location
    for _step in range(10):
        page = client.get(location)
        assert page.status_code == 200
        action = re.search(r'action="([^"]+/done)"', page.get_data(as_text=True)).group(1)
        response = client.post_form(action)
        location = response.location
        if "/certificates/" in location:
            break
    certificate = _text(client.get(location))
    assert cert_word in certificate and "赵某" in certificate
    code = re.search(r"QL-[A-Z0-9-]+", certificate).group(0)
    course_page = _text(client.get(f"/courses/{slug}"))
    assert done_word in course_page
    hours = _text(client.get("/training"))
    assert 'data-testid="hours-total">2<' in hours.replace(" ", "")
    client.logout()
    verified = client.get(f"/verify/{code}")  # signed out
    assert verified.status_code == 200 and "赵某" in _text(verified)


def test_verify_rejects_a_made_up_code_while_signed_out(site):
    """A code nobody was issued gets 404 and a clear sentence."""
    client = site.test_client()
    client.post_form("/language", {"language": "en"})
    response = client.get("/verify/QL-FAKE-FAKE-00")
    assert response.status_code == 404
    assert "No certificate has the code" in _text(response)
    assert client.get("/verify?code=QL-FAKE").status_code == 302


def test_lesson_content_cannot_carry_script(site):
    """A <script>, an onerror= and a javascript: link in a lesson never reach the page."""
    client = _client(site, "cadre1")
    page = client.get("/courses/basics-en/lessons/04-unsafe").get_data(as_text=True)
    assert "Safe text" in page
    assert "<script>alert" not in page and "onerror" not in page and "javascript:" not in page


def test_next_previous_and_resume(site):
    """Marking a lesson done goes to the next; the course page offers to resume at the first open lesson."""
    client = _client(site, "cadre1")
    response = client.post_form("/courses/basics-zh/lessons/01-scope/done")
    assert response.location.endswith("/courses/basics-zh/lessons/02-procedure")
    lesson = client.get("/courses/basics-zh/lessons/02-procedure").get_data(as_text=True)
    assert "/courses/basics-zh/lessons/01-scope" in lesson and "/courses/basics-zh/lessons/03-delivery" in lesson
    course = client.get("/courses/basics-zh").get_data(as_text=True)
    assert re.search(r'data-testid="resume" href="/courses/basics-zh/lessons/02-procedure"', course)


def _pdf_unicode_map(data: bytes) -> str:
    """The ToUnicode maps of a PDF's fonts (which characters the embedded glyphs stand for)."""
    import zlib

    found = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            text = zlib.decompress(match.group(1))
        except zlib.error:
            text = match.group(1)
        if b"beginbfchar" in text:
            found.append(text.decode("latin-1"))
    return "\n".join(found)


def test_certificate_pdf_has_chinese_text_and_missing_font_is_explained(site, tmp_path):
    """The PDF embeds a CJK font; with no font the user is sent to the print page with a message."""
    with site.test_request_context():
        user = db.session.execute(sa.select(services.User).where(services.User.username == "cadre1")).scalar_one()
        for lesson in services.active_lessons(services.find_course("basics-zh")):
            services.mark_lesson_done(user, lesson)
        code = db.session.execute(sa.select(Certificate.code)).scalar_one()
        db.session.commit()
    client = _client(site, "cadre1", "zh_Hans_CN")
    response = client.get(f"/certificates/{code}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and b"FontFile" in response.data
    mapped = _pdf_unicode_map(response.data)
    for char in "赵某结业证书基础课程":  # the holder, the title and the course drawn with real glyphs
        assert f"<{ord(char):04X}>" in mapped, char
    site.config["COURSES_CERTIFICATE_FONT"] = str(tmp_path / "missing.ttf")
    response = client.get(f"/certificates/{code}/pdf")
    assert response.status_code == 302 and response.location.endswith(f"/certificates/{code}")
    assert "服务器未安装中文字体" in _text(client.get(response.location))


def test_assignment_to_a_department_shows_first_with_due_date(site):
    """HR assigns a course to the squad; the cadre sees it first with its due date; overdue lists late ones."""
    hr = _client(site, "hr1")
    with site.app_context():
        squad_id = db.session.execute(sa.select(services.User.department_id)
                                      .where(services.User.username == "cadre1")).scalar_one()
    due = (utcnow() - timedelta(days=3)).date()
    response = hr.post_form("/courses/assignments", {
        "course": "cadre-only", "scope": "department", "department_id": str(squad_id), "category": "cadre",
        "due_on": due.isoformat(), "reason": "Yearly"})
    assert response.status_code == 302
    assert "People assigned: 1." in _text(hr.get("/courses/assignments"))  # not the auxiliary: cadres only
    catalog = _text(_client(site, "cadre1").get("/courses"))
    assert catalog.index('data-course="cadre-only-zh"') < catalog.index('data-course="basics-en"')
    assert "Assigned, due" in catalog
    overdue = _text(hr.get("/courses/overdue"))
    assert "赵某" in overdue and "干部专题" in overdue


def test_check_in_through_the_pages_refuses_a_second_time(site):
    """The instructor shows a code; the learner checks in once; the second try is refused clearly."""
    now = utcnow()
    with site.test_request_context():
        teacher = db.session.execute(sa.select(services.User).where(services.User.username == "teacher")).scalar_one()
        learner = db.session.execute(sa.select(services.User).where(services.User.username == "cadre1")).scalar_one()
        session = services.create_session(teacher, title="Weekend class A", description="", course_id=None,
                                          starts_at=now + timedelta(minutes=5), ends_at=now + timedelta(hours=2),
                                          place="Room", instructor_id=teacher.id, capacity=5,
                                          audience=Audience.all, credit_hours=0)
        services.register(learner, session, now=now)
        db.session.commit()
        session_id = session.id
    instructor = _client(site, "teacher")
    instructor.post_form(f"/classes/{session_id}/checkin-code", {"minutes": "10"})
    code = re.search(r'data-testid="checkin-code">(\d{6})<', instructor.get(f"/classes/{session_id}")
                     .get_data(as_text=True)).group(1)
    client = _client(site, "cadre1")
    first = client.post_form("/check-in", {"code": code}, follow_redirects=True)
    assert "You are checked in" in _text(first)
    second = client.post_form("/check-in", {"code": code}, follow_redirects=True)
    assert "already checked in" in _text(second)
    wrong = client.post_form("/check-in", {"code": "99999x"}, follow_redirects=True)
    assert "No class has this check-in code" in _text(wrong)


def test_attendance_form_and_close(site):
    """The instructor marks one registrant late with a note and closes: the other becomes absent."""
    now = utcnow()
    with site.test_request_context():
        teacher = db.session.execute(sa.select(services.User).where(services.User.username == "teacher")).scalar_one()
        session = services.create_session(teacher, title="Class B", description="", course_id=None,
                                          starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=3),
                                          place="Room", instructor_id=teacher.id, capacity=5,
                                          audience=Audience.all, credit_hours=0)
        for username in ("cadre1", "aux1"):
            services.register(db.session.execute(sa.select(services.User).where(
                services.User.username == username)).scalar_one(), session, now=now)
        db.session.commit()
        ids = {r.user.username: r.id for r in services.roster(session)}
        session_id = session.id
    client = _client(site, "teacher")
    client.post_form(f"/classes/{session_id}/attendance", {f"attendance-{ids['cadre1']}": "late",
                                                           f"note-{ids['cadre1']}": "traffic"})
    client.post_form(f"/classes/{session_id}/close")
    with site.app_context():
        marks = {r.user.username: (r.attendance, r.note) for r in
                 services.roster(db.session.get(ClassSession, session_id))}
        assert marks == {"cadre1": (Attendance.late, "traffic"), "aux1": (Attendance.absent, "")}
        assert services.training_hours([services.find_course("basics-zh").id], utcnow().date(),
                                       utcnow().date() + timedelta(days=2))


def test_schedule_a_class_through_the_form(site):
    """An instructor schedules a class; its hours default to its duration."""
    client = _client(site, "teacher")
    with site.app_context():
        teacher_id = db.session.execute(sa.select(services.User.id).where(
            services.User.username == "teacher")).scalar_one()
    response = client.post_form("/classes/new", {
        "title": "周末课堂：听证程序", "description": "", "course_id": "0", "starts_at": "2030-06-01T09:00",
        "ends_at": "2030-06-01T11:30", "place": "会议室", "instructor_id": str(teacher_id), "capacity": "20",
        "audience": "all", "credit_hours": ""})
    assert response.status_code == 302
    with site.app_context():
        session = db.session.execute(sa.select(ClassSession)).scalar_one()
        assert session.credit_hours == 2.5 and session.starts_at.hour == 1  # 09:00 in Beijing is 01:00 UTC


def _csv_hours(data: bytes) -> tuple[float, float]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    body = [row for row in rows[1:] if row[0]]
    total_row = [row for row in rows[1:] if not row[0]][0]
    return round(sum(float(row[-1]) for row in body), 2), float(total_row[-1])


def test_ledger_totals_match_the_exported_files(site):
    """The page totals equal the sum of the rows of the .csv and .xlsx exports (mine and everyone's)."""
    with site.test_request_context():
        users = {u.username: u for u in db.session.execute(sa.select(services.User)).scalars()}
        today = utcnow().date()
        services.credit_hours(users["cadre1"], 2.5, "class", 1, "Class one", today)
        services.credit_hours(users["cadre1"], 1.25, "sharing", 9, "=HYPERLINK(\"x\")", today)
        services.credit_hours(users["aux1"], 4, "course", "basics", "Basics", today)
        db.session.commit()
    mine = _client(site, "cadre1")
    page_total = float(re.search(r'data-testid="hours-total">([\d.]+)<', mine.get("/training")
                                 .get_data(as_text=True)).group(1))
    rows_sum, file_total = _csv_hours(mine.get("/training/export?fmt=csv").data)
    assert page_total == rows_sum == file_total == 3.75
    assert "'=HYPERLINK" in mine.get("/training/export?fmt=csv").data.decode("utf-8-sig")
    hr = _client(site, "hr1")
    standing = _text(hr.get("/training/people"))
    grand = float(re.search(r"Hours credited in all: ([\d.]+)", standing).group(1))
    rows_sum, file_total = _csv_hours(hr.get("/training/ledger/export?fmt=csv").data)
    assert grand == rows_sum == file_total == 7.75
    workbook = load_workbook(io.BytesIO(hr.get("/training/ledger/export?fmt=xlsx").data))
    values = [row[-1] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert sum(values[:-1]) == values[-1] == grand


def test_attendance_export_has_the_duration(site):
    """The attendance export lists each registrant with the class's duration in hours."""
    with site.test_request_context():
        teacher = db.session.execute(sa.select(services.User).where(services.User.username == "teacher")).scalar_one()
        start = utcnow().replace(hour=1, minute=0, second=0, microsecond=0) + timedelta(days=1)
        session = services.create_session(teacher, title="Class C", description="", course_id=None,
                                          starts_at=start, ends_at=start + timedelta(hours=1, minutes=30),
                                          place="Room", instructor_id=teacher.id, capacity=5,
                                          audience=Audience.all, credit_hours=0)
        services.register(teacher, session, now=utcnow())
        db.session.commit()
    rows = list(csv.reader(io.StringIO(_client(site, "hr1").get(
        f"/classes/attendance/export?fmt=csv&year={start.year}").data.decode("utf-8-sig"))))
    assert rows[0][4] == "Duration (hours)" and rows[1][0] == "Class C" and float(rows[1][4]) == 1.5


def test_pages_run_a_bounded_number_of_queries(demo_app):
    """Catalog, course, lesson, classes, hours and standing stay within 15 statements each (the dashboard as a
    whole is checked by tests/test_query_budget.py, the course panels by test_dashboard_budget.py)."""
    client = demo_app.test_client()
    client.login("instructor")
    counts = []
    with demo_app.app_context():
        engine = db.engine

    def count(*_args):
        counts.append(1)

    with demo_app.app_context():
        first_lesson = services.active_lessons(services.find_course("penalty-law-essentials-zh"))[0].key
    urls = ["/courses", "/courses/penalty-law-essentials-zh",
            f"/courses/penalty-law-essentials-zh/lessons/{first_lesson}", "/classes", "/classes/1",
            "/training", "/training/people", "/courses/assignments", "/courses/overdue", "/certificates"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        for url in urls:
            counts.clear()
            assert client.get(url).status_code == 200, url
            assert len(counts) <= 15, (url, len(counts))
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_demo_shows_data_on_every_page(demo_client):
    """The demo has progress, a closed class with attendance, an assignment and an overdue list."""
    demo_client.login("cadre")
    assert "Resume" in _text(demo_client.get("/courses/penalty-law-essentials-zh"))
    assert 'data-panel="courses.hours"' in demo_client.get("/").get_data(as_text=True)
    demo_client.logout()
    demo_client.login("instructor")
    assert "Late" in _text(demo_client.get("/classes/1"))
    assert "第二中队" in _text(demo_client.get("/courses/overdue"))
    assert "Due date" in _text(demo_client.get("/courses/assignments"))


def test_write_course_helper_makes_a_valid_folder(tmp_path, app):
    """The test helper writes the documented format (a guard for the tests above)."""
    write_course(tmp_path, "helper-zh")
    with app.app_context():
        assert not sync_courses(tmp_path).errors


def test_course_overview_counts_enrolments_and_completions(demo_client):
    """The instructor's overview lists every course with how many enrolled and completed."""
    demo_client.login("instructor")
    page = _text(demo_client.get("/courses/manage"))
    assert "garbage-classification-zh" in page and "penalty-law-quiz-zh" in page
    row = re.search(r"garbage-classification-zh.*?</tr>", page).group(0)
    numbers = re.findall(r'class="text-end">(\d+)<', row.replace(" <", "<"))
    assert numbers[-2:] == ["3", "2"]  # enrolled: cadre, auxiliary, c1001; completed: cadre, c1001


def test_guessing_check_in_codes_is_rate_limited(site):
    """Ten tries a minute per account; the eleventh is refused, so a six-digit code cannot be guessed."""
    client = _client(site, "cadre1")
    for attempt in range(10):
        assert client.post_form("/check-in", {"code": f"{attempt:06d}"}).status_code == 200
    assert client.post_form("/check-in", {"code": "000011"}).status_code == 429


@pytest.mark.parametrize("language,labels", [
    ("en", ("Course", "Weekend class", "Experience sharing")),
    ("zh_Hans_CN", ("课程", "周末课堂", "经验分享")),
])
def test_ledger_names_every_source_in_the_readers_language(site, language, labels):
    """Hours from a course, a weekend class and an experience-sharing event (credited by mentorship) each
    show their source by name on "My training hours" and in its export, never the raw type."""
    today = utcnow().date()
    with site.app_context():
        cadre = db.session.execute(sa.select(User).where(User.username == "cadre1")).scalar_one()
        services.credit_hours(cadre, 2, services.COURSE_SOURCE, "basics", "基础课程", today)
        services.credit_hours(cadre, 3, services.CLASS_SOURCE, "7", "周末执法文书课堂", today)
        services.credit_hours(cadre, 1.5, "sharing_event", "1", "简案快办的经验与体会", today)
        db.session.commit()
    client = _client(site, "cadre1", language)
    page = _text(client.get("/training"))
    rows = {description: source for source, description in
            re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td> <td>([^<]*)</td>", page)}
    assert rows == {"基础课程": labels[0], "周末执法文书课堂": labels[1], "简案快办的经验与体会": labels[2]}
    assert "sharing_event" not in page
    exported = list(csv.reader(io.StringIO(client.get("/training/export?fmt=csv").data.decode("utf-8-sig"))))
    assert {row[4]: row[3] for row in exported[1:-1]} == rows


def test_course_page_links_to_the_test_that_completes_it(demo_client):
    """A course whose completion needs a test links to that test's page, which the learner can open."""
    import re

    demo_client.login("cadre")
    page = demo_client.get("/courses/penalty-law-essentials-en").get_data(as_text=True)
    match = re.search(r'href="(/quizzes/tests/\d+)">Go to the test', page)
    assert match, "no link to the linked test"
    assert "penalty" in demo_client.get(match.group(1)).get_data(as_text=True).lower()
