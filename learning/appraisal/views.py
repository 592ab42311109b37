"""Appraisal pages: one's own evaluations and scorecards; HR's schemes, evaluations, appeals, scorecards,
registry and recruitment; the legal-affairs rating; the published ranking notice."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from .. import audit, charts
from ..auth import confirm_password_first
from ..extensions import db
from ..people import services as people_services
from ..people.models import Department, User
from ..permissions import can, get_checked, permission_required, require
from ..tables import export_response
from . import policy, recruitment, registry, scorecard, services, sources
from .forms import (
    AnswerForm,
    AppealForm,
    ApplicantForm,
    BandForm,
    CriterionForm,
    HireForm,
    LegalRatingForm,
    OpenPeriodForm,
    PeriodForm,
    PositionForm,
    RecordForm,
    RoundForm,
    RuleForm,
    SchemeForm,
    ScoresForm,
    UploadForm,
)
from .models import (
    APPEAL_STATUS_LABELS,
    AUDIENCE_LABELS,
    CRITERION_KIND_LABELS,
    EDUCATION_LABELS,
    ELEMENT_LABELS,
    ELEMENTS,
    EVALUATION_STATUS_LABELS,
    GENDER_LABELS,
    PERIOD_TYPE_LABELS,
    RULE_KIND_LABELS,
    STATUS_LABELS,
    Appeal,
    Applicant,
    Audience,
    AuxiliaryStaff,
    Band,
    Criterion,
    CriterionKind,
    Education,
    EligibilityRule,
    Evaluation,
    EvaluationStatus,
    LegalRating,
    PeriodType,
    RecruitmentPosition,
    RecruitmentRound,
    RuleKind,
    Scheme,
    Scorecard,
    ScorecardPeriod,
    StaffStatus,
)

bp = Blueprint("appraisal", __name__, template_folder="templates", url_prefix="/appraisal")


@bp.context_processor
def _labels():
    """Translated labels and the masking helpers for this package's templates."""
    return {
        "evaluation_status_labels": EVALUATION_STATUS_LABELS, "appeal_status_labels": APPEAL_STATUS_LABELS,
        "criterion_kind_labels": CRITERION_KIND_LABELS, "audience_labels": AUDIENCE_LABELS,
        "period_type_labels": PERIOD_TYPE_LABELS, "education_labels": EDUCATION_LABELS,
        "gender_labels": GENDER_LABELS, "staff_status_labels": STATUS_LABELS, "rule_kind_labels": RULE_KIND_LABELS,
        "element_labels": ELEMENT_LABELS, "elements": ELEMENTS, "source_labels": {
            key: source.label for key, source in sources.SOURCES.items()},
        "mask_id_number": registry.mask_id_number, "mask_phone": registry.mask_phone,
        "describe_rule": registry.describe_rule,
    }


def _per_page() -> int:
    return current_app.config["PER_PAGE"]


def _fail(error: Exception, target: str):
    db.session.rollback()
    flash(str(error), "danger")
    return redirect(target)


# --- one's own ----------------------------------------------------------------------------------

@bp.route("/")
@permission_required("appraisal.view_own")
def mine():
    """One's own finalised evaluations, scorecards and (for auxiliary staff) registry record."""
    page = db.paginate(services.own_evaluations(current_user.id), per_page=_per_page(), error_out=False)
    cards = db.session.execute(
        sa.select(Scorecard).join(ScorecardPeriod).options(contains_eager(Scorecard.period))
        .where(Scorecard.user_id == current_user.id)
        .order_by(ScorecardPeriod.start.desc()).limit(12)).scalars().all()
    labels, series = scorecard.trend(current_user.id)
    chart = charts.line_chart(_("My scorecard over the periods"), labels, series, range_=(0, 100)) \
        if len(labels) > 1 else None
    return render_template("appraisal/mine.html", page=page, cards=cards, chart=chart,
                           record=registry.record_for_user(current_user.id))


@bp.route("/evaluations/<int:evaluation_id>")
@permission_required("appraisal.view_own")
def evaluation(evaluation_id: int):
    """An evaluation with every criterion, its inputs, the notes, the grade and the appeal."""
    item = get_checked(Evaluation, evaluation_id, "appraisal.view_own")
    versions = db.session.execute(sa.select(Evaluation).where(
        Evaluation.scheme_id == item.scheme_id, Evaluation.user_id == item.user_id,
        Evaluation.period_start == item.period_start).order_by(Evaluation.version)).scalars().all()
    return render_template("appraisal/evaluation.html", evaluation=item, versions=versions,
                           is_subject=policy.is_subject(current_user, item), appeal_form=AppealForm(),
                           answer_form=AnswerForm())


@bp.route("/evaluations/<int:evaluation_id>/acknowledge", methods=["POST"])
@permission_required("appraisal.view_own")
def acknowledge(evaluation_id: int):
    """The person acknowledges their finalised evaluation."""
    item = get_checked(Evaluation, evaluation_id, "appraisal.view_own")
    if not policy.is_subject(current_user, item):
        abort(403)
    target = url_for(".evaluation", evaluation_id=item.id)
    try:
        services.acknowledge(current_user, item)
    except services.AppraisalError as error:
        return _fail(error, target)
    db.session.commit()
    flash(_("Thank you: the evaluation is acknowledged."), "success")
    return redirect(target)


@bp.route("/evaluations/<int:evaluation_id>/appeal", methods=["POST"])
@permission_required("appraisal.view_own")
def appeal(evaluation_id: int):
    """The person appeals against their finalised evaluation, with a reason."""
    item = get_checked(Evaluation, evaluation_id, "appraisal.view_own")
    if not policy.is_subject(current_user, item):
        abort(403)
    form = AppealForm()
    target = url_for(".evaluation", evaluation_id=item.id)
    if not form.validate_on_submit():
        flash(_("Give a reason for the appeal."), "danger")
        return redirect(target)
    try:
        services.file_appeal(current_user, item, form.reason.data)
    except services.AppraisalError as error:
        return _fail(error, target)
    db.session.commit()
    flash(_("Your appeal has been sent to HR."), "success")
    return redirect(target)


# --- HR: evaluations and appeals -------------------------------------------------------------------

def _evaluation_filters():
    return (request.args.get("period") or None, request.args.get("scheme", type=int),
            request.args.get("status") if request.args.get("status") in set(EvaluationStatus) else None)


@bp.route("/evaluations")
@permission_required("appraisal.manage")
def evaluations():
    """Every evaluation, filtered by period, scheme and status."""
    period, scheme_id, status = _evaluation_filters()
    page = db.paginate(services.evaluations_query(period, scheme_id, status), per_page=_per_page(),
                       error_out=False)
    periods = db.session.execute(sa.select(Evaluation.period_label).distinct()
                                 .order_by(Evaluation.period_label.desc())).scalars().all()
    schemes = db.session.execute(sa.select(Scheme).order_by(Scheme.name)).scalars().all()
    return render_template("appraisal/evaluations.html", page=page, periods=periods, schemes=schemes,
                           period=period, scheme_id=scheme_id, status=status)


@bp.route("/evaluations/export")
@permission_required("appraisal.manage")
def export_evaluations():
    """The filtered evaluation list as .xlsx or .csv."""
    period, scheme_id, status = _evaluation_filters()
    items = db.session.execute(services.evaluations_query(period, scheme_id, status)).unique().scalars().all()
    headers, rows = services.evaluation_export_rows(items)
    return export_response(headers, rows, "evaluations", request.args.get("fmt", "xlsx"))


@bp.route("/evaluations/<int:evaluation_id>/score", methods=["GET", "POST"])
@permission_required("appraisal.manage")
def score(evaluation_id: int):
    """HR scores the manual criteria of a draft with a note each, saves, refreshes or finalises it."""
    item = get_checked(Evaluation, evaluation_id, "appraisal.view_own")
    if item.is_frozen:
        return redirect(url_for(".evaluation", evaluation_id=item.id))
    problems: list[str] = []
    if request.method == "POST":
        action = request.form.get("action", "save")
        entries = {}
        for row in item.scores:
            if row.kind != CriterionKind.manual:
                continue
            raw = request.form.get(f"points_{row.id}", "").strip()
            try:
                points = float(raw) if raw else None
            except ValueError:
                problems.append(_("%(name)s: enter a number.", name=row.name))
                continue
            entries[row.id] = (points, request.form.get(f"note_{row.id}", "")[:2000])
        if not problems:
            try:
                problems = services.save_manual_scores(current_user, item, entries)
                if not problems and action == "refresh":
                    services.refresh(current_user, item)
                if not problems and action == "finalise":
                    services.finalise(current_user, item)
            except services.AppraisalError as error:
                problems = [str(error)]
        if not problems:
            db.session.commit()
            if action == "finalise":
                flash(_("The evaluation is finalised; it will not change any more."), "success")
                return redirect(url_for(".evaluation", evaluation_id=item.id))
            flash(_("The draft has been saved."), "success")
            return redirect(url_for(".score", evaluation_id=item.id))
        db.session.rollback()
        for problem in problems:
            flash(problem, "danger")
    return render_template("appraisal/score.html", evaluation=item)


@bp.route("/appeals")
@permission_required("appraisal.manage")
def appeals():
    """Appeals waiting for an answer."""
    page = db.paginate(services.open_appeals_query(), per_page=_per_page(), error_out=False)
    return render_template("appraisal/appeals.html", page=page)


@bp.route("/appeals/<int:appeal_id>/answer", methods=["POST"])
@permission_required("appraisal.manage")
def answer_appeal(appeal_id: int):
    """HR upholds an appeal (a new version to correct) or rejects it with a reason."""
    item = db.get_or_404(Appeal, appeal_id)
    form = AnswerForm()
    target = url_for(".evaluation", evaluation_id=item.evaluation_id)
    if not form.validate_on_submit():
        flash(_("Choose a decision and write the answer."), "danger")
        return redirect(target)
    try:
        new_version = services.answer_appeal(current_user, item, form.decision.data == "upheld", form.answer.data)
    except services.AppraisalError as error:
        return _fail(error, target)
    db.session.commit()
    if new_version is not None:
        flash(_("Appeal upheld: correct the new version and finalise it."), "success")
        return redirect(url_for(".score", evaluation_id=new_version.id))
    flash(_("Appeal rejected; the person sees your answer."), "success")
    return redirect(target)


# --- HR: schemes -----------------------------------------------------------------------------------

@bp.route("/schemes")
@permission_required("appraisal.manage")
def schemes():
    """Assessment schemes with their number of evaluations."""
    page = db.paginate(sa.select(Scheme).order_by(Scheme.audience, Scheme.name), per_page=_per_page(),
                       error_out=False)
    counts = dict(db.session.execute(
        sa.select(Evaluation.scheme_id, sa.func.count(Evaluation.id))
        .where(Evaluation.scheme_id.in_([scheme.id for scheme in page.items])).group_by(Evaluation.scheme_id)).all())
    return render_template("appraisal/schemes.html", page=page, counts=counts)


@bp.route("/schemes/new", methods=["GET", "POST"])
@bp.route("/schemes/<int:scheme_id>/edit", methods=["GET", "POST"])
@permission_required("appraisal.manage")
def edit_scheme(scheme_id: int | None = None):
    """Create a scheme or change its heading."""
    scheme = db.get_or_404(Scheme, scheme_id) if scheme_id else None
    form = SchemeForm(obj=scheme)
    form.gate_cap.choices = [("", "—")] + [(band.name, band.name) for band in (scheme.bands if scheme else [])]
    if request.method == "GET" and scheme:
        form.audience.data, form.period_type.data = scheme.audience.value, scheme.period_type.value
    if form.validate_on_submit():
        scheme = services.save_scheme(
            current_user, scheme, name=form.name.data, audience=Audience(form.audience.data),
            position=form.position.data or None, period_type=PeriodType(form.period_type.data),
            gate_cap=form.gate_cap.data or None)
        db.session.commit()
        flash(_("The scheme has been saved."), "success")
        return redirect(url_for(".scheme", scheme_id=scheme.id))
    return render_template("appraisal/scheme_form.html", form=form, scheme=scheme)


def _criterion_form() -> CriterionForm:
    form = CriterionForm()
    form.source.choices = [("", "—")] + [(source.key, source.label) for source in sources.available()]
    return form


@bp.route("/schemes/<int:scheme_id>")
@permission_required("appraisal.manage")
def scheme(scheme_id: int):
    """A scheme: criteria, bands, and opening evaluations for a period."""
    item = db.get_or_404(Scheme, scheme_id)
    open_form = OpenPeriodForm()
    year, number = services.previous_period(item.period_type, date.today())
    open_form.year.data, open_form.number.data = year, number
    return render_template("appraisal/scheme.html", scheme=item, criterion_form=_criterion_form(),
                           band_form=BandForm(), open_form=open_form, available=sources.available())


@bp.route("/schemes/<int:scheme_id>/criteria", methods=["POST"])
@permission_required("appraisal.manage")
def add_criterion(scheme_id: int):
    """Add a criterion (a computed one only from a figure that is available)."""
    item = db.get_or_404(Scheme, scheme_id)
    form = _criterion_form()
    target = url_for(".scheme", scheme_id=item.id)
    if not form.validate_on_submit():
        flash(_("Give the criterion a name and valid points."), "danger")
        return redirect(target)
    kind = CriterionKind(form.kind.data)
    problems = services.criterion_problems(kind, form.source.data or None, form.max_points.data)
    if problems:
        flash(" ".join(problems), "danger")
        return redirect(target)
    services.add_criterion(current_user, item, name=form.name.data, max_points=form.max_points.data or 0,
                           kind=kind, guidance=form.guidance.data or "", source=form.source.data or None,
                           target=form.target.data)
    db.session.commit()
    flash(_("The criterion has been added."), "success")
    return redirect(target)


@bp.route("/criteria/<int:criterion_id>/remove", methods=["POST"])
@permission_required("appraisal.manage")
def remove_criterion(criterion_id: int):
    """Remove a criterion; finalised evaluations keep their copy."""
    item = db.get_or_404(Criterion, criterion_id)
    scheme_id = item.scheme_id
    services.remove_criterion(current_user, item)
    db.session.commit()
    flash(_("The criterion has been removed."), "success")
    return redirect(url_for(".scheme", scheme_id=scheme_id))


@bp.route("/schemes/<int:scheme_id>/bands", methods=["POST"])
@permission_required("appraisal.manage")
def add_band(scheme_id: int):
    """Add a grade band."""
    item = db.get_or_404(Scheme, scheme_id)
    form = BandForm()
    if form.validate_on_submit():
        services.add_band(current_user, item, form.name.data, form.min_points.data)
        db.session.commit()
        flash(_("The band has been added."), "success")
    else:
        flash(_("Give the band a name and its lowest points."), "danger")
    return redirect(url_for(".scheme", scheme_id=item.id))


@bp.route("/bands/<int:band_id>/remove", methods=["POST"])
@permission_required("appraisal.manage")
def remove_band(band_id: int):
    """Remove a grade band."""
    item = db.get_or_404(Band, band_id)
    scheme_id = item.scheme_id
    services.remove_band(current_user, item)
    db.session.commit()
    return redirect(url_for(".scheme", scheme_id=scheme_id))


@bp.route("/schemes/<int:scheme_id>/open", methods=["POST"])
@permission_required("appraisal.manage")
def open_period(scheme_id: int):
    """Open draft evaluations for everyone under the scheme for a period."""
    item = db.get_or_404(Scheme, scheme_id)
    form = OpenPeriodForm()
    if not form.validate_on_submit():
        flash(_("Give a year and a month or quarter."), "danger")
        return redirect(url_for(".scheme", scheme_id=item.id))
    number = form.number.data if item.period_type != PeriodType.annual else 1
    if item.period_type == PeriodType.quarterly and number > 4:
        flash(_("A quarter is 1 to 4."), "danger")
        return redirect(url_for(".scheme", scheme_id=item.id))
    count = services.open_evaluations(current_user, item, form.year.data, number)
    db.session.commit()
    flash(_("%(count)d evaluations opened.", count=count), "success")
    label = services.period_bounds(item.period_type, form.year.data, number)[2]
    return redirect(url_for(".evaluations", scheme=item.id, period=label))


# --- scorecards ------------------------------------------------------------------------------------

@bp.route("/scorecards", methods=["GET", "POST"])
@permission_required("appraisal.manage")
def periods():
    """Scorecard periods, and a new one with its weights."""
    form = PeriodForm()
    if form.validate_on_submit():
        exists = db.session.execute(sa.select(ScorecardPeriod.id).where(
            ScorecardPeriod.label == form.label.data.strip())).scalar_one_or_none()
        if exists or form.end.data < form.start.data:
            flash(_("The period exists already, or ends before it starts."), "danger")
        else:
            period = scorecard.create_period(
                current_user, form.label.data, form.start.data, form.end.data,
                {key: getattr(form, f"weight_{key}").data for key in ELEMENTS}, form.training_target_hours.data)
            db.session.commit()
            return redirect(url_for(".period", period_id=period.id))
    page = db.paginate(sa.select(ScorecardPeriod).order_by(ScorecardPeriod.start.desc()), per_page=_per_page(),
                       error_out=False)
    return render_template("appraisal/periods.html", page=page, form=form)


def _ranking_page(period: ScorecardPeriod, template: str, **extra):
    department_id = request.args.get("department", type=int)
    page = db.paginate(scorecard.ranking_query(period, department_id), per_page=_per_page(), error_out=False)
    top = db.session.execute(scorecard.ranking_query(period).where(Scorecard.total.is_not(None)).limit(15)
                             ).unique().scalars().all()
    bars = [(card.user.display_name, card.total) for card in reversed(top)]  # pygal draws the first at the bottom
    chart = charts.horizontal_bar_chart(_("Bureau ranking (top 15)"), bars) if top else None
    return render_template(template, period=period, page=page, chart=chart, department_id=department_id,
                           departments=people_services.departments(), **extra)


@bp.route("/scorecards/periods/<int:period_id>")
@permission_required("appraisal.manage")
def period(period_id: int):
    """A period's ranking for the bureau or one department, the weights, computing and publishing."""
    item = db.get_or_404(ScorecardPeriod, period_id)
    form = PeriodForm(obj=item)
    return _ranking_page(item, "appraisal/period.html", form=form)


@bp.route("/scorecards/periods/<int:period_id>/weights", methods=["POST"])
@permission_required("appraisal.manage")
def period_weights(period_id: int):
    """Change the weights and the training target of an unpublished period."""
    item = db.get_or_404(ScorecardPeriod, period_id)
    form = PeriodForm()
    target = url_for(".period", period_id=item.id)
    if not form.validate_on_submit():
        flash(_("Weights are numbers from 0 to 100."), "danger")
        return redirect(target)
    try:
        scorecard.set_weights(current_user, item, {key: getattr(form, f"weight_{key}").data for key in ELEMENTS},
                              form.training_target_hours.data)
    except services.AppraisalError as error:
        return _fail(error, target)
    db.session.commit()
    flash(_("The weights have been saved; compute the scorecards to apply them."), "success")
    return redirect(target)


@bp.route("/scorecards/periods/<int:period_id>/compute", methods=["POST"])
@permission_required("appraisal.manage")
def compute_period(period_id: int):
    """Compute every cadre's scorecard and the rankings."""
    item = db.get_or_404(ScorecardPeriod, period_id)
    target = url_for(".period", period_id=item.id)
    try:
        count = scorecard.compute_period(current_user, item)
    except services.AppraisalError as error:
        return _fail(error, target)
    db.session.commit()
    flash(_("%(count)d scorecards computed.", count=count), "success")
    return redirect(target)


@bp.route("/scorecards/periods/<int:period_id>/publish", methods=["POST"])
@permission_required("appraisal.manage")
def publish_period(period_id: int):
    """Publish the ranking as a notice to all staff."""
    item = db.get_or_404(ScorecardPeriod, period_id)
    target = url_for(".period", period_id=item.id)
    try:
        scorecard.publish(current_user, item)
    except services.AppraisalError as error:
        return _fail(error, target)
    db.session.commit()
    flash(_("The ranking is published."), "success")
    return redirect(url_for(".notice", period_id=item.id))


@bp.route("/scorecards/periods/<int:period_id>/export")
@permission_required("appraisal.manage")
def export_ranking(period_id: int):
    """The ranking (bureau, or one department) as .xlsx or .csv."""
    item = db.get_or_404(ScorecardPeriod, period_id)
    cards = db.session.execute(scorecard.ranking_query(item, request.args.get("department", type=int))
                               ).unique().scalars().all()
    headers, rows = scorecard.ranking_export_rows(cards)
    return export_response(headers, rows, f"ranking-{item.label}", request.args.get("fmt", "xlsx"))


@bp.route("/notices/<int:period_id>")
@permission_required("appraisal.view_own")
def notice(period_id: int):
    """The published ranking notice, for all staff."""
    item = db.get_or_404(ScorecardPeriod, period_id)
    if not item.is_published:
        abort(404)
    return _ranking_page(item, "appraisal/notice.html")


@bp.route("/scorecards/<int:card_id>")
@permission_required("appraisal.view_own")
def scorecard_view(card_id: int):
    """A scorecard: each element's inputs, the weights and how the total follows, and the trend."""
    card = get_checked(Scorecard, card_id, "appraisal.view_own")
    labels, series = scorecard.trend(card.user_id)
    chart = charts.line_chart(_("Scorecard over the periods"), labels, series, range_=(0, 100))
    return render_template("appraisal/scorecard.html", card=card, inputs=card.inputs, chart=chart,
                           rubric=scorecard.RUBRIC, parts=scorecard.DEVELOPMENT_PARTS)


@bp.route("/legal")
@bp.route("/scorecards/periods/<int:period_id>/legal")
@permission_required("appraisal.legal_rating")
def legal_ratings(period_id: int | None = None):
    """The legal-affairs section's list of cadres to rate for a period (the latest one by default)."""
    if period_id is None:
        item = db.session.execute(sa.select(ScorecardPeriod).order_by(ScorecardPeriod.start.desc()).limit(1)
                                  ).scalar_one_or_none()
        if item is None:
            return render_template("appraisal/legal_ratings.html", period=None, page=None, ratings={}, periods=[])
    else:
        item = db.get_or_404(ScorecardPeriod, period_id)
    page = db.paginate(scorecard.cadres_query(), per_page=_per_page(), error_out=False)
    ratings = {rating.user_id: rating for rating in db.session.execute(sa.select(LegalRating).where(
        LegalRating.period_id == item.id, LegalRating.user_id.in_([user.id for user in page.items]))).scalars()}
    periods_list = db.session.execute(sa.select(ScorecardPeriod).order_by(ScorecardPeriod.start.desc()).limit(12)
                                      ).scalars().all()
    return render_template("appraisal/legal_ratings.html", period=item, page=page, ratings=ratings,
                           periods=periods_list)


@bp.route("/scorecards/periods/<int:period_id>/legal/<int:user_id>", methods=["GET", "POST"])
@permission_required("appraisal.legal_rating")
def rate_legal(period_id: int, user_id: int):
    """Rate one cadre's legal-system evaluation against the rubric."""
    item = db.get_or_404(ScorecardPeriod, period_id)
    user = db.get_or_404(User, user_id)
    if not user.is_cadre:
        abort(404)
    rating = db.session.execute(sa.select(LegalRating).where(
        LegalRating.period_id == item.id, LegalRating.user_id == user.id)).scalar_one_or_none()
    form = LegalRatingForm(obj=rating)
    if form.validate_on_submit():
        try:
            values = {key: float(request.form.get(f"rubric_{key}", "")) for key, _l, _m in scorecard.RUBRIC}
            scorecard.rate_legal(current_user, item, user, values, form.note.data or "")
        except ValueError as error:
            db.session.rollback()
            message = str(error) if isinstance(error, services.AppraisalError) else \
                _("Give each rubric item 0 to its maximum.")
            flash(message, "danger")
        else:
            db.session.commit()
            flash(_("The rating has been saved."), "success")
            return redirect(url_for(".legal_ratings", period_id=item.id))
    return render_template("appraisal/rate_legal.html", period=item, person=user, rating=rating, form=form,
                           rubric=scorecard.RUBRIC)


# --- registry --------------------------------------------------------------------------------------

@bp.route("/registry")
@permission_required("people.view_all")
def registry_list():
    """The auxiliary-staff registry (ID numbers and phones masked unless the viewer is HR)."""
    search = request.args.get("q", "").strip()
    status = request.args.get("status", "active")
    status = status if status in set(StaffStatus) else None
    page = db.paginate(registry.registry_query(search, status).options(
        joinedload(AuxiliaryStaff.department)), per_page=_per_page(), error_out=False)
    ending = db.session.execute(sa.select(sa.func.count()).select_from(
        registry.contracts_ending(date.today()).subquery())).scalar_one()
    return render_template("appraisal/registry.html", page=page, search=search, status=status, ending=ending,
                           full=can(current_user, "people.view_personal_data"))


@bp.route("/registry/contracts")
@permission_required("people.view_all")
def contracts():
    """Contracts ending within 60 days, soonest first."""
    page = db.paginate(registry.contracts_ending(date.today()).options(
        joinedload(AuxiliaryStaff.department)), per_page=_per_page(), error_out=False)
    return render_template("appraisal/contracts.html", page=page, days=registry.CONTRACT_WARNING_DAYS,
                           today=date.today(), full=can(current_user, "people.view_personal_data"))


@bp.route("/registry/<int:record_id>")
@permission_required("appraisal.view_own")
def record(record_id: int):
    """One registration with the eligibility rules it meets and fails."""
    item = db.get_or_404(AuxiliaryStaff, record_id)
    if not policy.can_view_record(current_user, item):
        abort(403)
    results = registry.check_rules(registry.registry_rules(), item.id_number, item.education, item.hired_on)
    return render_template("appraisal/record.html", record=item, results=results,
                           full=registry.sees_personal_data(current_user, item))


def _record_choices(form: RecordForm, item: AuxiliaryStaff | None) -> None:
    form.department_id.choices = [(0, "—")] + [(d.id, d.name) for d in people_services.departments()]
    users = db.session.execute(registry.auxiliary_users_without_record()).scalars().all()
    if item is not None and item.user is not None:
        users = [item.user, *users]
    form.user_id.choices = [(0, _("No account"))] + [(u.id, f"{u.username} {u.display_name}") for u in users]


@bp.route("/registry/new", methods=["GET", "POST"])
@bp.route("/registry/<int:record_id>/edit", methods=["GET", "POST"])
@permission_required("people.registry")
def edit_record(record_id: int | None = None):
    """Register an auxiliary staff member or change a registration; eligibility failures are shown."""
    item = db.get_or_404(AuxiliaryStaff, record_id) if record_id else None
    form = RecordForm(obj=item)
    _record_choices(form, item)
    if request.method == "GET" and item is not None:
        form.department_id.data, form.user_id.data = item.department_id or 0, item.user_id or 0
        form.education.data, form.status.data = item.education.value, item.status.value
    results = []
    if form.validate_on_submit():
        fields = {
            "name": form.name.data, "gender": form.gender.data, "id_number": form.id_number.data,
            "phone": form.phone.data, "position": form.position.data,
            "department": db.session.get(Department, form.department_id.data or 0),
            "user": db.session.get(User, form.user_id.data or 0),
            "hired_on": form.hired_on.data, "contract_ends_on": form.contract_ends_on.data,
            "education": Education(form.education.data), "emergency_contact": form.emergency_contact.data or "",
            "status": StaffStatus(form.status.data), "left_on": form.left_on.data,
            "left_reason": form.left_reason.data or None,
        }
        problems = registry.problems(fields, item)
        if problems:
            for problem in problems:
                flash(problem, "danger")
        else:
            if item is None:
                item = registry.register(current_user, **fields)
            else:
                registry.update(current_user, item, **fields)
            db.session.commit()
            flash(_("The registration has been saved."), "success")
            return redirect(url_for(".record", record_id=item.id))
    if form.id_number.data and form.education.data:
        results = registry.check_rules(registry.registry_rules(), registry.normalise_id_number(form.id_number.data),
                                       Education(form.education.data), form.hired_on.data or date.today())
    return render_template("appraisal/record_form.html", form=form, record=item, results=results)


@bp.route("/registry/import", methods=["GET", "POST"])
@permission_required("people.registry")
def import_registry():
    """Register or update auxiliary staff from CSV or .xlsx; every row is reported."""
    form = UploadForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        report = registry.import_registry(current_user, upload.read(), upload.filename or "registry.csv")
        if report.error:
            db.session.rollback()
            flash(report.error, "danger")
        else:
            db.session.commit()
    return render_template("appraisal/import.html", form=form, report=report, kind="registry")


@bp.route("/registry/export")
@permission_required("people.view_all")
def export_registry():
    """The registry as .xlsx or .csv, masked; ``full=1`` (HR only) gives full data and is audited."""
    full = request.args.get("full") == "1"
    if full:
        require("exports.full_data")
        confirm = confirm_password_first()
        if confirm is not None:
            return confirm
        audit.record(current_user, "registry.exported_full", ("AuxiliaryStaff", "all"))
        db.session.commit()
    items = db.session.execute(registry.registry_query(status=None).options(
        joinedload(AuxiliaryStaff.department))).unique().scalars().all()
    headers = [_("Name"), _("Gender"), _("ID-card number"), _("Phone"), _("Position"), _("Squad"), _("Hire date"),
               _("Contract ends"), _("Education"), _("Emergency contact"), _("Status")]
    rows = [[r.name, str(GENDER_LABELS.get(r.gender, r.gender)),
             r.id_number if full else registry.mask_id_number(r.id_number),
             r.phone if full else registry.mask_phone(r.phone), r.position,
             r.department.name if r.department else "", r.hired_on, r.contract_ends_on,
             str(EDUCATION_LABELS[r.education]), r.emergency_contact if full else "",
             str(STATUS_LABELS[r.status])] for r in items]
    return export_response(headers, rows, "registry-full" if full else "registry", request.args.get("fmt", "xlsx"))


@bp.route("/registry/rules", methods=["GET", "POST"])
@permission_required("people.registry")
def rules():
    """The eligibility rules every registration is checked against."""
    form = RuleForm()
    if form.validate_on_submit():
        problem = registry.rule_value_problem(RuleKind(form.kind.data), form.value.data)
        if problem:
            flash(problem, "danger")
        else:
            registry.add_rule(current_user, RuleKind(form.kind.data), form.value.data)
            db.session.commit()
            flash(_("The rule has been added."), "success")
            return redirect(url_for(".rules"))
    return render_template("appraisal/rules.html", form=form, rules=registry.registry_rules())


@bp.route("/rules/<int:rule_id>/remove", methods=["POST"])
@permission_required("people.registry")
def remove_rule(rule_id: int):
    """Remove an eligibility rule (of the registry or of an open round)."""
    item = db.get_or_404(EligibilityRule, rule_id)
    round_id = item.round_id
    registry.remove_rule(current_user, item)
    db.session.commit()
    return redirect(url_for(".round_detail", round_id=round_id) if round_id else url_for(".rules"))


# --- recruitment -----------------------------------------------------------------------------------

@bp.route("/recruitment")
@permission_required("people.registry")
def rounds():
    """Recruitment rounds, newest first."""
    page = db.paginate(sa.select(RecruitmentRound).order_by(RecruitmentRound.opens_on.desc()),
                       per_page=_per_page(), error_out=False)
    counts = dict(db.session.execute(
        sa.select(Applicant.round_id, sa.func.count(Applicant.id))
        .where(Applicant.round_id.in_([r.id for r in page.items])).group_by(Applicant.round_id)).all())
    return render_template("appraisal/rounds.html", page=page, counts=counts)


@bp.route("/recruitment/new", methods=["GET", "POST"])
@permission_required("people.registry")
def new_round():
    """Open a recruitment round."""
    form = RoundForm()
    if form.validate_on_submit():
        if form.closes_on.data < form.opens_on.data or form.written_weight.data + form.interview_weight.data <= 0:
            flash(_("The window must close after it opens, and the weights must not both be zero."), "danger")
        else:
            item = recruitment.create_round(
                current_user, title=form.title.data, opens_on=form.opens_on.data, closes_on=form.closes_on.data,
                written_weight=form.written_weight.data, interview_weight=form.interview_weight.data,
                retention_days=form.retention_days.data)
            db.session.commit()
            return redirect(url_for(".round_detail", round_id=item.id))
    return render_template("appraisal/round_form.html", form=form)


def _position_form() -> PositionForm:
    form = PositionForm()
    form.department_id.choices = [(0, "—")] + [(d.id, d.name) for d in people_services.departments()]
    return form


def _applicant_form(item: RecruitmentRound) -> ApplicantForm:
    form = ApplicantForm()
    form.position_id.choices = [(p.id, p.name) for p in item.positions]
    return form


@bp.route("/recruitment/<int:round_id>")
@permission_required("people.registry")
def round_detail(round_id: int):
    """A round: positions and places, rules, and each position's applicants ranked by weighted total."""
    item = db.get_or_404(RecruitmentRound, round_id, options=[
        selectinload(RecruitmentRound.positions).joinedload(RecruitmentPosition.department),
        selectinload(RecruitmentRound.rules)])
    hire_form = HireForm()
    hire_form.hired_on.data = max(item.closes_on, date.today())
    return render_template("appraisal/round.html", round=item, ranking=recruitment.ranking(item),
                           position_form=_position_form(), rule_form=RuleForm(),
                           applicant_form=_applicant_form(item), hire_form=hire_form, scores_form=ScoresForm())


@bp.route("/recruitment/<int:round_id>/positions", methods=["POST"])
@permission_required("people.registry")
def add_position(round_id: int):
    """Offer a position with its places."""
    item = db.get_or_404(RecruitmentRound, round_id)
    form = _position_form()
    if form.validate_on_submit() and not item.is_closed:
        recruitment.add_position(current_user, item, form.name.data, form.places.data,
                                 db.session.get(Department, form.department_id.data or 0))
        db.session.commit()
    else:
        flash(_("Give the position a name and at least one place."), "danger")
    return redirect(url_for(".round_detail", round_id=item.id))


@bp.route("/recruitment/<int:round_id>/rules", methods=["POST"])
@permission_required("people.registry")
def add_round_rule(round_id: int):
    """Add an eligibility rule to the round."""
    item = db.get_or_404(RecruitmentRound, round_id)
    form = RuleForm()
    problem = registry.rule_value_problem(RuleKind(form.kind.data), form.value.data or "") \
        if form.validate_on_submit() else _("Choose a rule and its value.")
    if problem:
        flash(problem, "danger")
    else:
        registry.add_rule(current_user, RuleKind(form.kind.data), form.value.data, item)
        db.session.commit()
    return redirect(url_for(".round_detail", round_id=item.id))


@bp.route("/recruitment/<int:round_id>/applicants", methods=["POST"])
@permission_required("people.registry")
def add_applicant(round_id: int):
    """Enter an applicant; the rules they fail are shown in the ranking."""
    item = db.get_or_404(RecruitmentRound, round_id)
    form = _applicant_form(item)
    if not form.validate_on_submit():
        flash(_("Fill in every field of the applicant."), "danger")
        return redirect(url_for(".round_detail", round_id=item.id))
    fields = {"name": form.name.data, "gender": form.gender.data, "id_number": form.id_number.data,
              "phone": form.phone.data, "education": Education(form.education.data),
              "emergency_contact": form.emergency_contact.data or ""}
    problems = recruitment.applicant_problems(item, fields)
    position = next((p for p in item.positions if p.id == form.position_id.data), None)
    if problems or position is None:
        for problem in problems:
            flash(problem, "danger")
        return redirect(url_for(".round_detail", round_id=item.id))
    recruitment.add_applicant(current_user, item, position, **fields)
    db.session.commit()
    flash(_("The applicant has been added."), "success")
    return redirect(url_for(".round_detail", round_id=item.id))


@bp.route("/recruitment/<int:round_id>/import", methods=["GET", "POST"])
@permission_required("people.registry")
def import_applicants(round_id: int):
    """Enter applicants from CSV or .xlsx; every row is reported with the rules it fails."""
    item = db.get_or_404(RecruitmentRound, round_id)
    form = UploadForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        report = recruitment.import_applicants(current_user, item, upload.read(), upload.filename or "applicants.csv")
        if report.error:
            db.session.rollback()
            flash(report.error, "danger")
        else:
            db.session.commit()
    return render_template("appraisal/import.html", form=form, report=report, kind="applicants", round=item)


@bp.route("/applicants/<int:applicant_id>/scores", methods=["POST"])
@permission_required("people.registry")
def applicant_scores(applicant_id: int):
    """The panel's written-test and interview scores of an applicant."""
    item = db.get_or_404(Applicant, applicant_id)
    form = ScoresForm()
    if form.validate_on_submit():
        recruitment.set_scores(current_user, item, form.written_score.data, form.interview_score.data)
        db.session.commit()
    else:
        flash(_("Scores are from 0 to 100."), "danger")
    return redirect(url_for(".round_detail", round_id=item.round_id) + f"#applicant-{item.id}")


@bp.route("/recruitment/<int:round_id>/hire", methods=["POST"])
@permission_required("people.registry")
def hire(round_id: int):
    """Confirm the chosen hires: each gets an auxiliary account and a registry record, no retyping."""
    item = db.get_or_404(RecruitmentRound, round_id)
    form = HireForm()
    ids = [int(value) for value in request.form.getlist("applicant") if value.isdigit()]
    if not form.validate_on_submit() or not ids:
        flash(_("Choose the applicants to hire and the hire date."), "danger")
        return redirect(url_for(".round_detail", round_id=item.id))
    hires, refused = recruitment.confirm_hires(current_user, item, ids, form.hired_on.data, form.contract_years.data)
    db.session.commit()
    for message in refused:
        flash(message, "warning")
    response = current_app.make_response(render_template("appraisal/hired.html", round=item, hires=hires))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/recruitment/<int:round_id>/close", methods=["POST"])
@permission_required("people.registry")
def close_round(round_id: int):
    """Close the round; applicants' data is deleted after the retention period."""
    item = db.get_or_404(RecruitmentRound, round_id)
    if not item.is_closed:
        recruitment.close_round(current_user, item)
        db.session.commit()
        flash(_("The round is closed."), "success")
    return redirect(url_for(".round_detail", round_id=item.id))
