"""Dashboard panels of reviews: the latest bulletin, my rectification notices and the review queue.

All three read one per-request summary (``dashboard_data``, cached in ``flask.g``) built with two
statements whatever the data size: one SELECT of scalar subqueries for the figures, one UNION ALL
for the few rows the panels list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import g, has_request_context, request

from ..extensions import db
from ..permissions import can
from .models import (
    CaseFile,
    CaseHandler,
    CycleStatus,
    NoticeStatus,
    RectificationNotice,
    ReviewAssignment,
    ReviewCycle,
    SampledFile,
)

LISTED = 5
"""How many notices and assignments a panel lists."""

_KEY = "reviews_dashboard"
_WAITING = (NoticeStatus.open, NoticeStatus.returned)


@dataclass(frozen=True)
class NoticeRow:
    """A rectification notice waiting for the user, as the panel lists it."""

    id: int
    case_number: str
    due_on: date
    is_overdue: bool


@dataclass(frozen=True)
class AssignmentRow:
    """A file the reviewer still has to score, as the panel lists it."""

    id: int
    case_number: str
    month: str


def _figures(user, can_score: bool, today: date) -> dict:
    """The latest published bulletin and, for reviewers, the queue and overdue counts (one statement)."""
    def latest(column):
        return (sa.select(column).where(ReviewCycle.status == CycleStatus.published)
                .order_by(ReviewCycle.month.desc()).limit(1).scalar_subquery())

    columns = [latest(ReviewCycle.month).label("month"), latest(ReviewCycle.bulletin).label("bulletin")]
    if can_score:
        columns += [
            sa.select(sa.func.count(ReviewAssignment.id))
            .join(SampledFile, ReviewAssignment.file_id == SampledFile.id)
            .join(ReviewCycle, SampledFile.cycle_id == ReviewCycle.id)
            .where(ReviewAssignment.reviewer_id == user.id, ReviewCycle.status == CycleStatus.open,
                   ReviewAssignment.submitted_at.is_(None)).scalar_subquery().label("waiting"),
            sa.select(sa.func.count(RectificationNotice.id))
            .where(RectificationNotice.status.in_(_WAITING), RectificationNotice.due_on < today)
            .scalar_subquery().label("overdue"),
        ]
    return dict(db.session.execute(sa.select(*columns)).one()._mapping)


def _lists(user, can_respond: bool, can_score: bool, today: date) -> tuple[list[NoticeRow], list[AssignmentRow]]:
    """The user's waiting notices and unscored assignments, a few of each (one statement)."""
    parts = []
    if can_respond:
        parts.append(
            sa.select(sa.literal_column("'notice'", sa.String).label("kind"), RectificationNotice.id.label("id"),
                      CaseFile.case_number.label("case_number"),
                      sa.cast(sa.null(), sa.String).label("month"), RectificationNotice.due_on.label("due_on"))
            .join(CaseFile, RectificationNotice.case_id == CaseFile.id)
            .join(CaseHandler, CaseHandler.case_id == RectificationNotice.case_id)
            .where(CaseHandler.user_id == user.id, RectificationNotice.status.in_(_WAITING))
            .order_by(RectificationNotice.due_on, RectificationNotice.id).limit(LISTED))
    if can_score:
        parts.append(
            sa.select(sa.literal_column("'assignment'", sa.String).label("kind"), ReviewAssignment.id.label("id"),
                      CaseFile.case_number.label("case_number"), ReviewCycle.month.label("month"),
                      sa.cast(sa.null(), sa.Date).label("due_on"))
            .join(SampledFile, ReviewAssignment.file_id == SampledFile.id)
            .join(ReviewCycle, SampledFile.cycle_id == ReviewCycle.id)
            .join(CaseFile, SampledFile.case_id == CaseFile.id)
            .where(ReviewAssignment.reviewer_id == user.id, ReviewCycle.status == CycleStatus.open,
                   ReviewAssignment.submitted_at.is_(None))
            .order_by(ReviewCycle.month, ReviewAssignment.id).limit(LISTED))
    if not parts:
        return [], []
    # Each part keeps its own ORDER BY/LIMIT inside a subquery; the union's row order is re-established below.
    query = sa.union_all(*(sa.select(part.subquery()) for part in parts)) if len(parts) > 1 \
        else sa.select(parts[0].subquery())
    notices, assignments = [], []
    for kind, row_id, case_number, month, due_on in db.session.execute(query).all():
        if kind == "notice":
            notices.append(NoticeRow(row_id, case_number, due_on, due_on < today))
        else:
            assignments.append(AssignmentRow(row_id, case_number, month))
    notices.sort(key=lambda row: (row.due_on, row.id))
    assignments.sort(key=lambda row: (row.month, row.id))
    return notices, assignments


def dashboard_data(user) -> dict:
    """Everything the reviews panels show for ``user``: two statements, cached for the request."""
    if has_request_context():
        cached = g.get(_KEY)
        if cached is not None and cached[0] is request._get_current_object() and cached[1] == user.id:
            return cached[2]
    today = date.today()
    can_score = can(user, "reviews.score")
    figures = _figures(user, can_score, today)
    notices, assignments = _lists(user, can(user, "reviews.respond"), can_score, today)
    data = {**figures, "notices": notices, "assignments": assignments, "today": today}
    if has_request_context():
        setattr(g, _KEY, (request._get_current_object(), user.id, data))
    return data


def latest_bulletin_panel(user) -> dict | None:
    """The newest published bulletin: month, files, average, grade counts and the top squad."""
    data = dashboard_data(user)
    if data["month"] is None:
        return None
    bulletin = json.loads(data["bulletin"] or "{}")
    return {"month": data["month"], "files": len(bulletin.get("files", [])), "average": bulletin.get("average"),
            "grades": bulletin.get("grades", {}), "top": (bulletin.get("ranking") or [None])[0]}


def my_notices_panel(user) -> dict | None:
    """The user's rectification notices still waiting for them (hidden when there are none)."""
    data = dashboard_data(user)
    if not data["notices"]:
        return None
    return {"notices": data["notices"], "today": data["today"]}


def queue_panel(user) -> dict | None:
    """The reviewer's files still to score, and overdue rectification notices."""
    data = dashboard_data(user)
    return {"waiting": data.get("waiting", 0), "overdue": data.get("overdue", 0),
            "assignments": data["assignments"]}
