"""Pages of courses: catalog, lessons, certificates and verification, assignments, weekend classes and
the training-hours ledger. Views parse, load and check, call a service, commit and redirect."""

from __future__ import annotations

import importlib.util
import re

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, to_user_timezone, to_utc
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .. import charts, tables
from ..audit import utcnow
from ..extensions import client_address, db, limiter
from ..people.models import Department, User, UserRole
from ..people.services import departments
from ..permissions import can, get_checked, permission_required, require
from . import services
from .certificates import FontMissing, certificate_pdf
from .forms import AssignForm, CheckInForm, ClassForm, ConfirmForm, OpenCheckInForm
from .models import (
    ATTENDANCE_LABELS,
    AUDIENCE_LABELS,
    CATEGORIES,
    CATEGORY_LABELS,
    LANGUAGE_LABELS,
    Attendance,
    Audience,
    Certificate,
    ClassSession,
    Course,
    Lesson,
)

bp = Blueprint("courses", __name__, template_folder="templates")


@bp.app_context_processor
def _labels():
    """Translated labels of this area, for every template."""
    return {"course_category_labels": CATEGORY_LABELS, "audience_labels": AUDIENCE_LABELS,
            "attendance_labels": ATTENDANCE_LABELS, "language_labels": LANGUAGE_LABELS}


def _language() -> str:


    """The course language of the interface language (zh or en)."""
    return "en" if str(get_locale()).startswith("en") else "zh"


def _per_page() -> int:


    """Rows per page."""
    return current_app.config["PER_PAGE"]


def _year() -> int:


    """The year asked for in ``?year=`` (this year when missing or absurd)."""
    year = request.args.get("year", type=int) or utcnow().year
    return year if 2000 <= year <= 2100 else utcnow().year


def _load_course(slug: str) -> Course:


    """The course by slug (404) that the user may take (403)."""
    course = db.one_or_404(sa.select(Course).where(Course.slug == slug))
    require("courses.learn", course)
    return course


# --- catalog, course and lessons ---------------------------------------------------------------

@bp.route("/courses")
@permission_required("courses.learn")
def catalog():
    """The courses the user may take: assigned ones first with their due date, then their language."""
    category = request.args.get("category") if request.args.get("category") in CATEGORIES else None
    audience = request.args.get("audience") if request.args.get("audience") in {a.value for a in Audience} \
        else None
    search = request.args.get("q", "").strip()[:100]
    page = db.paginate(services.catalog_query(current_user, _language(), category, audience, search),
                       per_page=_per_page(), error_out=False)
    ids = [course.id for course in page.items]
    return render_template(
        "courses/catalog.html", page=page, category=category, audience=audience, search=search,
        totals=services.lesson_counts(ids), done=services.done_counts(current_user.id, ids),
        enrolments=services.enrolments_of(current_user.id, ids),
        assignments=services.assignments_of(current_user.id, ids), today=utcnow().date())


@bp.route("/courses/<slug>")
@permission_required("courses.learn")
def course(slug: str):
    """A course: introduction, outline with what is done, progress, and where to resume."""
    course = _load_course(slug)
    lessons = services.active_lessons(course)
    done = services.done_lesson_ids(current_user.id, course)
    enrolment = services.enrolments_of(current_user.id, [course.id]).get(course.id)
    certificate = db.session.execute(sa.select(Certificate).where(
        Certificate.user_id == current_user.id, Certificate.course_id == course.id)).scalar_one_or_none()
    return render_template(
        "courses/course.html", course=course, lessons=lessons, done=done, enrolment=enrolment,
        done_count=sum(1 for lesson in lessons if lesson.id in done),
        resume=services.resume_lesson(lessons, done, enrolment), certificate=certificate,
        assignment=services.assignments_of(current_user.id, [course.id]).get(course.id),
        versions=services.other_versions(course), form=ConfirmForm(), test_url=_linked_test_url(course))


def _linked_test_url(course) -> str | None:
    """Where the test that completes the course is taken, when the tests feature is installed."""
    if not course.test_slug or importlib.util.find_spec("learning.quizzes") is None:
        return None
    from ..quizzes.results import test_id_for_slug

    test_id = test_id_for_slug(course.test_slug)
    return url_for("quizzes.test_detail", test_id=test_id) if test_id else None


@bp.route("/courses/<slug>/enrol", methods=["POST"])
@permission_required("courses.learn")
def enrol(slug: str):
    """Enrol in a course and go to its first lesson."""
    course = _load_course(slug)
    if course.is_archived:
        abort(404)
    services.enrol(current_user, course)
    db.session.commit()
    lessons = services.active_lessons(course)
    if lessons:
        return redirect(url_for("courses.lesson", slug=slug, key=lessons[0].key))
    return redirect(url_for("courses.course", slug=slug))


def _load_lesson(slug: str, key: str) -> tuple[Course, Lesson]:


    """The course and one of its lessons by key (404), checked like the course."""
    course = _load_course(slug)
    lesson = db.one_or_404(sa.select(Lesson).where(Lesson.course_id == course.id, Lesson.key == key))
    return course, lesson


@bp.route("/courses/<slug>/lessons/<key>")
@permission_required("courses.learn")
def lesson(slug: str, key: str):
    """One lesson, rendered through the sanitising Markdown filter, with previous and next."""
    course, lesson = _load_lesson(slug, key)
    lessons = services.active_lessons(course)
    done = services.done_lesson_ids(current_user.id, course)
    index = next((i for i, item in enumerate(lessons) if item.id == lesson.id), None)
    previous = lessons[index - 1] if index is not None and index > 0 else None
    following = lessons[index + 1] if index is not None and index + 1 < len(lessons) else None
    return render_template("courses/lesson.html", course=course, lesson=lesson, lessons=lessons, done=done,
                           index=index, previous=previous, following=following, form=ConfirmForm(),
                           done_count=sum(1 for item in lessons if item.id in done))


@bp.route("/courses/<slug>/lessons/<key>/done", methods=["POST"])
@permission_required("courses.learn")
def mark_done(slug: str, key: str):
    """Mark a lesson done and go on to the next one (or back to the course when it was the last)."""
    course, lesson = _load_lesson(slug, key)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        enrolment, certificate = services.mark_lesson_done(current_user, lesson)
    except services.CourseError as error:
        flash(str(error), "warning")
        return redirect(url_for("courses.course", slug=slug))
    db.session.commit()
    if certificate is not None:
        hours = f"{course.credit_hours:g}"
        flash(_("Course completed: %(hours)s training hours credited and your certificate is ready.",
                hours=hours), "success")
        return redirect(url_for("courses.certificate", code=certificate.code))
    lessons = services.active_lessons(course)
    done = services.done_lesson_ids(current_user.id, course)
    index = next((i for i, item in enumerate(lessons) if item.id == lesson.id), len(lessons))
    if index + 1 < len(lessons):
        return redirect(url_for("courses.lesson", slug=slug, key=lessons[index + 1].key))
    if all(item.id in done for item in lessons) and course.test_slug and enrolment.test_passed_at is None:
        flash(_("Every lesson is done. Pass the course's test to complete it."), "info")
    return redirect(url_for("courses.course", slug=slug))


@bp.route("/courses/manage")
@permission_required("courses.manage")
def manage():
    """Every course loaded from the content files (archived ones too), with enrolments and completions."""
    page = db.paginate(sa.select(Course).order_by(Course.is_archived, Course.group_key, Course.language),
                       per_page=_per_page(), error_out=False)
    ids = [course.id for course in page.items]
    return render_template("courses/manage.html", page=page, totals=services.lesson_counts(ids),
                           stats=services.enrolment_stats(ids))


# --- certificates ---------------------------------------------------------------------------

@bp.route("/certificates")
@permission_required("courses.learn")
def certificates():
    """The user's certificates."""
    page = db.paginate(sa.select(Certificate).where(Certificate.user_id == current_user.id)
                       .order_by(Certificate.issued_at.desc()), per_page=_per_page(), error_out=False)
    return render_template("courses/certificates.html", page=page)


def _load_certificate(code: str) -> Certificate:


    """The certificate by code (404) that the user may see (403)."""
    certificate = services.find_certificate(code)
    if certificate is None:
        abort(404)
    require("courses.learn", certificate)
    return certificate


@bp.route("/certificates/<code>")
@permission_required("courses.learn")
def certificate(code: str):
    """A printable certificate."""
    certificate = _load_certificate(code)
    return render_template("courses/certificate.html", certificate=certificate,
                           verify_url=url_for("courses.verify", code=certificate.code, _external=True))


@bp.route("/certificates/<code>/pdf")
@permission_required("courses.learn")
def certificate_download(code: str):
    """The certificate as PDF; when the server has no Chinese font, says so and offers the print page."""
    certificate = _load_certificate(code)
    try:
        body = certificate_pdf(certificate, url_for("courses.verify", code=certificate.code, _external=True))
    except FontMissing as error:
        flash(_("The PDF cannot be made: %(reason)s Print this page instead.", reason=str(error)), "warning")
        return redirect(url_for("courses.certificate", code=certificate.code))
    response = current_app.response_class(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="certificate-{certificate.code}.pdf"'
    return response


@bp.route("/verify", methods=["GET"])
def verify_form():
    """Anyone may check a certificate code here, signed in or not."""
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("courses.verify", code=code[:40]))
    return render_template("courses/verify.html", certificate=None, code="")


@bp.route("/verify/<code>")
def verify(code: str):
    """Confirms a certificate (holder, course, hours, date) or says that no such certificate exists."""
    certificate = services.find_certificate(code)
    response = current_app.make_response(
        (render_template("courses/verify.html", certificate=certificate, code=code[:40]),
         200 if certificate else 404))
    return response


# --- assignments ----------------------------------------------------------------------------

def _fill_assign_form(form: AssignForm) -> None:

    """Course choices (each group, then each version) and departments of the assignment form."""
    courses = db.session.execute(sa.select(Course).where(Course.is_archived.is_(False))
                                 .order_by(Course.group_key, Course.language)).scalars().all()
    choices, seen = [], set()
    for course in courses:
        if course.group_key not in seen:
            seen.add(course.group_key)
            choices.append((course.group_key, _("%(title)s (each person's language)", title=course.title)))
        choices.append((course.slug, f"{course.title} [{LANGUAGE_LABELS.get(course.language, course.language)}]"))
    form.course.choices = choices
    form.department_id.choices = [(0, "—")] + [(d.id, d.name) for d in departments()]


@bp.route("/courses/assignments", methods=["GET", "POST"])
@permission_required("courses.assign")
def assignments():
    """Assign a course to a department, a staff category or named people; the assignments made so far."""
    form = AssignForm()
    _fill_assign_form(form)
    if form.validate_on_submit():
        scope = form.scope.data
        users, label = [], ""
        if scope == "department" and form.department_id.data:
            department = db.session.get(Department, form.department_id.data)
            users, label = services.users_in_scope(department_id=department.id), department.name
        elif scope == "category":
            users = services.users_in_scope(category=form.category.data)
            label = str(dict(form.category.choices)[form.category.data])
        elif scope == "people":
            names = [n for n in re.split(r"[\s,，;；、]+", form.usernames.data or "") if n]
            found = db.session.execute(sa.select(User).where(User.username.in_(names))).scalars().all()
            unknown = sorted(set(names) - {user.username for user in found})
            if unknown:
                form.usernames.errors.append(_("Unknown employee numbers: %(names)s", names=", ".join(unknown)))
            users, label = list(found), ", ".join(names)[:120]
        if not users and not form.errors:
            flash(_("Nobody is in the chosen group."), "warning")
        elif users and not form.usernames.errors:
            count = services.assign_course(current_user, form.course.data, users, form.due_on.data,
                                           form.reason.data or "", scope=label)
            db.session.commit()
            flash(_("People assigned: %(count)d.", count=count), "success")
            return redirect(url_for("courses.assignments"))
    department_id = request.args.get("department", type=int)
    page = db.paginate(services.assignments_query(department_id), per_page=_per_page(), error_out=False)
    completed = services.completed_course_ids([a.user_id for a in page.items], [a.course_id for a in page.items])
    return render_template("courses/assignments.html", form=form, page=page, completed=completed,
                           departments=departments(), department_id=department_id, today=utcnow().date())


@bp.route("/courses/overdue")
@permission_required("training.view_all")
def overdue():
    """Assigned courses past their due date and not completed, per department."""
    department_id = request.args.get("department", type=int)
    today = utcnow().date()
    page = db.paginate(services.overdue_query(today, department_id), per_page=_per_page(), error_out=False)
    ids = [a.course_id for a in page.items]
    return render_template("courses/overdue.html", page=page, departments=departments(),
                           department_id=department_id, today=today, totals=services.lesson_counts(ids))


# --- weekend classes ----------------------------------------------------------------------------

@bp.route("/classes")
@permission_required("classes.attend")
def classes():
    """Upcoming weekend classes (or past ones), with seats left and the user's registration."""
    past = request.args.get("past") == "1"
    now = utcnow()
    page = db.paginate(services.sessions_query(not past, now, current_user), per_page=_per_page(),
                       error_out=False)
    ids = [session.id for session in page.items]
    return render_template("courses/classes.html", page=page, past=past, now=now,
                           seats=services.seat_counts(ids),
                           registrations=services.registrations_of(current_user.id, ids))


def _fill_class_form(form: ClassForm) -> None:


    """Course and instructor choices of the class form."""
    courses = db.session.execute(sa.select(Course.id, Course.title).where(Course.is_archived.is_(False))
                                 .order_by(Course.title)).all()
    form.course_id.choices = [(0, "—")] + [(cid, title) for cid, title in courses]
    teachers = db.session.execute(
        sa.select(User).where(User.is_active_account.is_(True),
                              User.roles.any(UserRole.role.in_(["instructor", "mentor"])))
        .order_by(User.username)).scalars().all()
    if current_user not in teachers:
        teachers = [current_user, *teachers]
    form.instructor_id.choices = [(user.id, f"{user.display_name} ({user.username})") for user in teachers]


def _class_fields(form: ClassForm) -> dict:


    """The class form's values as ``create_session`` takes them (times converted to UTC)."""
    return {
        "title": form.title.data.strip(), "description": form.description.data or "",
        "course_id": form.course_id.data or None, "starts_at": to_utc(form.starts_at.data),
        "ends_at": to_utc(form.ends_at.data), "place": form.place.data.strip(),
        "instructor_id": form.instructor_id.data, "capacity": form.capacity.data,
        "audience": Audience(form.audience.data), "credit_hours": form.credit_hours.data or 0,
    }


@bp.route("/classes/new", methods=["GET", "POST"])
@permission_required("classes.manage")
def new_class():
    """Schedule a weekend class."""
    form = ClassForm()
    _fill_class_form(form)
    if request.method == "GET":
        form.instructor_id.data = current_user.id
    if form.validate_on_submit():
        try:
            session = services.create_session(current_user, **_class_fields(form))
        except services.CourseError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("The class has been scheduled."), "success")
            return redirect(url_for("courses.class_detail", session_id=session.id))
    return render_template("courses/class_form.html", form=form, session=None)


@bp.route("/classes/<int:session_id>/edit", methods=["GET", "POST"])
@permission_required("classes.attend")
def edit_class(session_id: int):
    """Change a class's details until attendance is closed."""
    session = get_checked(ClassSession, session_id, "classes.manage")
    form = ClassForm(obj=session)
    _fill_class_form(form)
    if request.method == "GET":
        form.starts_at.data = to_user_timezone(session.starts_at).replace(tzinfo=None)
        form.ends_at.data = to_user_timezone(session.ends_at).replace(tzinfo=None)
        form.course_id.data = session.course_id or 0
        form.audience.data = session.audience.value
    if form.validate_on_submit():
        try:
            services.update_session(current_user, session, **_class_fields(form))
        except services.CourseError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("The class has been saved."), "success")
            return redirect(url_for("courses.class_detail", session_id=session.id))
    return render_template("courses/class_form.html", form=form, session=session)


@bp.route("/classes/<int:session_id>")
@permission_required("classes.attend")
def class_detail(session_id: int):
    """A class: details, registration; for its instructor the roster, attendance and check-in code."""
    session = db.session.execute(sa.select(ClassSession).options(
        joinedload(ClassSession.instructor), joinedload(ClassSession.course))
        .where(ClassSession.id == session_id)).scalar_one_or_none()
    if session is None:
        abort(404)
    require("classes.attend", session)
    manages = can(current_user, "classes.manage", session)
    now = utcnow()
    return render_template(
        "courses/class_detail.html", session=session, manages=manages, now=now,
        roster=services.roster(session) if manages else [],
        seats=services.seat_counts([session.id]).get(session.id, 0),
        registration=services.registrations_of(current_user.id, [session.id]).get(session.id),
        form=ConfirmForm(), checkin_form=OpenCheckInForm(), attendance_choices=list(Attendance),
        checkin_open=bool(session.checkin_code and session.checkin_opens_at <= now <= session.checkin_closes_at
                          and not session.is_closed))


@bp.route("/classes/<int:session_id>/register", methods=["POST"])
@permission_required("classes.attend")
def register(session_id: int):
    """Register for a class (a full class puts you on the waiting list)."""
    session = get_checked(ClassSession, session_id, "classes.attend")
    try:
        registration = services.register(current_user, session)
    except services.CourseError as error:
        flash(str(error), "warning")
    else:
        db.session.commit()
        if registration.is_waitlisted:
            flash(_("The class is full: you are on the waiting list."), "info")
        else:
            flash(_("You are registered."), "success")
    return redirect(url_for("courses.class_detail", session_id=session.id))


@bp.route("/classes/<int:session_id>/cancel", methods=["POST"])
@permission_required("classes.attend")
def cancel_registration(session_id: int):
    """Withdraw a registration before the class starts."""
    session = get_checked(ClassSession, session_id, "classes.attend")
    try:
        services.cancel_registration(current_user, session)
    except services.CourseError as error:
        flash(str(error), "warning")
    else:
        db.session.commit()
        flash(_("Your registration has been withdrawn."), "info")
    return redirect(url_for("courses.class_detail", session_id=session.id))


@bp.route("/classes/<int:session_id>/attendance", methods=["POST"])
@permission_required("classes.attend")
def take_attendance(session_id: int):
    """Save the attendance marks and notes of the roster."""
    session = get_checked(ClassSession, session_id, "classes.manage")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    marks = {}
    for name, value in request.form.items():
        match = re.fullmatch(r"attendance-(\d+)", name)
        if match:
            registration_id = int(match.group(1))
            attendance = Attendance(value) if value in Attendance.__members__ else None
            marks[registration_id] = (attendance, request.form.get(f"note-{registration_id}", ""))
    try:
        changed = services.mark_attendance(current_user, session, marks)
    except services.CourseError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("Attendance saved (%(count)d changed).", count=changed), "success")
    return redirect(url_for("courses.class_detail", session_id=session.id))


@bp.route("/classes/<int:session_id>/checkin-code", methods=["POST"])
@permission_required("classes.attend")
def open_checkin(session_id: int):
    """Show a new check-in code for some minutes."""
    session = get_checked(ClassSession, session_id, "classes.manage")
    form = OpenCheckInForm()
    if form.validate_on_submit():
        try:
            services.open_checkin(current_user, session, form.minutes.data)
        except services.CourseError as error:
            flash(str(error), "warning")
        else:
            db.session.commit()
    else:
        flash(_("Give the minutes the code stays valid (1 to 240)."), "warning")
    return redirect(url_for("courses.class_detail", session_id=session.id))


@bp.route("/classes/<int:session_id>/close", methods=["POST"])
@permission_required("classes.attend")
def close_class(session_id: int):
    """Close attendance: unmarked registrants become absent and attendees are credited the hours."""
    session = get_checked(ClassSession, session_id, "classes.manage")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    absent = services.close_session(current_user, session)
    db.session.commit()
    flash(_("Attendance closed; %(count)d unmarked registrants were marked absent.", count=absent), "success")
    return redirect(url_for("courses.class_detail", session_id=session.id))


def _check_in_key() -> str:
    """Rate-limit key: check-in attempts of one account (a six-digit code must not be guessed)."""
    return f"check-in:{current_user.id if current_user.is_authenticated else client_address()}"


@bp.route("/check-in", methods=["GET", "POST"])
@limiter.limit("10 per minute", key_func=_check_in_key, methods=["POST"])
@permission_required("classes.attend")
def check_in():
    """Enter the code shown in class to be marked present."""
    form = CheckInForm()
    if form.validate_on_submit():
        outcome = services.check_in(current_user, form.code.data)
        if outcome.ok:
            db.session.commit()
            flash(outcome.message, "success")
            return redirect(url_for("courses.class_detail", session_id=outcome.session.id))
        db.session.rollback()
        flash(outcome.message, "danger")
    return render_template("courses/check_in.html", form=form)


@bp.route("/classes/attendance/export")
@permission_required("training.view_all")
def export_attendance():
    """Attendance of the year's classes, with each class's duration, as .xlsx or .csv."""
    year = _year()
    start, end = services.year_bounds(year)
    rows = db.session.execute(services.attendance_export_query(
        start, end, request.args.get("department", type=int))).scalars().all()
    headers = [_("Class"), _("Date"), _("Starts"), _("Ends"), _("Duration (hours)"), _("Hours credited"),
               _("Place"), _("Employee number"), _("Name"), _("Department"), _("Attendance"), _("Note")]
    body = []
    for r in rows:
        start_local, end_local = to_user_timezone(r.session.starts_at), to_user_timezone(r.session.ends_at)
        attendance = (str(ATTENDANCE_LABELS[r.attendance]) if r.attendance
                      else _("Waiting list") if r.is_waitlisted else _("Not marked"))
        body.append([r.session.title, start_local.date(), start_local.strftime("%H:%M"), end_local.strftime("%H:%M"),
                     r.session.duration_hours, r.session.credit_hours if r.attendance in (Attendance.present,
                                                                                          Attendance.late) else 0,
                     r.session.place, r.user.username, r.user.display_name,
                     r.user.department.name if r.user.department else "", attendance, r.note])
    return tables.export_response(headers, body, f"attendance-{year}", request.args.get("fmt", "xlsx"))


# --- training hours ------------------------------------------------------------------------

def _ledger_rows(query) -> list[list]:

    """Export rows of a ledger query."""
    entries = db.session.execute(query).scalars().all()
    return [[e.earned_on, e.user.username, e.user.display_name, e.source_label,
             e.description, e.hours] for e in entries]


def _ledger_headers() -> list[str]:


    """Column headers of the ledger export."""
    return [_("Date"), _("Employee number"), _("Name"), _("Source"), _("Description"), _("Hours")]


@bp.route("/training")
@permission_required("courses.learn")
def hours():
    """My training hours this year against the annual requirement, and the ledger they come from."""
    year = _year()
    start, end = services.year_bounds(year)
    page = db.paginate(services.ledger_query(current_user.id, start, end), per_page=_per_page(), error_out=False)
    chart = charts.bar_chart(_("Hours by month"), [str(month) for month in range(1, 13)],
                             services.hours_by_month(current_user.id, year), series=_("Hours"))
    return render_template("courses/hours.html", page=page, year=year, chart=chart,
                           total=services.ledger_total(current_user.id, start, end),
                           required=float(current_app.config["ANNUAL_TRAINING_HOURS"]),
                           course_progress=services.course_progress_for(current_user.id))


@bp.route("/training/export")
@permission_required("courses.learn")
def export_my_hours():
    """My ledger of the year as .xlsx or .csv (its total is the one the page shows)."""
    year = _year()
    start, end = services.year_bounds(year)
    rows = _ledger_rows(services.ledger_query(current_user.id, start, end))
    rows.append(["", "", "", "", _("Total"), services.ledger_total(current_user.id, start, end)])
    return tables.export_response(_ledger_headers(), rows, f"training-hours-{year}", request.args.get("fmt", "xlsx"))


@bp.route("/training/people")
@permission_required("training.view_all")
def standing():
    """Everyone's hours this year, fewest first, by department: who is behind the requirement."""
    year = _year()
    start, end = services.year_bounds(year)
    department_id = request.args.get("department", type=int)
    required = float(current_app.config["ANNUAL_TRAINING_HOURS"])
    page = db.paginate(services.standing_query(start, end, department_id), per_page=_per_page(), error_out=False)
    by_department = services.department_hours(start, end, required)
    chart = charts.horizontal_bar_chart(_("Average training hours by department"),
                                        [(name, average) for name, average, _behind, _people in by_department])
    return render_template(
        "courses/standing.html", page=page, year=year, required=required, department_id=department_id,
        chart=chart, by_department=by_department,
        departments=departments(), totals=services.training_hours([u.id for u in page.items], start, end),
        behind=services.behind_count(start, end, required, department_id),
        grand_total=services.ledger_total(None, start, end, department_id))


@bp.route("/training/ledger/export")
@permission_required("training.view_all")
def export_ledger():
    """The ledger of the year (optionally one department) as .xlsx or .csv, with its total."""
    year = _year()
    start, end = services.year_bounds(year)
    department_id = request.args.get("department", type=int)
    rows = _ledger_rows(services.ledger_query(None, start, end, department_id))
    rows.append(["", "", "", "", _("Total"), services.ledger_total(None, start, end, department_id)])
    return tables.export_response(_ledger_headers(), rows, f"training-ledger-{year}", request.args.get("fmt", "xlsx"))


