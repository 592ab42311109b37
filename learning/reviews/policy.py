"""Object rules of the reviews area: who may score a file, answer a notice, or read a bulletin."""

from __future__ import annotations

from .. import permissions
from .models import RectificationNotice, ReviewAssignment, ReviewCycle


def _has(user, permission: str) -> bool:
    return permission in permissions.permissions_of(user)


@permissions.object_rule("reviews.score")
def can_score(user, assignment: ReviewAssignment) -> bool:
    """A reviewer scores only a file assigned to them, never one of their own squad or one they handled."""
    if not _has(user, "reviews.score") or not isinstance(assignment, ReviewAssignment):
        return False
    if assignment.reviewer_id != user.id:
        return False
    case = assignment.file.case
    if user.department_id is not None and user.department_id == case.squad_id:
        return False
    return all(handler.user_id != user.id for handler in case.handlers)


@permissions.object_rule("reviews.respond")
def can_respond(user, notice: RectificationNotice) -> bool:
    """A handler sees and answers the rectification notices of their own cases; reviewers see all."""
    if _has(user, "reviews.manage"):
        return True
    if not _has(user, "reviews.respond") or not isinstance(notice, RectificationNotice):
        return False
    return any(handler.user_id == user.id for handler in notice.case.handlers)


@permissions.object_rule("reviews.read_bulletin")
def can_read_bulletin(user, cycle: ReviewCycle) -> bool:
    """Every signed-in staff member reads a published bulletin; an unpublished one is the reviewers' alone."""
    if not isinstance(cycle, ReviewCycle):
        return False
    if cycle.is_published:
        return _has(user, "reviews.read_bulletin")
    return _has(user, "reviews.manage")
