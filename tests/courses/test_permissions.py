"""Who may do what in courses: audiences, certificates, running a class, and signed-out visitors."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from learning.audit import utcnow
from learning.courses import services
from learning.courses.models import Audience
from learning.extensions import db
from learning.permissions import can
from tests.conftest import make_department, make_user

PASSWORD = "correct horse battery"


@pytest.fixture
def people(app, content):
    """Synced content, a cadre, an auxiliary, HR, an instructor and a mentor who teaches one class."""
    with app.test_request_context():
        from learning.courses.loader import sync_courses

        sync_courses(content)
        squad = make_department("sq1")
        users = {
            "cadre1": make_user("cadre1", department=squad),
            "aux1": make_user("aux1", department=squad, category="auxiliary"),
            "hr1": make_user("hr1", roles={"hr"}),
            "teacher": make_user("teacher", roles={"instructor"}),
            "guest": make_user("guest", roles={"mentor"}),
        }
        start = utcnow() + timedelta(days=2)
        own = services.create_session(users["teacher"], title="Guest lecture", description="", course_id=None,
                                      starts_at=start, ends_at=start + timedelta(hours=2), place="Hall",
                                      instructor_id=users["guest"].id, capacity=5, audience=Audience.all,
                                      credit_hours=0)
        other = services.create_session(users["teacher"], title="Auxiliary class", description="", course_id=None,
                                        starts_at=start, ends_at=start + timedelta(hours=2), place="Hall",
                                        instructor_id=users["teacher"].id, capacity=5,
                                        audience=Audience.auxiliary, credit_hours=0)
        for lesson in services.active_lessons(services.find_course("basics-zh")):
            services.mark_lesson_done(users["cadre1"], lesson)
        db.session.commit()
        code = db.session.execute(sa.select(services.Certificate.code)).scalar_one()
        return {"own": own.id, "auxiliary_class": other.id, "code": code}


def _client(app, username):
    client = app.test_client()
    client.login(username, PASSWORD)
    return client


def test_a_course_for_cadres_is_closed_to_auxiliary_staff(app, people):
    """The auxiliary neither sees nor opens the cadre-only course; the cadre does both."""
    aux, cadre = _client(app, "aux1"), _client(app, "cadre1")
    assert "cadre-only-zh" not in aux.get("/courses").get_data(as_text=True)
    assert aux.get("/courses/cadre-only-zh").status_code == 403
    assert aux.get("/courses/cadre-only-zh/lessons/01-scope").status_code == 403
    assert aux.post_form("/courses/cadre-only-zh/lessons/01-scope/done").status_code == 403
    assert "cadre-only-zh" in cadre.get("/courses").get_data(as_text=True)
    assert cadre.get("/courses/cadre-only-zh/lessons/01-scope").status_code == 200


def test_a_certificate_is_seen_by_its_holder_and_training_staff_only(app, people):
    """Another learner gets 403; HR may look; anyone may verify it."""
    url = f"/certificates/{people['code']}"
    assert _client(app, "cadre1").get(url).status_code == 200
    assert _client(app, "aux1").get(url).status_code == 403
    assert _client(app, "hr1").get(url).status_code == 200
    assert app.test_client().get(f"/verify/{people['code']}").status_code == 200


def test_the_named_instructor_runs_their_own_class_only(app, people):
    """A mentor who teaches a class may take its attendance but not another class's."""
    guest = _client(app, "guest")
    assert guest.get(f"/classes/{people['own']}/edit").status_code == 200
    assert guest.post_form(f"/classes/{people['own']}/checkin-code", {"minutes": "5"}).status_code == 302
    assert guest.get(f"/classes/{people['auxiliary_class']}/edit").status_code == 403
    assert guest.get("/classes/new").status_code == 403


def test_learners_cannot_take_attendance_or_close(app, people):
    """A learner posting to the instructor's actions gets 403."""
    cadre = _client(app, "cadre1")
    for action in ("attendance", "checkin-code", "close"):
        assert cadre.post_form(f"/classes/{people['own']}/{action}").status_code == 403


def test_a_class_for_auxiliary_staff_is_closed_to_cadres(app, people):
    """The cadre cannot open or register for an auxiliary-only class; the auxiliary can."""
    assert _client(app, "cadre1").get(f"/classes/{people['auxiliary_class']}").status_code == 403
    assert _client(app, "cadre1").post_form(f"/classes/{people['auxiliary_class']}/register").status_code == 403
    assert _client(app, "aux1").post_form(f"/classes/{people['auxiliary_class']}/register").status_code == 302


def test_signed_out_visitors_reach_only_verification(app, people):
    """Without signing in: /verify answers, everything else sends to the sign-in page."""
    client = app.test_client()
    assert client.get("/verify").status_code == 200
    for url in ("/courses", "/classes", "/training", "/check-in", f"/certificates/{people['code']}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


def test_role_permissions_of_training_staff(app, people):
    """Instructors and HR see everyone's hours and assign courses; only instructors run classes."""
    with app.app_context():
        users = {u.username: u for u in db.session.execute(sa.select(services.User)).scalars()}
        assert can(users["hr1"], "training.view_all") and can(users["teacher"], "training.view_all")
        assert can(users["hr1"], "courses.assign") and not can(users["hr1"], "classes.manage")
        assert not can(users["cadre1"], "training.view_all") and not can(users["cadre1"], "courses.assign")
