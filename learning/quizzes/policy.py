"""Object rules of tests: who may see an attempt, and who may answer in it."""

from __future__ import annotations

from .. import permissions


@permissions.object_rule("quizzes.view_attempt")
def can_view_attempt(user, attempt) -> bool:
    """The learner sees their own attempt; graders and those who read statistics see every attempt."""
    if attempt.user_id == user.id:
        return True
    granted = permissions.permissions_of(user)
    return "quizzes.grade" in granted or "quizzes.statistics" in granted


@permissions.object_rule("quizzes.answer_attempt")
def can_answer_attempt(user, attempt) -> bool:
    """Only the person taking the attempt may save answers in it or submit it."""
    return attempt.user_id == user.id and "quizzes.take" in permissions.permissions_of(user)


@permissions.object_rule("quizzes.grade_answer")
def can_grade_answer(user, item) -> bool:
    """Graders grade answers, but never their own."""
    return "quizzes.grade" in permissions.permissions_of(user) and item.attempt.user_id != user.id
