"""The grading rules of every question type, as pure functions of the key and the response.

Responses refer to options by their index in the version's original order, so shuffling never
changes a grade. Scores are always between 0 and the question's points.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_SPACES = re.compile(r"\s+")


def normalise(text: str | None) -> str:
    """A fill-in answer as it is compared: NFKC (full-width → half-width), case folded, spaces trimmed.

    Runs of inner white space count as one space, so "２００ 元" equals "200  元".
    """
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return _SPACES.sub(" ", folded).strip()


def score_single(correct: Sequence[bool], response, points: float) -> float:
    """Full points when the one chosen option is a correct one."""
    if isinstance(response, bool) or not isinstance(response, int):
        return 0.0
    if 0 <= response < len(correct) and correct[response]:
        return float(points)
    return 0.0


def score_multiple(correct: Sequence[bool], response, points: float, scoring: str = "all_or_nothing") -> float:
    """Multiple choice: all-or-nothing, or partial credit with a penalty for wrong choices.

    Partial credit: each correct option chosen earns ``points / number of correct options``; each
    wrong option chosen takes the same amount away; the result never goes below zero.
    """
    if not isinstance(response, (list, tuple)):
        return 0.0
    chosen = {index for index in response if isinstance(index, int) and not isinstance(index, bool)
              and 0 <= index < len(correct)}
    right = {index for index, is_correct in enumerate(correct) if is_correct}
    if not right:
        return 0.0
    if scoring != "partial":
        return float(points) if chosen == right else 0.0
    hits = len(chosen & right)
    misses = len(chosen - right)
    value = points * (hits - misses) / len(right)
    return float(min(points, max(0.0, value)))


def score_truefalse(answer: bool | None, response, points: float) -> float:
    """Full points when the response matches the key."""
    if not isinstance(response, bool) or answer is None:
        return 0.0
    return float(points) if response == answer else 0.0


def score_fill(accepted: Sequence[str], response, points: float) -> float:
    """Full points when the normalised response equals one normalised accepted answer."""
    given = normalise(response if isinstance(response, str) else None)
    if not given:
        return 0.0
    return float(points) if given in {normalise(answer) for answer in accepted} else 0.0


def score(version, response, points: float | None = None) -> float | None:
    """The score of ``response`` to ``version`` (a QuestionVersion); None for a short answer (by hand)."""
    points = version.points if points is None else points
    kind = str(version.type)
    correct = [bool(option.get("correct")) for option in version.options]
    if kind == "single":
        return score_single(correct, response, points)
    if kind == "multiple":
        return score_multiple(correct, response, points, version.scoring)
    if kind == "truefalse":
        return score_truefalse(version.answer_bool, response, points)
    if kind == "fill":
        return score_fill(version.accepted_answers, response, points)
    return None


def clean_response(version, raw):
    """Turn submitted form values into a stored response, or None when nothing valid was given.

    ``raw`` is a list of strings (the form's values for the question).
    """
    kind = str(version.type)
    values = [value for value in (raw or []) if value is not None]
    count = len(version.options)
    if kind == "single":
        indices = _indices(values, count)
        return indices[0] if indices else None
    if kind == "multiple":
        return sorted(set(_indices(values, count)))
    if kind == "truefalse":
        if not values:
            return None
        return {"true": True, "false": False}.get(str(values[0]).lower())
    text = str(values[0]) if values else ""
    return text[:4000]


def _indices(values, count: int) -> list[int]:
    found = []
    for value in values:
        try:
            index = int(value)
        except (TypeError, ValueError):
            continue
        if 0 <= index < count:
            found.append(index)
    return found


def counted_percent(percents_in_order: Sequence[float], method: str) -> float | None:
    """The percent that counts for a person by the test's grading method (attempts oldest first)."""
    values = [value for value in percents_in_order if value is not None]
    if not values:
        return None
    if method == "highest":
        return max(values)
    if method == "latest":
        return values[-1]
    if method == "first":
        return values[0]
    return sum(values) / len(values)
