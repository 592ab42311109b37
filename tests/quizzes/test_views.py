"""Taking a test through the pages: saving, resuming, the server's deadline, submitting once, results,
the anonymous grading queue, statistics and exports."""

from __future__ import annotations

import io
import re
import threading
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from learning.audit import AuditEvent
from learning.extensions import db
from learning.people.models import User
from learning.quizzes import services
from learning.quizzes.models import Attempt, AttemptQuestion, AttemptStatus, Test

from ..conftest import make_user
from .conftest import SECRET_EXPLANATION, SECRET_FILL, SECRET_SOURCE, answers_for, make_test

PASSWORD = "correct horse battery"


def _start(client, test_id: int) -> int:
    response = client.post_form(f"/quizzes/tests/{test_id}/start")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))


def _attempt(attempt_id: int) -> Attempt:
    return db.session.get(Attempt, attempt_id)


def _new_test(data, **rules) -> int:
    with data():
        return make_test(**rules).id


def _values(data, attempt_id: int, right: bool = True) -> dict[int, list[str]]:
    with data():
        return answers_for(_attempt(attempt_id), right)


def _user(username: str) -> User:
    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one()


def test_running_attempt_page_contains_no_correct_answer(client, site, data):
    """Every question page of a running attempt is free of keys, explanations and sources."""
    test_id = _new_test(data, review="after_submit")
    client.login("learner1", PASSWORD)
    attempt_id = _start(client, test_id)
    for position in range(0, 6):
        page = client.get(f"/quizzes/attempts/{attempt_id}?q={position}").get_data(as_text=True)
        for secret in (SECRET_EXPLANATION, SECRET_SOURCE, SECRET_FILL, "RUBRIC", "correct\"", "２００"):
            assert secret not in page, (position, secret)
    assert "Which are penalties?" in client.get(f"/quizzes/attempts/{attempt_id}?q=2").get_data(as_text=True)


def test_answers_saved_in_background_survive_a_reload(client, site, data):
    """The script's background save stores the answer; reloading shows it selected, with the server's time."""
    test_id = _new_test(data, time_limit_minutes=20)
    client.login("learner1", PASSWORD)
    attempt_id = _start(client, test_id)
    values = _values(data, attempt_id)
    response = client.post(f"/quizzes/attempts/{attempt_id}/answer",
                           data={"position": "4", "response": values[4]},
                           headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 200 and response.json["saved"] is True
    assert 1190 <= response.json["seconds_left"] <= 1200
    page = client.get(f"/quizzes/attempts/{attempt_id}?q=4").get_data(as_text=True)
    assert f'value="{values[4][0]}"' in page
    assert 'id="countdown" data-seconds-left="' in page


def test_save_and_next_works_without_script_and_resumes_on_start(client, site, data):
    """'Save and next' stores the answer and moves on; starting again resumes the same attempt."""
    test_id = _new_test(data)
    client.login("learner1", PASSWORD)
    attempt_id = _start(client, test_id)
    values = _values(data, attempt_id)
    response = client.post_form(f"/quizzes/attempts/{attempt_id}/save",
                                {"position": "1", "response": values[1], "action": "next"})
    assert response.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}?q=2")
    assert _start(client, test_id) == attempt_id
    with data():
        assert _attempt(attempt_id).items[0].response is not None
    page = client.get(f"/quizzes/attempts/{attempt_id}?q=1").get_data(as_text=True)
    assert re.search(rf'value="{values[1][0]}"\s+checked', page)


def test_coming_back_after_the_deadline_shows_the_graded_result(client, site, data):
    """After the deadline the attempt page grades what was saved and sends the learner to the result."""
    test_id = _new_test(data, refs=["demo-bank/q-single", "demo-bank/q-tf"], time_limit_minutes=10)
    client.login("learner1", PASSWORD)
    attempt_id = _start(client, test_id)
    values = _values(data, attempt_id)
    client.post_form(f"/quizzes/attempts/{attempt_id}/save", {"position": "1", "response": values[1]})
    with data():
        db.session.execute(sa.update(Attempt).where(Attempt.id == attempt_id)
                           .values(deadline_at=services.utcnow() - timedelta(seconds=1)))
    late = client.post_form(f"/quizzes/attempts/{attempt_id}/save", {"position": "2", "response": values[2]})
    assert late.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}/result")
    with data():
        attempt = _attempt(attempt_id)
        assert attempt.status == AttemptStatus.graded and attempt.score == 1.0 and attempt.is_auto_submitted
    page = client.get(f"/quizzes/attempts/{attempt_id}", follow_redirects=True).get_data(as_text=True)
    assert "50%" in page and "submitted automatically" in page


def test_leaving_and_coming_back_after_the_deadline_grades_on_next_access(client, site, data):
    """Never submitted: opening the attempt page after the deadline grades it on the saved answers."""
    test_id = _new_test(data, refs=["demo-bank/q-single", "demo-bank/q-tf"], time_limit_minutes=10)
    client.login("learner1", PASSWORD)
    attempt_id = _start(client, test_id)
    values = _values(data, attempt_id)
    client.post_form(f"/quizzes/attempts/{attempt_id}/save", {"position": "2", "response": values[2]})
    with data():
        db.session.execute(sa.update(Attempt).where(Attempt.id == attempt_id)
                           .values(deadline_at=services.utcnow() - timedelta(seconds=1)))
    response = client.get(f"/quizzes/attempts/{attempt_id}")
    assert response.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}/result")
    with data():
        assert _attempt(attempt_id).score == 1.0


def test_two_simultaneous_submissions_grade_once(app, client, site, data):
    """Two tabs submit at the same moment: one grading, one audit entry, both see the result."""
    test_id = _new_test(data, refs=["demo-bank/q-single"])
    client.login("learner1", PASSWORD)
    attempt_id = _start(client, test_id)
    second = app.test_client()
    second.login("learner1", PASSWORD)
    barrier = threading.Barrier(2)
    statuses = []

    def submit(tab):
        token = tab.csrf_token()
        barrier.wait()
        statuses.append(tab.post(f"/quizzes/attempts/{attempt_id}/submit", data={"csrf_token": token}).status_code)

    threads = [threading.Thread(target=submit, args=(tab,)) for tab in (client, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    with data():
        submitted = db.session.execute(sa.select(sa.func.count(AuditEvent.id))
                                       .where(AuditEvent.action == "attempt.submitted")).scalar_one()
        assert submitted == 1
        assert _attempt(attempt_id).status == AttemptStatus.graded


def test_review_policy_after_close_hides_answers_until_the_window_closes(client, site, data):
    """With 'after the window closes' the result shows the score but no key until the close passes."""
    now = services.utcnow()
    test_id = _new_test(data, refs=["demo-bank/q-single", "demo-bank/q-fill"], review="after_close",
                        closes_at=now + timedelta(hours=1))
    client.login("learner1", PASSWORD)
    attempt_id = _start(client, test_id)
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    page = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "0%" in page and SECRET_EXPLANATION not in page and SECRET_FILL not in page
    with data():
        db.session.get(Test, test_id).closes_at = now - timedelta(minutes=1)
    page = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert SECRET_EXPLANATION in page and SECRET_FILL in page and SECRET_SOURCE in page


def test_learner_cannot_see_or_change_another_persons_attempt(app, client, site, data):
    """Another learner gets 403 on every page and action of someone else's attempt."""
    test_id = _new_test(data)
    client.login("learner1", PASSWORD)
    attempt_id = _start(client, test_id)
    other = app.test_client()
    other.login("learner2", PASSWORD)
    assert other.get(f"/quizzes/attempts/{attempt_id}").status_code == 403
    assert other.get(f"/quizzes/attempts/{attempt_id}/result").status_code == 403
    assert other.post_form(f"/quizzes/attempts/{attempt_id}/save",
                           {"position": "1", "response": "1"}).status_code == 403
    assert other.post_form(f"/quizzes/attempts/{attempt_id}/answer",
                           {"position": "1", "response": "1"}).status_code == 403
    assert other.post_form(f"/quizzes/attempts/{attempt_id}/submit").status_code == 403
    with data():
        attempt = _attempt(attempt_id)
        assert attempt.status == AttemptStatus.open and attempt.items[0].response is None


def test_grading_queue_is_anonymous_and_grading_finalises(app, client, site, data):
    """The grader sees the answer and rubric but not the name; the grade makes the result final."""
    test_id = _new_test(data, refs=["demo-bank/q-single", "demo-bank/q-short"])
    client.login("learner1", PASSWORD)
    attempt_id = _start(client, test_id)
    values = _values(data, attempt_id)
    for position, value in values.items():
        client.post_form(f"/quizzes/attempts/{attempt_id}/save", {"position": str(position), "response": value})
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    assert "Waiting for manual grading" in client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    grader = app.test_client()
    grader.login("teacher1", PASSWORD)
    queue = grader.get("/quizzes/grading").get_data(as_text=True)
    with data():
        item_id = db.session.execute(sa.select(AttemptQuestion.id).where(AttemptQuestion.needs_grading.is_(True))
                                     ).scalar_one()
    page = grader.get(f"/quizzes/grading/{item_id}").get_data(as_text=True)
    for text in (queue, page):
        assert "Learner Zhang" not in text and "learner1" not in text
    assert f"#{item_id}" in queue
    assert "General procedure with two officers." in page and "RUBRIC" in page
    assert grader.post_form(f"/quizzes/grading/{item_id}", {"points": "9", "feedback": ""}).status_code == 200
    response = grader.post_form(f"/quizzes/grading/{item_id}", {"points": "4", "feedback": "Name the steps."})
    assert response.status_code == 302
    with data():
        attempt = _attempt(attempt_id)
        assert attempt.status == AttemptStatus.graded and attempt.score == 5.0
    result = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "83%" in result and "Name the steps." in result and "Change the grade" not in result
    assert "Change the grade" in grader.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    grader.post_form(f"/quizzes/grading/{item_id}", {"points": "5", "feedback": "Complete after review."})
    with data():
        assert _attempt(attempt_id).score == 6.0
        change = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "answer.regraded")).scalar_one()
        assert change.before_data["score"] == 4.0 and change.after_data["score"] == 5.0


def test_statistics_page_and_exports(app, client, site, data):
    """The instructor sees the distribution chart, pass rate and items; exports open as .xlsx and .csv."""
    with data():
        test = make_test(refs=["demo-bank/q-single", "demo-bank/q-tf"])
        test_id = test.id
        for username, right in (("learner1", True), ("learner2", False)):
            attempt = services.start_attempt(_user(username), test)
            for position, value in answers_for(attempt, right).items():
                services.save_answer(attempt, attempt.items[position - 1], value)
            services.submit_attempt(attempt)
    client.login("teacher1", PASSWORD)
    page = client.get(f"/quizzes/manage/tests/{test_id}/statistics").get_data(as_text=True)
    assert "<svg" in page and "Score distribution" in page and "50%" in page
    assert "Learner Zhang" in page and "demo-bank/q-single" in page
    csv = client.get(f"/quizzes/manage/tests/{test_id}/export/csv")
    text = csv.data.decode("utf-8-sig")
    assert csv.mimetype == "text/csv" and "learner1" in text and "learner2" in text
    xlsx = client.get(f"/quizzes/manage/tests/{test_id}/export/xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Employee number" and len(rows) == 3
    items = client.get(f"/quizzes/manage/tests/{test_id}/export/csv?table=items").data.decode("utf-8-sig")
    assert items.splitlines()[0].startswith("Question,") and "demo-bank/q-tf" in items
    client.logout()
    client.login("learner1", PASSWORD)
    assert client.get(f"/quizzes/manage/tests/{test_id}/statistics").status_code == 403


def test_question_edit_makes_a_version_and_regrade_page_applies_it(client, site, data):
    """Editing through the form makes version 2; the regrade page lists and then changes the attempt."""
    with data():
        test = make_test(refs=["demo-bank/q-tf"])
        attempt = services.start_attempt(_user("learner1"), test)
        services.save_answer(attempt, attempt.items[0], ["false"])
        services.submit_attempt(attempt)
        attempt_id = attempt.id
    question_id = site["q-tf"]
    client.login("teacher1", PASSWORD)
    form = {"bank": "demo-bank", "key": "q-tf", "language": "en", "type": "truefalse", "difficulty": "1",
            "points": "1", "tags": "simple-procedure", "text": "A squad may detain a street vendor.",
            "answer": "true", "explanation": "Corrected.", "source": "Art. 18", "scoring": "all_or_nothing"}
    response = client.post_form(f"/quizzes/manage/questions/{question_id}/edit", form)
    assert response.status_code == 302
    preview = client.get(f"/quizzes/manage/questions/{question_id}/regrade").get_data(as_text=True)
    assert f"#{attempt_id}" in preview and "Learner Zhang" in preview
    with data():
        assert _attempt(attempt_id).score == 1.0
    applied = client.post_form(f"/quizzes/manage/questions/{question_id}/regrade").get_data(as_text=True)
    assert "1 attempts changed" in applied
    with data():
        assert _attempt(attempt_id).score == 0.0


def test_override_form_requires_a_reason(client, site, data):
    """The override form refuses an empty reason and saves one with a reason."""
    test_id = _new_test(data)
    client.login("teacher1", PASSWORD)
    url = f"/quizzes/manage/tests/{test_id}/overrides"
    assert client.post_form(url, {"username": "learner1", "extra_minutes": "10", "reason": ""}).status_code == 200
    assert client.post_form(url, {"username": "learner1", "extra_minutes": "10", "reason": "Injured hand"}
                            ).status_code == 302
    assert "Injured hand" in client.get(url).get_data(as_text=True)


def test_window_and_assignment_open_a_test_to_someone_outside_its_audience(client, site, data):
    """A cadre-only test opens to an auxiliary once assigned to them; the window is set in local time."""
    with data():
        test_id = make_test(audience="cadre").id
        make_user("aux1", category="auxiliary", password=PASSWORD)
    client.login("teacher1", PASSWORD)
    response = client.post_form(f"/quizzes/manage/tests/{test_id}/settings",
                                {"opens_at": "2026-03-01T08:00", "closes_at": "2036-03-31T18:00"})
    assert response.status_code == 302
    with data():
        assert db.session.get(Test, test_id).opens_at.hour == 0  # 08:00 in Shanghai is 00:00 UTC
    client.logout()
    client.login("aux1", PASSWORD)
    assert client.get(f"/quizzes/tests/{test_id}").status_code == 404
    client.logout()
    client.login("teacher1", PASSWORD)
    assigned = client.post_form(f"/quizzes/manage/tests/{test_id}/assign",
                                {"department_id": "0", "staff_category": "", "usernames": "aux1", "reason": "Catch-up"})
    assert assigned.status_code == 302
    client.logout()
    client.login("aux1", PASSWORD)
    assert client.get(f"/quizzes/tests/{test_id}").status_code == 200
    listing = client.get("/quizzes/tests").get_data(as_text=True)
    assert f"/quizzes/tests/{test_id}" in listing and "Assigned" in listing


def test_dashboard_panels(client, site, data):
    """Learners see their tests panel; instructors see the grading queue's count."""
    client.login("learner1", PASSWORD)
    assert 'data-panel="quizzes.my_tests"' in client.get("/").get_data(as_text=True)
    client.logout()
    client.login("teacher1", PASSWORD)
    page = client.get("/").get_data(as_text=True)
    assert 'data-panel="quizzes.grading"' in page


def test_test_page_says_why_a_new_attempt_cannot_start(client, site, data):
    """With its one attempt used, the test page says so instead of offering the start button."""
    test_id = _new_test(data, refs=["demo-bank/q-single"], attempts_allowed=1)
    client.login("learner1", PASSWORD)
    assert "Start the test" in client.get(f"/quizzes/tests/{test_id}").get_data(as_text=True)
    attempt_id = _start(client, test_id)
    client.post_form(f"/quizzes/attempts/{attempt_id}/submit")
    page = client.get(f"/quizzes/tests/{test_id}").get_data(as_text=True)
    assert "You have used all your attempts at this test." in page and "Start the test" not in page
    refused = client.post_form(f"/quizzes/tests/{test_id}/start", follow_redirects=True).get_data(as_text=True)
    assert "You have used all your attempts" in refused
