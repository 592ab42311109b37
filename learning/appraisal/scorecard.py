"""The four-element cadre scorecard: elements from the platform and the legal-affairs rating, weights
re-normalised over the elements that have data, rankings per department and for the bureau."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from .. import audit
from ..audit import utcnow
from ..extensions import db
from ..people.models import StaffCategory, User
from . import sources
from .models import DEFAULT_WEIGHTS, ELEMENT_LABELS, ELEMENTS, LegalRating, Scorecard, ScorecardPeriod
from .services import AppraisalError

# The legal-system evaluation rubric: item, label, maximum points (100 in all).
RUBRIC = (
    ("procedure", _l("Lawful procedure in enforcement"), 30),
    ("application", _l("Correct application of law"), 30),
    ("documents", _l("Complete and standard documents"), 20),
    ("reversals", _l("No decisions reversed on reconsideration or in court"), 20),
)

# Development capabilities: figure, weight within the element, and the target that earns full marks
# (None: the period's training-hours target).
DEVELOPMENT_PARTS = (
    ("training_hours", 50.0, None),
    ("courses_completed", 20.0, 3.0),
    ("mentorship_activity", 15.0, 3.0),
    ("sharing_talks_given", 15.0, 1.0),
)


def combine(values: dict[str, float | None], weights: dict[str, float]) -> dict:
    """Weighted total of the elements that have a value, the weights re-normalised over them.

    Returns the total (None when no element has data), the weights used and each element's share, so the
    page can show how the total follows. A missing element is left out, never counted as zero.
    """
    present = {key: value for key, value in values.items() if value is not None and weights.get(key, 0) > 0}
    weight_sum = sum(weights[key] for key in present)
    if not present or weight_sum <= 0:
        return {"total": None, "weight_sum": 0.0, "parts": {key: None for key in values}}
    parts = {}
    for key in values:
        if key in present:
            normalised = weights[key] / weight_sum
            parts[key] = {"value": present[key], "weight": weights[key], "normalised": round(normalised, 6),
                          "contribution": round(present[key] * normalised, 4)}
        else:
            parts[key] = None
    total = round(sum(present[key] * weights[key] for key in present) / weight_sum, 2)
    return {"total": total, "weight_sum": weight_sum, "parts": parts}


def create_period(actor, label: str, start: date, end: date, weights: dict[str, float] | None = None,
                  training_target_hours: float = 20.0) -> ScorecardPeriod:
    """A scorecard period with its weights (default 30/25/25/20)."""
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    period = ScorecardPeriod(label=label.strip(), start=start, end=end, training_target_hours=training_target_hours,
                             **{f"weight_{key}": value for key, value in weights.items()})
    db.session.add(period)
    db.session.flush()
    audit.record(actor, "scorecard.period_created", period, after={"label": period.label, **weights})
    return period


def set_weights(actor, period: ScorecardPeriod, weights: dict[str, float], training_target_hours: float) -> None:
    """Change the element weights of an unpublished period (recompute to apply)."""
    if period.is_published:
        raise AppraisalError(_("The ranking is published; its scorecards no longer change."))
    if any(value < 0 for value in weights.values()) or sum(weights.values()) <= 0:
        raise AppraisalError(_("Weights are zero or more, and not all zero."))
    before = {**period.weights, "training_target_hours": period.training_target_hours}
    for key, value in weights.items():
        setattr(period, f"weight_{key}", value)
    period.training_target_hours = training_target_hours
    audit.record(actor, "scorecard.weights_changed", period, before=before,
                 after={**period.weights, "training_target_hours": training_target_hours})


def rate_legal(rater, period: ScorecardPeriod, user: User, rubric: dict[str, float], note: str) -> LegalRating:
    """The legal-affairs section's rating of a cadre against the rubric (re-rating replaces it, audited)."""
    if period.is_published:
        raise AppraisalError(_("The ranking is published; its scorecards no longer change."))
    limits = {key: maximum for key, _label, maximum in RUBRIC}
    for key, maximum in limits.items():
        value = rubric.get(key)
        if value is None or not 0 <= value <= maximum:
            raise AppraisalError(_("Give each rubric item 0 to its maximum."))
    rating = db.session.execute(sa.select(LegalRating).where(
        LegalRating.period_id == period.id, LegalRating.user_id == user.id)).scalar_one_or_none()
    before = None
    if rating is None:
        rating = LegalRating(period_id=period.id, user_id=user.id, score=0)
        db.session.add(rating)
    else:
        before = {"rubric": rating.rubric, "score": rating.score, "note": rating.note}
    rating.rubric_json = json.dumps({key: rubric[key] for key in limits})
    rating.score = round(sum(rubric[key] for key in limits), 2)
    rating.note, rating.rater_id, rating.rated_at = note.strip(), rater.id, utcnow()
    db.session.flush()
    audit.record(rater, "scorecard.legal_rated", rating, before=before,
                 after={"user": user.username, "rubric": rating.rubric, "score": rating.score})
    return rating


def cadres_query():
    """Active cadres, by department and employee number."""
    return (sa.select(User).where(User.staff_category == StaffCategory.cadre, User.is_active_account.is_(True))
            .order_by(User.department_id, User.username))


def _development(user_id: int, values: dict, period: ScorecardPeriod) -> tuple[float | None, list[dict]]:
    parts, weighted, weight_sum = [], 0.0, 0.0
    for key, weight, target in DEVELOPMENT_PARTS:
        target = period.training_target_hours if target is None else target
        found = values.get(key)
        if found is None:
            parts.append({"key": key, "available": False, "weight": weight, "target": target})
            continue
        value = found.get(user_id) or 0
        score = round(min(1.0, float(value) / target) * 100, 2) if target else 0.0
        parts.append({"key": key, "available": True, "value": value, "target": target, "score": score,
                      "weight": weight})
        weighted += score * weight
        weight_sum += weight
    return (round(weighted / weight_sum, 2) if weight_sum else None), parts


def compute_period(actor, period: ScorecardPeriod) -> int:
    """Compute every active cadre's scorecard for the period, and rank by department and for the bureau.

    Each source is asked once for all cadres; a figure that is missing is shown as missing and its element
    left out of the total. Published periods never change.
    """
    if period.is_published:
        raise AppraisalError(_("The ranking is published; its scorecards no longer change."))
    cadres = list(db.session.execute(cadres_query()).scalars())
    ids = [user.id for user in cadres]
    keys = {"review_scores", "test_average"} | {key for key, _w, _t in DEVELOPMENT_PARTS}
    values = {key: sources.fetch(key, ids, period.start, period.end) for key in sorted(keys)}
    ratings = {rating.user_id: rating for rating in db.session.execute(
        sa.select(LegalRating).where(LegalRating.period_id == period.id)).scalars()}
    existing = {card.user_id: card for card in db.session.execute(
        sa.select(Scorecard).where(Scorecard.period_id == period.id)).scalars()}
    weights = period.weights
    cards = []
    for user in cadres:
        card = existing.pop(user.id, None)
        if card is None:
            card = Scorecard(period_id=period.id, user_id=user.id)
            db.session.add(card)
        inputs: dict = {}
        review = values["review_scores"]
        card.quality = None if review is None or review.get(user.id) is None else round(float(review[user.id]), 2)
        inputs["quality"] = {"available": review is not None, "review_scores": card.quality,
                             "rule": "lead handler 1, co-handler 0.5"}
        card.development, parts = _development(user.id, values, period)
        inputs["development"] = {"parts": parts}
        tests = values["test_average"]
        card.theory = None if tests is None or tests.get(user.id) is None else round(float(tests[user.id]), 2)
        inputs["theory"] = {"available": tests is not None, "test_average": card.theory}
        rating = ratings.get(user.id)
        card.legal = rating.score if rating else None
        inputs["legal"] = {"rubric": rating.rubric if rating else None, "note": rating.note if rating else ""}
        result = combine({key: getattr(card, key) for key in ELEMENTS}, weights)
        inputs["combination"] = result
        inputs["weights"] = weights
        card.total = result["total"]
        card.department_id = user.department_id
        card.inputs_json = json.dumps(inputs, ensure_ascii=False, default=str)
        card.computed_at = utcnow()
        cards.append(card)
    _rank(cards)
    for stale in existing.values():
        db.session.delete(stale)
    period.computed_at = utcnow()
    db.session.flush()
    audit.record(actor, "scorecard.computed", period, after={"count": len(cadres), "weights": weights})
    return len(cadres)


def _rank(cards: list[Scorecard]) -> None:
    """Store each scorecard's rank in the bureau and in its department (equal totals share a rank)."""
    def assign(group: list[Scorecard], attribute: str) -> None:
        """Rank ``group`` by total into ``attribute``; people without a total get no rank."""
        ordered = sorted((card for card in group if card.total is not None), key=lambda card: -card.total)
        for index, card in enumerate(ordered):
            same = index and ordered[index - 1].total == card.total
            setattr(card, attribute, getattr(ordered[index - 1], attribute) if same else index + 1)
        for card in group:
            if card.total is None:
                setattr(card, attribute, None)

    assign(cards, "rank_bureau")
    by_department: dict[int | None, list[Scorecard]] = {}
    for card in cards:
        by_department.setdefault(card.department_id, []).append(card)
    for group in by_department.values():
        assign(group, "rank_department")


def publish(actor, period: ScorecardPeriod) -> None:
    """Publish the ranking as a notice to all staff; the period's scorecards are frozen from then on."""
    if period.is_published:
        raise AppraisalError(_("The ranking is published already."))
    if period.computed_at is None:
        raise AppraisalError(_("Compute the scorecards before publishing."))
    period.is_published, period.published_at = True, utcnow()
    audit.record(actor, "scorecard.published", period)


def ranking_query(period: ScorecardPeriod, department_id: int | None = None):
    """Scorecards of the period by rank (people without any data last)."""
    query = (sa.select(Scorecard).where(Scorecard.period_id == period.id)
             .options(joinedload(Scorecard.user), joinedload(Scorecard.department))
             .order_by(Scorecard.total.is_(None), Scorecard.total.desc(), Scorecard.user_id))
    if department_id:
        query = query.where(Scorecard.department_id == department_id)
    return query


def trend(user_id: int) -> tuple[list[str], dict[str, list[float | None]]]:
    """A person's totals and elements over the periods, oldest first (one query)."""
    rows = db.session.execute(
        sa.select(ScorecardPeriod.label, Scorecard).join(Scorecard, Scorecard.period_id == ScorecardPeriod.id)
        .where(Scorecard.user_id == user_id).order_by(ScorecardPeriod.start)).all()
    labels = [label for label, _card in rows]
    series = {str(_("Total")): [card.total for _label, card in rows]}
    for key in ELEMENTS:
        series[str(ELEMENT_LABELS[key])] = [getattr(card, key) for _label, card in rows]
    return labels, series


def ranking_export_rows(cards) -> tuple[list[str], list[list]]:
    """Headers and rows of the ranking export, the columns of the ranking page."""
    headers = [_("Bureau rank"), _("Department rank"), _("Employee number"), _("Name"), _("Department")] + \
        [str(ELEMENT_LABELS[key]) for key in ELEMENTS] + [_("Total")]
    rows = [[card.rank_bureau, card.rank_department, card.user.username, card.user.display_name,
             card.department.name if card.department else ""] + [getattr(card, key) for key in ELEMENTS]
            + [card.total] for card in cards]
    return headers, rows
