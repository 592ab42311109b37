"""The platform figures appraisal reads, each through the contract function of the feature that owns it.

A source is offered only when its providing module can be imported, so a criterion whose feature has not
landed is simply not offered. Tests (and only tests) install stand-ins with ``use_stand_in``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l


def module_available(name: str) -> bool:
    """Whether ``name`` can be imported (a missing parent package counts as missing)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@dataclass(frozen=True)
class Source:
    """One figure: the function that provides it and how it becomes points.

    ``scale`` is 'percent' (0–100), 'rate' (0–1), 'target' (count or hours against a target) or 'gate'.
    """

    key: str
    label: Any
    module: str
    function: str
    scale: str
    takes_period: bool = True

    def fetch(self, user_ids: Iterable[int], start: date, end: date) -> dict[int, Any]:
        """Each user's value (one call for all of them)."""
        ids = list(user_ids)
        provider = _STAND_INS.get(self.key)
        if provider is None:
            provider = getattr(importlib.import_module(self.module), self.function)
        values = provider(ids) if not self.takes_period else provider(ids, start, end)
        return {user_id: values.get(user_id) for user_id in ids}

    def fraction(self, value, target: float | None) -> float | None:
        """The value as a fraction 0–1 of full marks (None when there is no value)."""
        if value is None:
            return None
        if self.scale == "percent":
            return max(0.0, min(1.0, float(value) / 100))
        if self.scale == "rate":
            return max(0.0, min(1.0, float(value)))
        if self.scale == "gate":
            return 1.0 if value else 0.0
        if not target:
            return 1.0 if value else 0.0
        return max(0.0, min(1.0, float(value) / float(target)))


SOURCES: dict[str, Source] = {source.key: source for source in (
    Source("training_hours", _l("Training hours against target"), "learning.courses.services",
           "training_hours", "target"),
    Source("courses_completed", _l("Courses completed"), "learning.courses.services", "courses_completed",
           "target"),
    Source("class_attendance_rate", _l("Weekend-class attendance rate"), "learning.courses.services",
           "class_attendance_rate", "rate"),
    Source("test_average", _l("Test average"), "learning.quizzes.results", "test_average", "percent"),
    Source("review_scores", _l("Case-review average"), "learning.reviews.services", "review_scores", "percent"),
    Source("mentorship_activity", _l("Mentorship activity (talks)"), "learning.mentorship.services",
           "mentorship_activity", "target"),
    Source("sharing_talks_given", _l("Experience-sharing talks given"), "learning.mentorship.services",
           "sharing_talks_given", "target"),
    Source("signed_current_letters", _l("Integrity commitment signed"), "learning.integrity.services",
           "signed_current_letters", "gate", takes_period=False),
)}

_STAND_INS: dict[str, Callable[..., dict[int, Any]]] = {}


def use_stand_in(key: str, provider: Callable[..., dict[int, Any]] | None) -> None:
    """Replace (or, with None, restore) the provider of ``key``: for tests of features not yet landed."""
    if provider is None:
        _STAND_INS.pop(key, None)
    else:
        _STAND_INS[key] = provider


def is_available(key: str) -> bool:
    """Whether the source ``key`` can be used now."""
    source = SOURCES.get(key)
    return source is not None and (key in _STAND_INS or module_available(source.module))


def available() -> list[Source]:
    """The sources that can be used now, in their fixed order."""
    return [source for key, source in SOURCES.items() if is_available(key)]


def get(key: str | None) -> Source | None:
    """The source ``key`` when it is available."""
    return SOURCES[key] if key and is_available(key) else None


def fetch(key: str, user_ids: Iterable[int], start: date, end: date) -> dict[int, Any] | None:
    """Values of ``key`` for the users, or None when the source is not available."""
    source = get(key)
    return None if source is None else source.fetch(user_ids, start, end)
