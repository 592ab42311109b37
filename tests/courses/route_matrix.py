"""Every route of courses, as every demo role (see tests/route_matrix.py)."""

from __future__ import annotations

from tests.route_matrix import Route, World, everyone, only

COURSE = "/courses/penalty-law-essentials-zh"


def _lesson(world: World) -> str:
    from learning.courses.models import Course, Lesson

    course = world.first(Course, Course.slug == "penalty-law-essentials-zh")
    return f"{COURSE}/lessons/{world.first(Lesson, Lesson.course_id == course.id, Lesson.position == 1).key}"


def _certificate(world: World) -> str:
    from learning.courses.models import Certificate

    return world.first(Certificate, Certificate.user_id == world.user("cadre").id).code


def _past_class(world: World) -> int:
    from learning.courses.models import ClassSession

    return world.first(ClassSession, ClassSession.closed_at.is_not(None)).id


def _future_class(world: World) -> int:
    from learning.audit import utcnow
    from learning.courses.models import Audience, ClassSession

    return world.first(ClassSession, ClassSession.starts_at > utcnow(), ClassSession.audience == Audience.all).id


TRAINING_STAFF = ("instructor", "hr")

ROUTES = [
    Route("courses.catalog", "/courses", everyone()),
    Route("courses.course", COURSE, everyone()),
    Route("courses.manage", "/courses/manage", only("instructor")),
    Route("courses.enrol", COURSE + "/enrol", everyone(302), method="POST"),
    Route("courses.lesson", _lesson, everyone()),
    Route("courses.mark_done", lambda w: _lesson(w) + "/done", everyone(302), method="POST"),
    Route("courses.certificates", "/certificates", everyone()),
    Route("courses.certificate", lambda w: f"/certificates/{_certificate(w)}", only("cadre", *TRAINING_STAFF)),
    Route("courses.certificate_download", lambda w: f"/certificates/{_certificate(w)}/pdf",
          only("cadre", *TRAINING_STAFF)),
    Route("courses.verify_form", "/verify", everyone(anonymous=200)),
    Route("courses.verify", lambda w: f"/verify/{_certificate(w)}", everyone(anonymous=200)),
    Route("courses.assignments", "/courses/assignments", only(*TRAINING_STAFF)),
    Route("courses.assignments", "/courses/assignments", only(*TRAINING_STAFF), method="POST",
          data={"course": ""}),
    Route("courses.overdue", "/courses/overdue", only(*TRAINING_STAFF)),
    Route("courses.classes", "/classes", everyone()),
    Route("courses.new_class", "/classes/new", only("instructor")),
    Route("courses.new_class", "/classes/new", only("instructor"), method="POST", data={"title": ""}),
    Route("courses.class_detail", lambda w: f"/classes/{_past_class(w)}", everyone()),
    Route("courses.edit_class", lambda w: f"/classes/{_future_class(w)}/edit", only("instructor")),
    Route("courses.edit_class", lambda w: f"/classes/{_future_class(w)}/edit", only("instructor"),
          method="POST", data={"title": ""}),
    Route("courses.register", lambda w: f"/classes/{_future_class(w)}/register", everyone(302), method="POST"),
    Route("courses.cancel_registration", lambda w: f"/classes/{_future_class(w)}/cancel", everyone(302),
          method="POST"),
    Route("courses.take_attendance", lambda w: f"/classes/{_past_class(w)}/attendance", only("instructor", status=302),
          method="POST"),
    Route("courses.open_checkin", lambda w: f"/classes/{_future_class(w)}/checkin-code",
          only("instructor", status=302), method="POST", data={"minutes": "10"}),
    Route("courses.close_class", lambda w: f"/classes/{_future_class(w)}/close", only("instructor", status=302),
          method="POST"),
    Route("courses.check_in", "/check-in", everyone()),
    Route("courses.check_in", "/check-in", everyone(), method="POST", data={"code": "000000"}),
    Route("courses.export_attendance", "/classes/attendance/export?fmt=csv", only(*TRAINING_STAFF)),
    Route("courses.hours", "/training", everyone()),
    Route("courses.export_my_hours", "/training/export?fmt=csv", everyone()),
    Route("courses.standing", "/training/people", only(*TRAINING_STAFF)),
    Route("courses.export_ledger", "/training/ledger/export?fmt=xlsx", only(*TRAINING_STAFF)),
]
