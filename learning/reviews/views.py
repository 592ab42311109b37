"""Pages of the case-file review: case files, rubric, cycles, scoring, bulletins, notices, own record."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from .. import charts
from ..auth import reauth_required
from ..extensions import db
from ..people.models import Department, User
from ..permissions import can, get_checked, permission_required
from ..tables import export_response
from . import services
from .forms import (
    AnswerForm,
    AssignForm,
    CaseForm,
    CycleForm,
    DecisionForm,
    ErratumForm,
    ImportForm,
    RubricForm,
    ScoreForm,
)
from .models import (
    DELIVERY_LABELS,
    GRADE_LABELS,
    NOTICE_STATUS_LABELS,
    PAYMENT_LABELS,
    PROCEDURE_LABELS,
    CaseFile,
    DeliveryChannel,
    PaymentChannel,
    Procedure,
    RectificationNotice,
    ReviewAssignment,
    ReviewCycle,
    SampledFile,
)
from .services import ReviewError

bp = Blueprint("reviews", __name__, template_folder="templates", url_prefix="/reviews")


def _per_page() -> int:
    """Rows per page of every list."""
    return current_app.config["PER_PAGE"]


@bp.app_context_processor
def _labels():
    """Labels of grades, procedures, notice states and case types, for the templates."""
    return {"grade_labels": {str(k): v for k, v in GRADE_LABELS.items()},
            "procedure_labels": {str(k): v for k, v in PROCEDURE_LABELS.items()},
            "notice_labels": NOTICE_STATUS_LABELS, "case_type_label": services.case_type_label,
            "delivery_labels": DELIVERY_LABELS, "payment_labels": PAYMENT_LABELS}


# --- bulletins ------------------------------------------------------------------------------------

@bp.route("/")
@permission_required("reviews.read_bulletin")
def index():
    """Published bulletins, newest first; reviewers also see the cycles in progress."""
    page = db.paginate(services.published_cycles_query(), per_page=_per_page(), error_out=False)
    open_cycles = []
    if can(current_user, "reviews.manage"):
        open_cycles = db.session.execute(sa.select(ReviewCycle).where(ReviewCycle.status == "open")
                                         .order_by(ReviewCycle.month.desc()).limit(12)).scalars().all()
    averages = services.monthly_averages()
    trend = charts.line_chart(_("Average score by month"), [month for month, _avg in averages],
                              {_("Average score"): [avg for _month, avg in averages]}, range_=(0, 100)) \
        if len(averages) > 1 else None
    return render_template("reviews/index.html", page=page, open_cycles=open_cycles, trend=trend)


def _cycle_for_month(month: str) -> ReviewCycle:
    """The cycle of ``YYYY-MM`` if the user may read it (404 for a bad or unknown month, else 403)."""
    if not services.MONTH.match(month):
        abort(404)
    cycle = services.find_cycle(month)
    if cycle is None:
        abort(404)
    return get_checked(ReviewCycle, cycle.id, "reviews.read_bulletin")


def _bulletin_charts(data: dict) -> dict:
    """The bulletin's charts, drawn from its frozen (already redacted) figures."""
    handling = data["handling"]
    trend = handling["trend"]
    return {
        "trend": charts.line_chart(_("Average handling days by month"), [row["month"] for row in trend],
                                   {_("Average days"): [row["average"] for row in trend]}),
        "by_type": charts.bar_chart(_("Average handling days by case type"),
                                    [services.case_type_label(row["code"]) for row in handling["by_type"]],
                                    [row["average"] for row in handling["by_type"]]),
        "ranking": charts.horizontal_bar_chart(_("Squad ranking (average score)"),
                                               [(row["squad"], row["average"] or 0) for row in data["ranking"]]),
    }


@bp.route("/<month>/")
@permission_required("reviews.read_bulletin")
def bulletin(month: str):
    """The published bulletin of a month; every text on it has passed the redaction function."""
    cycle = _cycle_for_month(month)
    if not cycle.is_published:
        return redirect(url_for("reviews.cycle", cycle_id=cycle.id))
    data = services.bulletin_data(cycle)
    return render_template("reviews/bulletin.html", cycle=cycle, data=data, charts=_bulletin_charts(data),
                           form=ErratumForm(), printing=False)


@bp.route("/<month>/print")
@permission_required("reviews.read_bulletin")
def bulletin_print(month: str):
    """The bulletin laid out for a notice board: no navigation, no forms."""
    cycle = _cycle_for_month(month)
    if not cycle.is_published:
        abort(404)
    data = services.bulletin_data(cycle)
    return render_template("reviews/bulletin_print.html", cycle=cycle, data=data, charts=_bulletin_charts(data),
                           printing=True)


@bp.route("/<month>/export")
@permission_required("reviews.read_bulletin")
def bulletin_export(month: str):
    """The bulletin's table of reviewed files as .xlsx or .csv (the same redacted texts as the page)."""
    cycle = _cycle_for_month(month)
    if not cycle.is_published:
        abort(404)
    data = services.bulletin_data(cycle)
    english = str(get_locale()) == "en"
    headers = [_("Case number"), _("Title"), _("Squad"), _("Handlers"), _("Score"), _("Grade"), _("Exemplary"),
               _("Key findings")]
    rows = [[row["case_number"], row["title"], row["squad"], "、".join(row["handlers"]), row["total"],
             str(GRADE_LABELS[row["grade"]]) if row["grade"] else "", row["is_exemplary"],
             "；".join(" — ".join(part for part in ((f["label_en"] if english else f["label"]), f["text"]) if part)
                      for f in row["findings"])]
            for row in data["files"]]
    return export_response(headers, rows, f"bulletin-{cycle.month}", request.args.get("fmt", "xlsx"))


@bp.route("/<month>/errata", methods=["POST"])
@permission_required("reviews.publish")
def add_erratum(month: str):
    """Append a correction with its reason to a published bulletin."""
    cycle = _cycle_for_month(month)
    form = ErratumForm()
    if form.validate_on_submit():
        try:
            services.add_erratum(current_user, cycle, form.text.data, form.reason.data)
        except ReviewError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("The erratum has been appended."), "success")
    else:
        flash(_("An erratum needs the correction and its reason."), "danger")
    return redirect(url_for("reviews.bulletin", month=cycle.month) if cycle.is_published
                    else url_for("reviews.cycle", cycle_id=cycle.id))


# --- case files -----------------------------------------------------------------------------------

@bp.route("/cases")
@permission_required("reviews.manage")
def cases():
    """Case files, searchable by number or title, filterable by squad and type."""
    search = request.args.get("q", "").strip()
    squad_id = request.args.get("squad", type=int)
    case_type = request.args.get("type") or None
    page = db.paginate(services.cases_query(search, squad_id, case_type), per_page=_per_page(), error_out=False)
    return render_template("reviews/cases.html", page=page, search=search, squad_id=squad_id, case_type=case_type,
                           squads=services.squads(), case_types=services.case_type_labels())


def _fill_case_choices(form: CaseForm) -> None:
    """Case types, squads and staff for the case form's lists."""
    staff = services.staff_choices()
    form.case_type.choices = [(code, str(label)) for code, label in services.case_type_labels().items()]
    form.squad_id.choices = [(squad.id, squad.name) for squad in services.squads()]
    form.lead_id.choices = [(user.id, f"{user.display_name} ({user.username})") for user in staff]
    form.co_handler_ids.choices = form.lead_id.choices


def _save_case_form(form: CaseForm, case: CaseFile | None):
    """Check what the form cannot (parties, date order, unique number) and save; None when refused."""
    parties, problems = services.parse_parties(form.parties.data)
    values = {name: getattr(form, name).data for name in ("discovered_on", "filed_on", "decided_on",
                                                          "delivered_on", "closed_on")}
    problems += services.date_problems(values)
    clash = services.find_case(form.case_number.data)
    if clash is not None and clash is not case:
        form.case_number.errors.append(_("Another case file has this case number."))
        return None
    if problems:
        form.parties.errors.extend(problems)
        return None
    lead = db.session.get(User, form.lead_id.data)
    wanted = list(form.co_handler_ids.data or [])
    found = {user.id: user for user in db.session.execute(sa.select(User).where(User.id.in_(wanted))).scalars()}
    co = [found.get(user_id) for user_id in wanted]
    case, _status = services.save_case(
        current_user, case, case_number=form.case_number.data, squad=db.session.get(Department, form.squad_id.data),
        lead=lead, co_handlers=[user for user in co if user], parties=parties,
        title=form.title.data.strip(), case_type=form.case_type.data, procedure=Procedure(form.procedure.data),
        facts=form.facts.data or "", legal_basis=form.legal_basis.data or "", is_warning=form.is_warning.data,
        fine_amount=form.fine_amount.data, confiscation=form.confiscation.data or "",
        delivery_channel=DeliveryChannel(form.delivery_channel.data) if form.delivery_channel.data else None,
        payment_channel=PaymentChannel(form.payment_channel.data) if form.payment_channel.data else None, **values)
    return case


@bp.route("/cases/new", methods=["GET", "POST"])
@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@permission_required("reviews.manage")
def edit_case(case_id: int | None = None):
    """Enter a case file, or correct one (changes are audited)."""
    case = db.get_or_404(CaseFile, case_id) if case_id else None
    form = CaseForm(obj=case)
    _fill_case_choices(form)
    if request.method == "GET" and case is not None:
        form.case_type.data = case.case_type
        form.procedure.data = case.procedure.value
        form.lead_id.data = case.lead.id if case.lead else None
        form.co_handler_ids.data = [user.id for user in case.co_handlers]
        form.parties.data = services.parties_text(case)
        form.delivery_channel.data = case.delivery_channel.value if case.delivery_channel else ""
        form.payment_channel.data = case.payment_channel.value if case.payment_channel else ""
    if form.validate_on_submit():
        saved = _save_case_form(form, case)
        if saved is not None:
            db.session.commit()
            flash(_("The case file %(number)s has been saved.", number=saved.case_number), "success")
            return redirect(url_for("reviews.case_detail", case_id=saved.id))
    return render_template("reviews/case_form.html", form=form, case=case)


@bp.route("/cases/<int:case_id>")
@permission_required("reviews.manage")
def case_detail(case_id: int):
    """One case file with its parties (reviewers only), handlers, dates and reviews."""
    case = db.session.execute(sa.select(CaseFile).where(CaseFile.id == case_id).options(
        selectinload(CaseFile.handlers), selectinload(CaseFile.parties), joinedload(CaseFile.squad))
    ).scalar_one_or_none()
    if case is None:
        abort(404)
    sampled = db.session.execute(sa.select(SampledFile).where(SampledFile.case_id == case.id)
                                 .options(joinedload(SampledFile.cycle))).scalars().all()
    return render_template("reviews/case_detail.html", case=case, sampled=sampled)


@bp.route("/cases/import", methods=["GET", "POST"])
@permission_required("reviews.manage")
def import_cases():
    """Import case files from CSV or .xlsx; shows what happened to every row."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        report = services.import_cases(current_user, upload.read(), upload.filename or "cases.csv")
        if report.error:
            db.session.rollback()
            flash(report.error, "danger")
        else:
            db.session.commit()
    return render_template("reviews/import.html", form=form, report=report, columns=services.CASE_COLUMNS)


# --- rubric ---------------------------------------------------------------------------------------

@bp.route("/rubric")
@permission_required("reviews.manage")
def rubric():
    """The current rubric version (the shipped default until one is saved)."""
    current = services.current_rubric()
    if current is not None:
        current = services.load_rubric(current.id)
    return render_template("reviews/rubric.html", rubric=current,
                           default_text=services.default_rubric_text() if current is None else None)


@bp.route("/rubric/new", methods=["GET", "POST"])
@permission_required("reviews.manage")
def new_rubric():
    """Save a new rubric version from YAML; cycles opened earlier keep the version they started with."""
    form = RubricForm()
    if request.method == "GET":
        current = services.current_rubric()
        form.text.data = services.rubric_text(current) if current else services.default_rubric_text()
    if form.validate_on_submit():
        try:
            created = services.create_rubric(current_user, form.text.data)
        except ReviewError as exc:
            form.text.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Rubric version %(version)d is now current.", version=created.version), "success")
            return redirect(url_for("reviews.rubric"))
    return render_template("reviews/rubric_form.html", form=form)


# --- cycles ---------------------------------------------------------------------------------------

@bp.route("/cycles/new", methods=["GET", "POST"])
@permission_required("reviews.manage")
def new_cycle():
    """Open the review of a month: draw the sample per squad and assign reviewers across units."""
    form = CycleForm()
    if request.method == "GET":
        today = date.today()
        previous = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
        form.month.data = previous.strftime("%Y-%m")
    if form.validate_on_submit():
        try:
            cycle = services.open_cycle(current_user, form.month.data, form.sample_size.data,
                                        form.reviewers_per_file.data, form.seed.data)
        except ReviewError as exc:
            form.month.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The cycle %(month)s is open with %(n)d files.", month=cycle.month, n=len(cycle.files)),
                  "success")
            return redirect(url_for("reviews.cycle", cycle_id=cycle.id))
    return render_template("reviews/cycle_form.html", form=form)


@bp.route("/cycles/<int:cycle_id>")
@permission_required("reviews.manage")
def cycle(cycle_id: int):
    """A cycle's sample: each file with its reviewers, scores, status and the publish button."""
    cycle = db.get_or_404(ReviewCycle, cycle_id)
    files = services.cycle_files(cycle)
    form = AssignForm()
    form.reviewer_id.choices = [(user.id, user.display_name) for user in services.reviewer_pool()]
    counts = {status: sum(1 for file in files if file.status == status) for status in ("pending", "recheck", "final")}
    return render_template("reviews/cycle.html", cycle=cycle, files=files, form=form, counts=counts)


@bp.route("/cycles/<int:cycle_id>/assign", methods=["POST"])
@permission_required("reviews.manage")
def assign(cycle_id: int):
    """Assign one more reviewer to a file of the cycle (never of their own squad or own case)."""
    cycle = db.get_or_404(ReviewCycle, cycle_id)
    form = AssignForm()
    form.reviewer_id.choices = [(user.id, user.display_name) for user in services.reviewer_pool()]
    if form.validate_on_submit():
        file = db.session.get(SampledFile, form.file_id.data)
        reviewer = db.session.get(User, form.reviewer_id.data)
        if file is None or file.cycle_id != cycle.id or reviewer is None:
            abort(404)
        try:
            services.assign_reviewer(current_user, file, reviewer)
        except ReviewError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("%(name)s has been assigned.", name=reviewer.display_name), "success")
    else:
        flash(_("Choose a file and a reviewer."), "danger")
    return redirect(url_for("reviews.cycle", cycle_id=cycle.id))


@bp.route("/cycles/<int:cycle_id>/publish", methods=["POST"])
@permission_required("reviews.publish")
@reauth_required
def publish(cycle_id: int):
    """Publish the cycle: it is frozen, and its bulletin appears at /reviews/<YYYY-MM>/."""
    cycle = db.get_or_404(ReviewCycle, cycle_id)
    try:
        services.publish_cycle(current_user, cycle)
    except ReviewError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("reviews.cycle", cycle_id=cycle.id))
    db.session.commit()
    flash(_("The bulletin of %(month)s is published.", month=cycle.month), "success")
    return redirect(url_for("reviews.bulletin", month=cycle.month))


# --- scoring --------------------------------------------------------------------------------------

@bp.route("/queue")
@permission_required("reviews.score")
def queue():
    """The files assigned to me in open cycles, those still to score first."""
    page = db.paginate(services.queue_query(current_user, include_done=True), per_page=_per_page(),
                       error_out=False)
    return render_template("reviews/queue.html", page=page)


def _float(value: str) -> float:
    """A number typed into the score form (an impossible -1 when it is not one, which the service refuses)."""
    try:
        return float((value or "0").strip() or 0)
    except ValueError:
        return -1.0


@bp.route("/assignments/<int:assignment_id>", methods=["GET", "POST"])
@permission_required("reviews.score")
def score(assignment_id: int):
    """Score one assigned file against the cycle's rubric: veto items, deductions, problem tags, findings."""
    _preloaded = db.session.execute(sa.select(ReviewAssignment).where(ReviewAssignment.id == assignment_id).options(
        joinedload(ReviewAssignment.file).joinedload(SampledFile.cycle),
        joinedload(ReviewAssignment.file).joinedload(SampledFile.case).options(
            joinedload(CaseFile.squad), selectinload(CaseFile.handlers), selectinload(CaseFile.parties)),
        selectinload(ReviewAssignment.veto_failures), selectinload(ReviewAssignment.deductions),
        selectinload(ReviewAssignment.findings))).scalar_one_or_none()
    assignment = get_checked(ReviewAssignment, assignment_id, "reviews.score")  # found in the session, no query
    file = assignment.file
    rubric = services.load_rubric(file.cycle.rubric_id)
    form = ScoreForm(obj=assignment)
    if form.validate_on_submit():
        criteria = [c for section in rubric.sections for c in section.criteria]
        entry = services.ScoreInput(
            failed_veto_ids=[item.id for item in rubric.veto_items if request.form.get(f"veto-{item.id}")],
            deductions=[(c.id, _float(request.form.get(f"points-{c.id}")), request.form.get(f"reason-{c.id}", ""))
                        for c in criteria],
            findings=[(tag.id, request.form.get(f"note-{tag.id}", "")) for tag in rubric.problem_tags
                      if request.form.get(f"tag-{tag.id}")],
            summary=form.summary.data or "", is_exemplary=form.is_exemplary.data,
            is_rectification_requested=form.is_rectification_requested.data)
        try:
            services.submit_score(current_user, assignment, entry)
        except ReviewError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            # Show the form again as it was sent, so nothing typed is lost.
            return render_template(
                "reviews/score.html", assignment=assignment, file=file, case=file.case, rubric=rubric, form=form,
                failed=set(entry.failed_veto_ids),
                deductions={c: SimpleNamespace(points=p, reason=r) for c, p, r in entry.deductions if p or r},
                findings={t: SimpleNamespace(text=text) for t, text in entry.findings})
        db.session.commit()
        flash(_("Score saved: %(total)s (%(grade)s).", total=format(assignment.total, "g"),
                grade=GRADE_LABELS[assignment.grade]), "success")
        return redirect(url_for("reviews.queue"))
    failed = {v.veto_item_id for v in assignment.veto_failures}
    deductions = {d.criterion_id: d for d in assignment.deductions}
    findings = {f.tag_id: f for f in assignment.findings}
    return render_template("reviews/score.html", assignment=assignment, file=file, case=file.case, rubric=rubric,
                           form=form, failed=failed, deductions=deductions, findings=findings)


# --- rectification --------------------------------------------------------------------------------

@bp.route("/notices")
@permission_required("reviews.respond")
def my_notices():
    """The rectification notices of the cases I handled."""
    page = db.paginate(services.notices_for(current_user), per_page=_per_page(), error_out=False)
    return render_template("reviews/my_notices.html", page=page, today=date.today())


@bp.route("/notices/all")
@permission_required("reviews.manage")
def notices():
    """All rectification notices (or only the overdue ones), for the reviewers."""
    overdue = request.args.get("overdue") == "1"
    status = request.args.get("status") or None
    if status not in (None, *NOTICE_STATUS_LABELS):
        status = None
    page = db.paginate(services.notices_query(status, date.today() if overdue else None), per_page=_per_page(),
                       error_out=False)
    return render_template("reviews/notices.html", page=page, overdue=overdue, status=status, today=date.today())


@bp.route("/notices/<int:notice_id>", methods=["GET", "POST"])
@permission_required("reviews.respond")
def notice(notice_id: int):
    """A rectification notice: the handlers answer it; the reviewer accepts or returns it."""
    notice = get_checked(RectificationNotice, notice_id, "reviews.respond")
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            services.answer_notice(current_user, notice, form.response.data)
        except ReviewError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Your answer has been sent to the reviewers."), "success")
            return redirect(url_for("reviews.my_notices"))
    return render_template("reviews/notice.html", notice=notice, form=form, decision=DecisionForm(),
                           can_answer=services.is_handler(current_user, notice.case_id), today=date.today())


@bp.route("/notices/<int:notice_id>/decide", methods=["POST"])
@permission_required("reviews.manage")
def decide_notice(notice_id: int):
    """Accept an answered notice, or return it with a note."""
    notice = db.get_or_404(RectificationNotice, notice_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            services.decide_notice(current_user, notice, accept=bool(form.accept.data), note=form.note.data or "")
        except ReviewError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("The decision has been recorded."), "success")
    return redirect(url_for("reviews.notice", notice_id=notice.id))


# --- per-officer record ---------------------------------------------------------------------------

@bp.route("/my-record")
@permission_required("reviews.view_own_record")
def my_record():
    """Every reviewed file I handled, with score, grade and findings (redacted)."""
    page = db.paginate(services.handled_files_query(current_user.id), per_page=_per_page(), error_out=False)
    findings = services.record_findings([file.id for file in page.items])
    average = services.review_scores([current_user.id], date(2000, 1, 1), date(2999, 12, 31))[current_user.id]
    return render_template("reviews/my_record.html", page=page, findings=findings, average=average)
