"""Tests for learners (my tests, taking an attempt, results) and for instructors (question bank,
windows, assignments, overrides, grading queue, statistics and exports)."""

from __future__ import annotations

import re
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from .. import charts, permissions
from ..content import ContentError
from ..database import begin_write
from ..extensions import db
from ..markup import plain_text
from ..people.models import Department, User
from ..permissions import permission_required
from ..tables import export_response
from . import services, statistics
from .forms import AssignForm, GradeForm, OverrideForm, QuestionForm, WindowForm
from .loader import validate_question
from .models import (
    ATTEMPT_STATUS_LABELS,
    AUDIENCE_LABELS,
    GRADING_LABELS,
    QUESTION_TYPE_LABELS,
    REVIEW_LABELS,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    Question,
    QuestionType,
    QuestionVersion,
    Test,
    TestAssignment,
    TestOverride,
)

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes", template_folder="templates")

SCRIPT_PATH = Path(__file__).with_name("static") / "attempt.js"


@bp.route("/attempt.js")
def script():
    """The attempt page's script (background saving and the countdown), a static file of this package."""
    response = current_app.response_class(SCRIPT_PATH.read_bytes(), mimetype="text/javascript")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def _per_page() -> int:
    """Rows per list page (setting PER_PAGE)."""
    return current_app.config["PER_PAGE"]


def _zone() -> ZoneInfo:
    """The bureau's time zone, in which instructors enter windows."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def to_utc(local: datetime | None) -> datetime | None:
    """A local date and time from a form, as the UTC naive value the database stores."""
    if local is None:
        return None
    return local.replace(tzinfo=_zone()).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def to_local(value: datetime | None) -> datetime | None:
    """A stored UTC naive value as local time, to fill a form."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(_zone()).replace(tzinfo=None)


def _language() -> str:
    """The content language matching the interface language (zh or en)."""
    return "en" if str(get_locale()).startswith("en") else "zh"


# --- learners ------------------------------------------------------------------------------------

@bp.route("/tests")
@permission_required("quizzes.take")
def my_tests():
    """The tests open to me, my running attempts and a link to my results."""
    begin_write()  # overdue attempts of mine are graded before the list is shown
    services.close_overdue(user_id=current_user.id)
    db.session.commit()
    page = db.paginate(services.tests_for_user_query(current_user, _language()), per_page=_per_page(),
                       error_out=False)
    ids = [test.id for test in page.items]
    mine = {test_id: (count, best, running) for test_id, count, best, running in db.session.execute(
        sa.select(Attempt.test_id, sa.func.count(Attempt.id), sa.func.max(Attempt.percent),
                  sa.func.max(sa.case((Attempt.status == AttemptStatus.open, Attempt.id))))
        .where(Attempt.user_id == current_user.id, Attempt.test_id.in_(ids)).group_by(Attempt.test_id))}
    overrides = {row.test_id: row for row in db.session.execute(
        sa.select(TestOverride).where(TestOverride.user_id == current_user.id, TestOverride.test_id.in_(ids)))
        .scalars()}
    rows = [(test, services.rules_for(test, overrides.get(test.id)), *mine.get(test.id, (0, None, None)))
            for test in page.items]
    return render_template("quizzes/my_tests.html", page=page, rows=rows, now=services.utcnow(),
                           dues=services.due_dates(current_user, ids))


@bp.route("/results")
@permission_required("quizzes.take")
def my_results():
    """My finished attempts, newest first."""
    query = (sa.select(Attempt).where(Attempt.user_id == current_user.id, Attempt.status != AttemptStatus.open)
             .order_by(Attempt.finished_at.desc(), Attempt.id.desc()))
    page = db.paginate(query, per_page=_per_page(), error_out=False)
    return render_template("quizzes/my_results.html", page=page, status_labels=ATTEMPT_STATUS_LABELS)


@bp.route("/tests/<int:test_id>")
@permission_required("quizzes.take")
def test_detail(test_id: int):
    """A test's description and rules, my attempts at it, and the button to start or resume."""
    test = db.get_or_404(Test, test_id)
    if not services.may_take(current_user, test) and not permissions.can(current_user, "quizzes.manage"):
        abort(404)
    rules = services.rules_for(test, services.override_for(test, current_user))
    attempts = db.session.execute(sa.select(Attempt).where(Attempt.test_id == test.id,
                                                           Attempt.user_id == current_user.id)
                                  .order_by(Attempt.number)).scalars().all()
    running = next((attempt for attempt in attempts if attempt.is_open), None)
    used = len(attempts)
    now = services.utcnow()
    refusal = None if running else services.why_not_start(current_user, test, rules, used, now)
    return render_template("quizzes/test_detail.html", test=test, rules=rules, attempts=attempts, running=running,
                           refusal=refusal, used=used, now=now, status_labels=ATTEMPT_STATUS_LABELS,
                           grading_labels=GRADING_LABELS, review_labels=REVIEW_LABELS)


@bp.route("/tests/<int:test_id>/start", methods=["POST"])
@permission_required("quizzes.take")
def start(test_id: int):
    """Start an attempt (or resume the running one) and go to its first question."""
    test = db.get_or_404(Test, test_id)
    try:
        attempt = services.start_attempt(current_user, test)
        db.session.commit()
    except services.AttemptRefused as refusal:
        db.session.commit()  # an overdue attempt closed on the way is kept
        flash(str(refusal), "warning")
        return redirect(url_for("quizzes.test_detail", test_id=test.id))
    except sa.exc.IntegrityError:  # another tab started the same attempt at the same moment
        db.session.rollback()
        attempt = services.open_attempt(test, current_user)
        if attempt is None:
            abort(409)
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


def _load_attempt(attempt_id: int, permission: str) -> Attempt:
    """The attempt, or 404/403 by the object rule ``permission``."""
    return permissions.get_checked(Attempt, attempt_id, permission)


@bp.route("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    """One question of my running attempt (``?q=n``), or the overview before submitting (``?q=0``).

    The page never contains a correct answer; an attempt whose deadline passed is graded here.
    """
    begin_write()
    attempt = _load_attempt(attempt_id, "quizzes.answer_attempt")
    if services.close_if_overdue(attempt):
        db.session.commit()
        flash(_("The time was up. Your test was graded on the answers saved."), "info")
    if not attempt.is_open:
        db.session.commit()
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    db.session.commit()
    items = db.session.execute(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
                               .order_by(AttemptQuestion.position)).scalars().all()
    position = request.args.get("q", 1, type=int)
    overview = position == 0
    position = min(max(position, 1), len(items))
    item = items[position - 1]
    return render_template("quizzes/attempt.html", attempt=attempt, items=items, item=item, overview=overview,
                           seconds_left=services.seconds_left(attempt), answered=sum(i.is_answered for i in items))


@bp.route("/attempts/<int:attempt_id>/save", methods=["POST"])
@login_required
def save(attempt_id: int):
    """Save the answer on the page (works without script), then go to the previous, next or overview page."""
    attempt = _load_attempt(attempt_id, "quizzes.answer_attempt")
    position = request.form.get("position", type=int) or 1
    item = _item(attempt, position)
    saved = services.save_answer(attempt, item, request.form.getlist("response"))
    if not saved:
        services.close_if_overdue(attempt)
        db.session.commit()
        flash(_("The answer was not saved: the test is over."), "warning")
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    db.session.commit()
    action = request.form.get("action", "next")
    count = len(attempt.items)
    if action == "prev":
        target = max(1, position - 1)
    elif action == "finish" or position >= count:
        target = 0
    else:
        target = position + 1
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id, q=target))


def _item(attempt: Attempt, position: int) -> AttemptQuestion:
    """The attempt's question at ``position`` (404 when there is none)."""
    item = db.session.execute(sa.select(AttemptQuestion).where(
        AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == position)).scalar_one_or_none()
    if item is None:
        abort(404)
    return item


@bp.route("/attempts/<int:attempt_id>/answer", methods=["POST"])
@login_required
def save_answer(attempt_id: int):
    """Save one answer in the background (the page's script); answers JSON with the server's time left."""
    attempt = _load_attempt(attempt_id, "quizzes.answer_attempt")
    item = _item(attempt, request.form.get("position", type=int) or 0)
    saved = services.save_answer(attempt, item, request.form.getlist("response"))
    if not saved:
        services.close_if_overdue(attempt)
        db.session.commit()
        return jsonify(saved=False, closed=True, result_url=url_for("quizzes.result", attempt_id=attempt.id)), 409
    db.session.commit()
    return jsonify(saved=True, seconds_left=services.seconds_left(attempt))


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int):
    """Submit the attempt; a second submission (another tab) changes nothing and shows the result."""
    attempt = _load_attempt(attempt_id, "quizzes.answer_attempt")
    services.submit_attempt(attempt)
    db.session.commit()
    return redirect(url_for("quizzes.result", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    """The result of a finished attempt; answers and explanations only as the review policy allows."""
    begin_write()
    attempt = _load_attempt(attempt_id, "quizzes.view_attempt")
    services.close_if_overdue(attempt)
    db.session.commit()
    if attempt.is_open:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    is_owner = attempt.user_id == current_user.id
    show_key = services.review_allowed(attempt) or not is_owner
    items = db.session.execute(sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
                               .options(selectinload(AttemptQuestion.key_version))
                               .order_by(AttemptQuestion.position)).scalars().all()
    return render_template("quizzes/result.html", attempt=attempt, items=items, show_key=show_key,
                           is_owner=is_owner,
                           can_grade=not is_owner and permissions.can(current_user, "quizzes.grade"),
                           status_labels=ATTEMPT_STATUS_LABELS, review_labels=REVIEW_LABELS)


# --- grading -------------------------------------------------------------------------------------

@bp.route("/grading")
@permission_required("quizzes.grade")
def grading_queue():
    """Short answers waiting for a grader, without the learners' names."""
    page = db.paginate(services.grading_queue_query().where(Attempt.user_id != current_user.id),
                       per_page=_per_page(), error_out=False)
    return render_template("quizzes/grading_queue.html", page=page)


@bp.route("/grading/<int:item_id>", methods=["GET", "POST"])
@permission_required("quizzes.grade")
def grade_item(item_id: int):
    """Grade one short answer against its rubric: points and feedback; the learner stays anonymous."""
    item = permissions.get_checked(AttemptQuestion, item_id, "quizzes.grade_answer")
    if item.attempt.status not in services.FINISHED or not item.key_version.is_manual:
        abort(404)
    form = GradeForm(obj=None if request.method == "POST" else _grade_defaults(item))
    if form.validate_on_submit():
        if form.points.data > item.points:
            form.points.errors.append(_("At most %(points)s points.", points=_points(item.points)))
        else:
            services.grade_answer(current_user, item, form.points.data, form.feedback.data or "")
            db.session.commit()
            flash(_("The grade has been saved."), "success")
            return redirect(url_for("quizzes.grading_queue"))
    return render_template("quizzes/grade_item.html", item=item, form=form)


def _grade_defaults(item: AttemptQuestion):
    """The grade form's initial values: the grade given before, if any."""

    class Defaults:
        points = item.score
        feedback = item.feedback

    return Defaults


def _points(value: float) -> str:
    """Points without a needless decimal (5, 2.5)."""
    return f"{value:g}"


# --- question bank -------------------------------------------------------------------------------

@bp.route("/manage/questions")
@permission_required("quizzes.manage")
def questions():
    """The question bank, filterable by bank, language, type and text."""
    bank = request.args.get("bank") or None
    language = request.args.get("language") or None
    kind = request.args.get("type") or None
    search = request.args.get("q", "").strip()
    query = (sa.select(Question).join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
             .where(Question.is_archived.is_(False)).order_by(Question.bank, Question.key, Question.language))
    if bank:
        query = query.where(Question.bank == bank)
    if language:
        query = query.where(Question.language == language)
    if kind in QuestionType.__members__:
        query = query.where(QuestionVersion.type == QuestionType(kind))
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(sa.or_(sa.func.lower(QuestionVersion.text).like(pattern),
                                   sa.func.lower(Question.key).like(pattern)))
    page = db.paginate(query, per_page=_per_page(), error_out=False)
    banks = db.session.execute(sa.select(Question.bank).distinct().order_by(Question.bank)).scalars().all()
    return render_template("quizzes/questions.html", page=page, banks=banks, bank=bank, language=language,
                           kind=kind, search=search, type_labels=QUESTION_TYPE_LABELS, plain_text=plain_text)


def _fill_question_form(form: QuestionForm, question: Question) -> None:
    """Fill the question form from the current version."""
    version = question.current_version
    form.bank.data, form.key.data, form.language.data = question.bank, question.key, question.language
    form.type.data, form.difficulty.data, form.points.data = version.type.value, version.difficulty, version.points
    form.tags.data = ", ".join(version.tags)
    form.text.data, form.explanation.data, form.source.data = version.text, version.explanation, version.source
    form.options.data = "\n".join(("* " if option["correct"] else "") + option["text"] for option in version.options)
    form.scoring.data = version.scoring
    form.answer.data = "true" if version.answer_bool else "false"
    form.answers.data = "\n".join(version.accepted_answers)
    form.rubric.data = version.rubric


@bp.route("/manage/questions/new", methods=["GET", "POST"])
@bp.route("/manage/questions/<int:question_id>/edit", methods=["GET", "POST"])
@permission_required("quizzes.manage")
def edit_question(question_id: int | None = None):
    """Add a question, or edit one: the edit becomes a new version and past attempts keep theirs."""
    question = db.get_or_404(Question, question_id) if question_id else None
    form = QuestionForm()
    if question is not None:
        for field in (form.bank, form.key, form.language):
            field.render_kw = {"readonly": True}
        if request.method == "GET":
            _fill_question_form(form, question)
        else:
            form.bank.data, form.key.data, form.language.data = question.bank, question.key, question.language
    if form.validate_on_submit():
        try:
            data = validate_question(form.question_data(), "form", None)
        except ContentError as error:
            form.options.errors.append(error.reason)
        else:
            clash = db.session.execute(sa.select(Question).where(
                Question.bank == form.bank.data, Question.key == data["key"],
                Question.language == form.language.data)).scalar_one_or_none()
            if question is None and clash is not None:
                form.key.errors.append(_("This bank has a question with this key in this language."))
            else:
                question = services.save_question(current_user, question, form.bank.data, data["key"],
                                                  form.language.data, data)
                db.session.commit()
                flash(_("Saved as version %(number)d.", number=question.current_version.number), "success")
                return redirect(url_for("quizzes.questions", bank=question.bank))
    versions = []
    if question is not None:
        versions = db.session.execute(sa.select(QuestionVersion).where(QuestionVersion.question_id == question.id)
                                      .order_by(QuestionVersion.number.desc())).scalars().all()
    return render_template("quizzes/question_form.html", form=form, question=question, versions=versions)


@bp.route("/manage/questions/<int:question_id>/regrade", methods=["GET", "POST"])
@permission_required("quizzes.manage")
def regrade(question_id: int):
    """Apply the question's current answer key to past attempts: a preview, then the audited change."""
    question = db.get_or_404(Question, question_id)
    if request.method == "POST":
        changed = services.regrade(current_user, question)
        db.session.commit()
        flash(_("%(count)d attempts changed.", count=len(changed)), "success")
        return render_template("quizzes/regrade.html", question=question, changes=changed, applied=True)
    changes = [change for change in services.regrade_changes(question) if change.old_score != change.new_score]
    return render_template("quizzes/regrade.html", question=question, changes=changes, applied=False)


# --- tests ---------------------------------------------------------------------------------------

@bp.route("/manage/tests")
@permission_required("quizzes.manage")
def manage_tests():
    """Every test with its window, graded attempts and answers waiting for a grader."""
    page = db.paginate(sa.select(Test).where(Test.is_archived.is_(False)).order_by(Test.language, Test.title),
                       per_page=_per_page(), error_out=False)
    ids = [test.id for test in page.items]
    counts = {test_id: (graded, pending) for test_id, graded, pending in db.session.execute(
        sa.select(Attempt.test_id,
                  sa.func.coalesce(sa.func.sum(sa.case((Attempt.status == AttemptStatus.graded, 1), else_=0)), 0),
                  sa.func.coalesce(sa.func.sum(sa.case((Attempt.status == AttemptStatus.pending, 1), else_=0)), 0))
        .where(Attempt.test_id.in_(ids)).group_by(Attempt.test_id))}
    return render_template("quizzes/manage_tests.html", page=page, counts=counts, audience_labels=AUDIENCE_LABELS)


@bp.route("/manage/tests/<int:test_id>/settings", methods=["GET", "POST"])
@permission_required("quizzes.manage")
def test_settings(test_id: int):
    """Set the test's window (opening and closing time); the rest comes from the test's file."""
    test = db.get_or_404(Test, test_id)
    form = WindowForm()
    if request.method == "GET":
        form.opens_at.data, form.closes_at.data = to_local(test.opens_at), to_local(test.closes_at)
    if form.validate_on_submit():
        opens, closes = to_utc(form.opens_at.data), to_utc(form.closes_at.data)
        if opens and closes and closes <= opens:
            form.closes_at.errors.append(_("The test must close after it opens."))
        else:
            services.set_window(current_user, test, opens, closes)
            db.session.commit()
            flash(_("The window has been saved."), "success")
            return redirect(url_for("quizzes.manage_tests"))
    assignments = db.session.execute(sa.select(TestAssignment).where(TestAssignment.test_id == test.id)
                                     .options(selectinload(TestAssignment.department),
                                              selectinload(TestAssignment.user))
                                     .order_by(TestAssignment.id.desc()).limit(50)).scalars().all()
    return render_template("quizzes/test_settings.html", test=test, form=form, assignments=assignments,
                           grading_labels=GRADING_LABELS, review_labels=REVIEW_LABELS,
                           audience_labels=AUDIENCE_LABELS)


@bp.route("/manage/tests/<int:test_id>/assign", methods=["GET", "POST"])
@permission_required("quizzes.manage")
def assign(test_id: int):
    """Assign the test to a department, a staff category or named people, with a due date."""
    test = db.get_or_404(Test, test_id)
    form = AssignForm()
    form.department_id.choices = [(0, "—")] + [(d.id, d.name) for d in db.session.execute(
        sa.select(Department).order_by(Department.code)).scalars()]
    if form.validate_on_submit():
        names = [name for name in re.split(r"[\s,，]+", form.usernames.data or "") if name]
        users = db.session.execute(sa.select(User).where(User.username.in_(names))).scalars().all() if names else []
        unknown = sorted(set(names) - {user.username for user in users})
        department = db.session.get(Department, form.department_id.data or 0)
        if unknown:
            form.usernames.errors.append(_("Unknown employee numbers: %(names)s", names=", ".join(unknown)))
        elif department is None and not form.staff_category.data and not users:
            form.usernames.errors.append(_("Choose a department, a staff category or people."))
        else:
            due = datetime.combine(form.due_on.data, time(23, 59)) if form.due_on.data else None
            count = services.assign_test(current_user, test, department=department,
                                         staff_category=form.staff_category.data or None, users=users,
                                         due_on=to_utc(due), reason=form.reason.data or "")
            db.session.commit()
            flash(_("%(count)d assignments added.", count=count), "success")
            return redirect(url_for("quizzes.test_settings", test_id=test.id))
    return render_template("quizzes/assign.html", test=test, form=form)


@bp.route("/manage/tests/<int:test_id>/overrides", methods=["GET", "POST"])
@permission_required("quizzes.manage")
def overrides(test_id: int):
    """Per-person overrides of a test (extra time, extra attempts, own window), each with its reason."""
    test = db.get_or_404(Test, test_id)
    form = OverrideForm()
    if form.validate_on_submit():
        user = db.session.execute(sa.select(User).where(User.username == form.username.data.strip())
                                  ).scalar_one_or_none()
        if user is None:
            form.username.errors.append(_("No account has this employee number."))
        else:
            services.set_override(current_user, test, user, extra_minutes=form.extra_minutes.data or 0,
                                  extra_attempts=form.extra_attempts.data or 0,
                                  opens_at=to_utc(form.opens_at.data), closes_at=to_utc(form.closes_at.data),
                                  reason=form.reason.data)
            db.session.commit()
            flash(_("The override for %(name)s has been saved.", name=user.display_name), "success")
            return redirect(url_for("quizzes.overrides", test_id=test.id))
    page = db.paginate(sa.select(TestOverride).where(TestOverride.test_id == test.id)
                       .options(selectinload(TestOverride.user)).order_by(TestOverride.created_at.desc()),
                       per_page=_per_page(), error_out=False)
    return render_template("quizzes/overrides.html", test=test, form=form, page=page)


# --- statistics ----------------------------------------------------------------------------------

MOST_MISSED = 20
"""How many questions the statistics page lists; the item export has them all."""


@bp.route("/manage/tests/<int:test_id>/statistics")
@permission_required("quizzes.statistics")
def test_statistics(test_id: int):
    """Score distribution, pass rate, the most missed questions and every finished attempt."""
    test = db.get_or_404(Test, test_id)
    summary = statistics.summary(test.id)
    counts = statistics.distribution(test.id)
    chart = charts.bar_chart(_("Score distribution"), statistics.BANDS, counts, series=_("Attempts"))
    items = statistics.item_analysis(test.id, limit=MOST_MISSED)
    page = db.paginate(statistics.attempts_query(test.id), per_page=_per_page(), error_out=False)
    return render_template("quizzes/statistics.html", test=test, summary=summary, chart=chart, items=items,
                           page=page, status_labels=ATTEMPT_STATUS_LABELS, plain_text=plain_text)


@bp.route("/manage/tests/<int:test_id>/export/<fmt>")
@permission_required("quizzes.statistics")
def export(test_id: int, fmt: str):
    """Every finished attempt of the test (or, with ``?table=items``, the item analysis) as .xlsx or .csv."""
    if fmt not in ("xlsx", "csv"):
        abort(404)
    test = db.get_or_404(Test, test_id)
    if request.args.get("table") == "items":
        headers = [_("Question"), _("Language"), _("Text"), _("Shown"), _("Facility"), _("Discrimination")]
        rows = [(row["question"].ref, row["question"].language, plain_text(row["question"].current_version.text),
                 row["shown"], row["facility"], row["discrimination"]) for row in statistics.item_analysis(test.id)]
        return export_response(headers, rows, f"{test.slug}-items", fmt)
    attempts = db.session.execute(statistics.attempts_query(test.id)
                                  .options(joinedload(Attempt.user).joinedload(User.department))).scalars()
    headers = [_("Employee number"), _("Name"), _("Department"), _("Attempt"), _("Started"), _("Finished"),
               _("Score"), _("Maximum"), _("Percent"), _("Passed"), _("Status")]
    rows = [(a.user.username, a.user.display_name, a.user.department.name if a.user.department else "",
             a.number, to_local(a.started_at), to_local(a.finished_at), a.score, a.max_score, a.percent,
             a.is_passed, str(ATTEMPT_STATUS_LABELS[a.status])) for a in attempts]
    return export_response(headers, rows, f"{test.slug}-attempts", fmt)
