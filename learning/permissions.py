"""The whole access policy: roles, the permissions each grants, and object-level rules.

Views ask ``can(user, "reviews.publish")`` or, for one object, ``can(user, "quizzes.view_attempt",
attempt)``. A role grants permissions; an object rule (registered by the feature that owns the object)
then decides for the particular object, for example "a mentor sees their own apprentices".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

ROLES = ("learner", "mentor", "instructor", "reviewer", "hr", "admin")

ROLE_LABELS = {
    "learner": _l("Learner"),
    "mentor": _l("Mentor"),
    "instructor": _l("Instructor"),
    "reviewer": _l("Reviewer"),
    "hr": _l("HR"),
    "admin": _l("Administrator"),
}

# Every signed-in staff member is a learner, whatever other roles they hold.
LEARNER = frozenset({
    "dashboard.view",
    "account.manage_own",
    "courses.learn",
    "classes.attend",
    "quizzes.take",
    "reviews.read_bulletin",
    "reviews.view_own_record",
    "reviews.respond",
    "mentorship.participate",
    "integrity.sign",
    "appraisal.view_own",
})

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "learner": LEARNER,
    "mentor": frozenset({
        "mentorship.mentor",        # log talks, evaluate own apprentices
    }),
    "instructor": frozenset({
        "courses.manage",           # courses, lessons
        "courses.assign",
        "classes.manage",           # weekend classes, attendance
        "quizzes.manage",           # question bank, tests, overrides
        "quizzes.grade",            # manual grading queue
        "quizzes.statistics",
        "training.view_all",        # hours ledger and overdue lists of everyone
    }),
    "reviewer": frozenset({
        "reviews.manage",           # case files, rubric, cycles
        "reviews.score",
        "reviews.publish",
        "appraisal.legal_rating",   # legal-system evaluation element of the scorecard
    }),
    "hr": frozenset({
        "people.view_all",
        "people.registry",          # auxiliary-staff registry, recruitment
        "people.view_personal_data",
        "courses.assign",
        "training.view_all",
        "mentorship.manage",        # programme owner
        "integrity.manage",         # letters, collective signings, books
        "appraisal.manage",         # schemes, evaluations, appeals, scorecards
        "exports.full_data",
    }),
    "admin": frozenset({
        "people.view_all",
        "people.manage",            # accounts, roles, departments, roster import
        "audit.view",
        "settings.manage",
        "mentorship.manage",
        "integrity.manage",
    }),
}

ObjectRule = Callable[[Any, Any], bool]
_OBJECT_RULES: dict[str, ObjectRule] = {}


def object_rule(permission: str) -> Callable[[ObjectRule], ObjectRule]:
    """Register the rule that decides ``permission`` for one object: ``rule(user, obj) -> bool``."""

    def register(rule: ObjectRule) -> ObjectRule:
        _OBJECT_RULES[permission] = rule
        return rule

    return register


def permissions_of(user) -> frozenset[str]:
    """All permissions the user's roles grant (a signed-out visitor has none)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    granted = set(LEARNER)
    for role in user.role_names:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def can(user, permission: str, obj: Any = None) -> bool:
    """Whether ``user`` may do ``permission`` (to ``obj``, when given and a rule for it exists).

    A permission that has an object rule is decided by that rule alone when an object is given, so a
    relationship (a mentor and their apprentice) can grant access that no role does.
    """
    if obj is not None and permission in _OBJECT_RULES:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        return bool(_OBJECT_RULES[permission](user, obj))
    return permission in permissions_of(user)


def require(permission: str, obj: Any = None) -> None:
    """Abort with 403 unless the current user may do ``permission`` (to ``obj``)."""
    if not can(current_user, permission, obj):
        abort(403)


def permission_required(permission: str):
    """View decorator: sign-in required, then ``permission``; refusals are 403 and audited."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from .extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            require(permission)
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator


def get_checked(model, ident, permission: str):
    """Load ``model`` by primary key (404 when missing) and check ``permission`` on it (403).

    The one way views load an object a user asks for by id, so that changing an id in a URL never
    reaches someone else's record.
    """
    from .extensions import db

    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    require(permission, obj)
    return obj
