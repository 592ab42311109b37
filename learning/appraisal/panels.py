"""Dashboard panels: one's own latest evaluation and scorecard, and HR's work in progress.

Each panel runs one statement (the dashboard's budget gives appraisal two): the latest evaluation and the
latest scorecard come as two one-row subqueries joined to a single row, HR's three counts as scalar
subqueries; the panels carry plain values, so their templates load nothing.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ..extensions import db
from . import registry, services
from .models import Appeal, AppealStatus, Evaluation, EvaluationStatus, Scorecard, ScorecardPeriod


def latest_scorecard_query(user_id: int):
    """A person's scorecards, latest period first (the order of "my appraisal")."""
    return (sa.select(Scorecard).join(ScorecardPeriod).where(Scorecard.user_id == user_id)
            .order_by(ScorecardPeriod.start.desc()))


def own_panel(user) -> dict | None:
    """The person's latest finalised evaluation and latest scorecard (hidden when there is neither)."""
    evaluation = (services.own_evaluations(user.id)
                  .with_only_columns(Evaluation.id, Evaluation.scheme_name, Evaluation.period_label,
                                     Evaluation.grade, Evaluation.total, Evaluation.max_total, Evaluation.status)
                  .limit(1).subquery("latest_evaluation"))
    card = (latest_scorecard_query(user.id)
            .with_only_columns(Scorecard.id, Scorecard.total, ScorecardPeriod.label)
            .limit(1).subquery("latest_card"))
    one = sa.select(sa.literal(1).label("one")).subquery("one")
    row = db.session.execute(
        sa.select(evaluation.c.id.label("evaluation_id"), evaluation.c.scheme_name, evaluation.c.period_label,
                  evaluation.c.grade, evaluation.c.total.label("evaluation_total"), evaluation.c.max_total,
                  evaluation.c.status, card.c.id.label("card_id"), card.c.total.label("card_total"),
                  card.c.label.label("card_label"))
        .select_from(one.outerjoin(evaluation, sa.true()).outerjoin(card, sa.true()))).one()
    if row.evaluation_id is None and row.card_id is None:
        return None
    found = row.evaluation_id is not None
    return {
        "evaluation": {"id": row.evaluation_id, "scheme_name": row.scheme_name, "period_label": row.period_label,
                       "grade": row.grade, "total": row.evaluation_total, "max_total": row.max_total,
                       "status": row.status} if found else None,
        "card": {"id": row.card_id, "label": row.card_label, "total": row.card_total}
        if row.card_id is not None else None,
        "needs_answer": found and row.status == EvaluationStatus.finalised,
    }


def hr_panel(_user) -> dict:
    """Drafts to finish, appeals to answer and contracts ending soon."""
    drafts = sa.select(sa.func.count(Evaluation.id)).where(Evaluation.status == EvaluationStatus.draft)
    appeals = sa.select(sa.func.count(Appeal.id)).where(Appeal.status == AppealStatus.open)
    ending = sa.select(sa.func.count()).select_from(
        registry.contracts_ending(date.today()).order_by(None).subquery())
    row = db.session.execute(sa.select(drafts.scalar_subquery().label("drafts"),
                                       appeals.scalar_subquery().label("appeals"),
                                       ending.scalar_subquery().label("ending"))).one()
    return {"drafts": row.drafts, "appeals": row.appeals, "ending": row.ending}
