"""Who may see an attempt, answer in it and grade it (the object rules of learning/quizzes/policy.py)."""

from __future__ import annotations

from learning.permissions import can
from learning.quizzes import services

from ..conftest import make_user
from .conftest import make_test


def test_attempt_rules(ctx, bank, people):
    """The owner sees and answers; graders and statisticians see; another learner does neither."""
    attempt = services.start_attempt(people["learner"], make_test())
    owner, other, teacher = people["learner"], people["other"], people["instructor"]
    reviewer = make_user("rev1", roles=["reviewer"])
    assert can(owner, "quizzes.view_attempt", attempt) and can(owner, "quizzes.answer_attempt", attempt)
    assert can(teacher, "quizzes.view_attempt", attempt) and not can(teacher, "quizzes.answer_attempt", attempt)
    for outsider in (other, reviewer):
        assert not can(outsider, "quizzes.view_attempt", attempt)
        assert not can(outsider, "quizzes.answer_attempt", attempt)


def test_graders_never_grade_their_own_answers(ctx, bank, people):
    """An instructor who took a test cannot grade their own short answer; another grader can."""
    teacher, colleague = people["instructor"], make_user("teacher2", roles=["instructor"])
    attempt = services.start_attempt(teacher, make_test(refs=["demo-bank/q-short"]))
    services.submit_attempt(attempt)
    item = attempt.items[0]
    assert not can(teacher, "quizzes.grade_answer", item)
    assert can(colleague, "quizzes.grade_answer", item)
    assert not can(people["learner"], "quizzes.grade_answer", item)


def test_inactive_owner_loses_access(ctx, bank, people):
    """A deactivated account can no longer open its attempt."""
    attempt = services.start_attempt(people["learner"], make_test())
    people["learner"].is_active_account = False
    assert not can(people["learner"], "quizzes.view_attempt", attempt)


def test_roles_of_the_test_permissions(ctx, people):
    """Every learner takes tests; only instructors manage, grade and read statistics."""
    learner, teacher = people["learner"], people["instructor"]
    assert can(learner, "quizzes.take")
    for permission in ("quizzes.manage", "quizzes.grade", "quizzes.statistics"):
        assert can(teacher, permission) and not can(learner, permission)
