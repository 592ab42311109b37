"""Assessment schemes and evaluations: periods, opening evaluations for everyone under a scheme,
computed and manual scores, finalisation that freezes every input, acknowledgement and appeals."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from .. import audit
from ..audit import utcnow
from ..extensions import db
from ..people.models import StaffCategory, User
from . import sources
from .models import (
    Appeal,
    AppealStatus,
    Audience,
    AuxiliaryStaff,
    Band,
    Criterion,
    CriterionKind,
    Evaluation,
    EvaluationScore,
    EvaluationStatus,
    PeriodType,
    Scheme,
    StaffStatus,
)


class AppraisalError(ValueError):
    """An action that the rules do not allow; the message says why, for the user."""


# --- periods ---------------------------------------------------------------------------------------

def period_bounds(period_type: PeriodType, year: int, number: int = 1) -> tuple[date, date, str]:
    """First and last day and the label of a month (1–12), quarter (1–4) or year."""
    if period_type == PeriodType.monthly:
        start = date(year, number, 1)
        end = (date(year + (number == 12), number % 12 + 1, 1)) - timedelta(days=1)
        return start, end, f"{year}-{number:02d}"
    if period_type == PeriodType.quarterly:
        start = date(year, 3 * number - 2, 1)
        end = date(year + (number == 4), (3 * number) % 12 + 1, 1) - timedelta(days=1)
        return start, end, f"{year}-Q{number}"
    return date(year, 1, 1), date(year, 12, 31), str(year)


def previous_period(period_type: PeriodType, today: date) -> tuple[int, int]:
    """The (year, number) of the period before the one ``today`` falls in."""
    if period_type == PeriodType.monthly:
        return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    if period_type == PeriodType.quarterly:
        quarter = (today.month - 1) // 3 + 1
        return (today.year - 1, 4) if quarter == 1 else (today.year, quarter - 1)
    return today.year - 1, 1


# --- schemes ---------------------------------------------------------------------------------------

def scheme_snapshot(scheme: Scheme) -> dict:
    """The audited content of a scheme."""
    return {
        "name": scheme.name, "audience": str(scheme.audience), "position": scheme.position,
        "period_type": str(scheme.period_type), "gate_cap": scheme.gate_cap,
        "criteria": [{"name": c.name, "max_points": c.max_points, "kind": str(c.kind), "source": c.source,
                      "target": c.target} for c in scheme.criteria],
        "bands": [{"name": b.name, "min_points": b.min_points} for b in scheme.bands],
    }


def save_scheme(actor, scheme: Scheme | None, **fields) -> Scheme:
    """Create or change a scheme's heading; finalised evaluations keep their own copy and never change."""
    before = scheme_snapshot(scheme) if scheme else None
    if scheme is None:
        scheme = Scheme()
        db.session.add(scheme)
    for name, value in fields.items():
        setattr(scheme, name, value.strip() if isinstance(value, str) else value)
    if scheme.audience == Audience.cadre:
        scheme.position = None
    db.session.flush()
    audit.record(actor, "scheme.saved", scheme, before=before, after=scheme_snapshot(scheme))
    return scheme


def criterion_problems(kind: CriterionKind, source: str | None, max_points: float | None) -> list[str]:
    """What is wrong with a new criterion."""
    found = []
    if kind in (CriterionKind.computed, CriterionKind.gate):
        if not source or not sources.is_available(source):
            found.append(_("Choose a platform figure that is available."))
        elif (sources.SOURCES[source].scale == "gate") != (kind == CriterionKind.gate):
            found.append(_("The integrity signature can only be a gate, and a gate only the integrity signature."))
    if kind != CriterionKind.gate and (max_points is None or max_points <= 0):
        found.append(_("A criterion needs maximum points above zero."))
    return found


def add_criterion(actor, scheme: Scheme, *, name: str, max_points: float, kind: CriterionKind,
                  guidance: str = "", source: str | None = None, target: float | None = None) -> Criterion:
    """Add a criterion to a scheme."""
    before = scheme_snapshot(scheme)
    criterion = Criterion(name=name.strip(), max_points=max_points if kind != CriterionKind.gate else 0,
                          kind=kind, guidance=guidance.strip(),
                          source=source if kind != CriterionKind.manual else None,
                          target=target if kind == CriterionKind.computed else None)
    scheme.criteria.append(criterion)
    db.session.flush()
    audit.record(actor, "scheme.changed", scheme, before=before, after=scheme_snapshot(scheme))
    return criterion


def remove_criterion(actor, criterion: Criterion) -> None:
    """Remove a criterion; evaluations already finalised keep their copy of it."""
    scheme = criterion.scheme
    before = scheme_snapshot(scheme)
    scheme.criteria.remove(criterion)
    db.session.flush()
    audit.record(actor, "scheme.changed", scheme, before=before, after=scheme_snapshot(scheme))


def add_band(actor, scheme: Scheme, name: str, min_points: float) -> Band:
    """Add a grade band."""
    before = scheme_snapshot(scheme)
    band = Band(name=name.strip(), min_points=min_points)
    scheme.bands.append(band)
    db.session.flush()
    db.session.refresh(scheme, ["bands"])
    audit.record(actor, "scheme.changed", scheme, before=before, after=scheme_snapshot(scheme))
    return band


def remove_band(actor, band: Band) -> None:
    """Remove a grade band."""
    scheme = band.scheme
    before = scheme_snapshot(scheme)
    scheme.bands.remove(band)
    db.session.flush()
    audit.record(actor, "scheme.changed", scheme, before=before, after=scheme_snapshot(scheme))


def scheme_members(scheme: Scheme) -> list[User]:
    """Everyone the scheme assesses: active cadres, or active registered auxiliary staff of its position."""
    if scheme.audience == Audience.cadre:
        query = sa.select(User).where(User.staff_category == StaffCategory.cadre,
                                      User.is_active_account.is_(True))
    else:
        query = (sa.select(User).join(AuxiliaryStaff, AuxiliaryStaff.user_id == User.id)
                 .where(AuxiliaryStaff.status == StaffStatus.active, User.is_active_account.is_(True)))
        if scheme.position:
            query = query.where(AuxiliaryStaff.position == scheme.position)
    return list(db.session.execute(query.order_by(User.username)).scalars())


# --- evaluations -----------------------------------------------------------------------------------

def open_evaluations(actor, scheme: Scheme, year: int, number: int) -> int:
    """Open draft evaluations for everyone under ``scheme`` for one period; computed criteria fill in.

    People who already have an evaluation under this scheme for the period are left alone.
    """
    start, end, label = period_bounds(scheme.period_type, year, number)
    members = scheme_members(scheme)
    existing = set(db.session.execute(sa.select(Evaluation.user_id).where(
        Evaluation.scheme_id == scheme.id, Evaluation.period_start == start)).scalars())
    created = []
    for user in members:
        if user.id in existing:
            continue
        evaluation = Evaluation(scheme=scheme, user=user, period_start=start, period_end=end, period_label=label,
                                scheme_name=scheme.name, status=EvaluationStatus.draft)
        db.session.add(evaluation)
        created.append(evaluation)
    db.session.flush()
    compute(created, scheme)
    audit.record(actor, "evaluation.opened", scheme, after={"period": label, "count": len(created)})
    return len(created)


def compute(evaluations: list[Evaluation], scheme: Scheme) -> None:
    """Bring drafts in line with their scheme and fill computed criteria from the platform.

    Every source is asked once for all the people of a period; the inputs used are stored with each score.
    """
    if not evaluations:
        return
    by_period: dict[tuple[date, date], list[Evaluation]] = defaultdict(list)
    for evaluation in evaluations:
        if evaluation.is_frozen:
            raise AppraisalError(_("A finalised evaluation never changes."))
        by_period[(evaluation.period_start, evaluation.period_end)].append(evaluation)
    bands = json.dumps([{"name": band.name, "min_points": band.min_points} for band in scheme.bands],
                       ensure_ascii=False)
    for (start, end), group in by_period.items():
        user_ids = [evaluation.user_id for evaluation in group]
        values = {}
        for criterion in scheme.criteria:
            if criterion.source and criterion.source not in values:
                values[criterion.source] = sources.fetch(criterion.source, user_ids, start, end)
        for evaluation in group:
            evaluation.scheme_name, evaluation.bands_json, evaluation.gate_cap = scheme.name, bands, scheme.gate_cap
            _sync_scores(evaluation, scheme, values)
            update_total(evaluation)
    db.session.flush()


def _sync_scores(evaluation: Evaluation, scheme: Scheme, values: dict) -> None:
    rows = {row.criterion_id: row for row in evaluation.scores}
    wanted = {criterion.id for criterion in scheme.criteria}
    for row in list(evaluation.scores):
        if row.criterion_id not in wanted:
            evaluation.scores.remove(row)
    for position, criterion in enumerate(scheme.criteria):
        row = rows.get(criterion.id)
        if row is None:
            row = EvaluationScore(criterion_id=criterion.id)
            evaluation.scores.append(row)
        row.position, row.name, row.kind = position, criterion.name, criterion.kind
        row.max_points, row.guidance, row.source = criterion.max_points, criterion.guidance, criterion.source
        if criterion.kind == CriterionKind.manual:
            continue
        source = sources.SOURCES.get(criterion.source or "")
        found = values.get(criterion.source)
        if source is None or found is None:
            row.inputs_json = json.dumps({"available": False})
            row.points, row.is_gate_passed = (None if criterion.kind == CriterionKind.gate else 0.0), None
            continue
        value = found.get(evaluation.user_id)
        inputs = {"available": True, "value": value, "target": criterion.target,
                  "period": [evaluation.period_start.isoformat(), evaluation.period_end.isoformat()]}
        if criterion.kind == CriterionKind.gate:
            row.is_gate_passed, row.points = bool(value), None
        else:
            fraction = source.fraction(value, criterion.target)
            inputs["fraction"] = None if fraction is None else round(fraction, 4)
            row.points = round((fraction or 0.0) * criterion.max_points, 2)
        row.inputs_json = json.dumps(inputs, ensure_ascii=False, default=str)


def update_total(evaluation: Evaluation) -> None:
    """Total, maximum, grade from the bands, and the integrity gate's cap."""
    scored = [row for row in evaluation.scores if row.kind != CriterionKind.gate]
    evaluation.max_total = round(sum(row.max_points for row in scored), 2)
    evaluation.total = round(sum(row.points or 0.0 for row in scored), 2)
    bands = sorted(evaluation.bands, key=lambda band: -band["min_points"])
    names = [band["name"] for band in bands]
    grade = next((band["name"] for band in bands if evaluation.total >= band["min_points"]), None)
    gate_failed = any(row.kind == CriterionKind.gate and row.is_gate_passed is False for row in evaluation.scores)
    evaluation.is_capped = False
    if gate_failed and evaluation.gate_cap in names and grade in names \
            and names.index(grade) < names.index(evaluation.gate_cap):
        grade, evaluation.is_capped = evaluation.gate_cap, True
    evaluation.grade = grade


def snapshot(evaluation: Evaluation) -> dict:
    """The audited content of an evaluation."""
    return {"version": evaluation.version, "status": str(evaluation.status), "total": evaluation.total,
            "grade": evaluation.grade, "capped": evaluation.is_capped,
            "scores": [{"name": row.name, "points": row.points, "note": row.note, "inputs": row.inputs}
                       for row in evaluation.scores]}


def refresh(actor, evaluation: Evaluation) -> None:
    """Recompute a draft from its scheme and the platform now (corrected versions keep their inputs)."""
    if evaluation.is_frozen:
        raise AppraisalError(_("A finalised evaluation never changes."))
    if evaluation.scheme is None:
        raise AppraisalError(_("The scheme of this evaluation no longer exists."))
    if evaluation.previous_id is None:
        compute([evaluation], evaluation.scheme)


def save_manual_scores(actor, evaluation: Evaluation, entries: dict[int, tuple[float | None, str]]) -> list[str]:
    """Store HR's manual scores and notes on a draft; returns problems (nothing is saved when there are any)."""
    if evaluation.is_frozen:
        raise AppraisalError(_("A finalised evaluation never changes."))
    problems = []
    rows = {row.id: row for row in evaluation.scores}
    for row_id, (points, _note) in entries.items():
        row = rows.get(row_id)
        if row is None or row.kind != CriterionKind.manual:
            continue
        if points is not None and not 0 <= points <= row.max_points:
            maximum = f"{row.max_points:g}"
            problems.append(_("%(name)s: give 0 to %(max)s points.", name=row.name, max=maximum))
    if problems:
        return problems
    for row_id, (points, note) in entries.items():
        row = rows.get(row_id)
        if row is not None and row.kind == CriterionKind.manual:
            row.points, row.note = points, (note or "").strip()
    update_total(evaluation)
    db.session.flush()
    return []


def finalise(actor, evaluation: Evaluation) -> None:
    """Freeze the evaluation with every input value; later changes anywhere never reach it."""
    if evaluation.is_frozen:
        raise AppraisalError(_("This evaluation is finalised already."))
    missing = [row.name for row in evaluation.scores if row.kind == CriterionKind.manual and row.points is None]
    if missing:
        raise AppraisalError(_("Score every criterion first: %(names)s", names=", ".join(missing)))
    if evaluation.previous_id is None and evaluation.scheme is not None:
        compute([evaluation], evaluation.scheme)
    update_total(evaluation)
    evaluation.status, evaluation.finalised_at, evaluation.finalised_by_id = (
        EvaluationStatus.finalised, utcnow(), getattr(actor, "id", None))
    db.session.flush()
    previous = db.session.get(Evaluation, evaluation.previous_id) if evaluation.previous_id else None
    if previous is not None:
        audit.record(actor, "evaluation.corrected", evaluation, before=snapshot(previous), after=snapshot(evaluation))
    else:
        audit.record(actor, "evaluation.finalised", evaluation, after=snapshot(evaluation))


def acknowledge(person, evaluation: Evaluation) -> None:
    """The person confirms they have seen their finalised evaluation."""
    if evaluation.user_id != person.id or evaluation.status != EvaluationStatus.finalised:
        raise AppraisalError(_("Only a finalised evaluation can be acknowledged, by its person."))
    evaluation.status, evaluation.acknowledged_at = EvaluationStatus.acknowledged, utcnow()
    audit.record(person, "evaluation.acknowledged", evaluation)


def file_appeal(person, evaluation: Evaluation, reason: str) -> Appeal:
    """The person appeals against a finalised evaluation, once, with a reason."""
    if evaluation.user_id != person.id or evaluation.status != EvaluationStatus.finalised:
        raise AppraisalError(_("Only a finalised evaluation can be appealed, by its person."))
    if evaluation.appeals:
        raise AppraisalError(_("This evaluation has been appealed already."))
    if not reason.strip():
        raise AppraisalError(_("Give a reason for the appeal."))
    appeal = Appeal(reason=reason.strip())
    evaluation.appeals.append(appeal)
    evaluation.status = EvaluationStatus.appealed
    db.session.flush()
    audit.record(person, "evaluation.appealed", evaluation, after={"reason": appeal.reason})
    return appeal


def answer_appeal(actor, appeal: Appeal, upheld: bool, answer: str) -> Evaluation | None:
    """HR answers: upheld opens a new version (a draft copy to correct and finalise), rejected says why.

    The appealed version itself never changes; it is marked superseded when a new version replaces it.
    """
    if appeal.status != AppealStatus.open:
        raise AppraisalError(_("This appeal has been answered already."))
    if not answer.strip():
        raise AppraisalError(_("Give the answer to the appeal."))
    evaluation = appeal.evaluation
    appeal.answer, appeal.answered_by_id, appeal.answered_at = answer.strip(), actor.id, utcnow()
    new_version = None
    if upheld:
        appeal.status = AppealStatus.upheld
        new_version = Evaluation(
            scheme_id=evaluation.scheme_id, user_id=evaluation.user_id, period_start=evaluation.period_start,
            period_end=evaluation.period_end, period_label=evaluation.period_label,
            version=evaluation.version + 1, previous_id=evaluation.id, status=EvaluationStatus.draft,
            scheme_name=evaluation.scheme_name, bands_json=evaluation.bands_json, gate_cap=evaluation.gate_cap)
        for row in evaluation.scores:
            new_version.scores.append(EvaluationScore(
                criterion_id=row.criterion_id, position=row.position, name=row.name, kind=row.kind,
                max_points=row.max_points, guidance=row.guidance, source=row.source,
                inputs_json=row.inputs_json, points=row.points, is_gate_passed=row.is_gate_passed,
                note=row.note))
        update_total(new_version)
        db.session.add(new_version)
        evaluation.status = EvaluationStatus.superseded
        db.session.flush()
        appeal.new_evaluation_id = new_version.id
    else:
        appeal.status = AppealStatus.rejected
        evaluation.status = EvaluationStatus.finalised
    db.session.flush()
    audit.record(actor, "appeal.answered", appeal, before={"status": "open"},
                 after={"status": str(appeal.status), "answer": appeal.answer,
                        "new_version": new_version.id if new_version else None})
    return new_version


def evaluations_query(period: str | None = None, scheme_id: int | None = None, status: str | None = None):
    """Evaluations as HR's list filters them (latest first)."""
    query = (sa.select(Evaluation).options(joinedload(Evaluation.user).joinedload(User.department))
             .order_by(Evaluation.period_start.desc(), Evaluation.scheme_name, Evaluation.user_id,
                       Evaluation.version))
    if period:
        query = query.where(Evaluation.period_label == period)
    if scheme_id:
        query = query.where(Evaluation.scheme_id == scheme_id)
    if status:
        query = query.where(Evaluation.status == EvaluationStatus(status))
    return query


def own_evaluations(user_id: int):
    """A person's evaluations that HR has finalised (drafts are HR's work in progress)."""
    return (sa.select(Evaluation).where(Evaluation.user_id == user_id,
                                        Evaluation.status != EvaluationStatus.draft)
            .order_by(Evaluation.period_start.desc(), Evaluation.version.desc()))


def open_appeals_query():
    """Appeals waiting for HR's answer, oldest first."""
    return (sa.select(Appeal).where(Appeal.status == AppealStatus.open)
            .options(joinedload(Appeal.evaluation).joinedload(Evaluation.user)).order_by(Appeal.filed_at))


def evaluation_export_rows(evaluations) -> tuple[list[str], list[list]]:
    """Headers and rows of the evaluation export, the columns of HR's list."""
    from .models import EVALUATION_STATUS_LABELS

    headers = [_("Employee number"), _("Name"), _("Department"), _("Scheme"), _("Period"), _("Version"),
               _("Status"), _("Total"), _("Maximum"), _("Grade")]
    rows = [[e.user.username, e.user.display_name, e.user.department.name if e.user.department else "",
             e.scheme_name, e.period_label, e.version, str(EVALUATION_STATUS_LABELS[e.status]), e.total,
             e.max_total, e.grade or ""] for e in evaluations]
    return headers, rows
