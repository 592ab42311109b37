"""The scoring rules, as pure functions: veto items, deductions per section, grade bands, recheck, sample.

Kept free of the database so that the rules can be tested over many cases (hypothesis) and reused by
the services, the importer and the demo alike.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

GRADES = ("excellent", "good", "qualified", "unqualified")


@dataclass(frozen=True)
class Bands:
    """The lowest total of each grade; below ``qualified`` the file is unqualified."""

    excellent: float = 90.0
    good: float = 80.0
    qualified: float = 60.0

    def __post_init__(self):
        if not (self.excellent >= self.good >= self.qualified >= 0):
            raise ValueError("grade bands must be ordered: excellent ≥ good ≥ qualified ≥ 0")


def grade_for(total: float, bands: Bands) -> str:
    """The grade of ``total`` under ``bands``."""
    if total >= bands.excellent:
        return "excellent"
    if total >= bands.good:
        return "good"
    if total >= bands.qualified:
        return "qualified"
    return "unqualified"


@dataclass(frozen=True)
class SectionSpec:
    """A section's maximum and the maximum of each of its criteria (by criterion key)."""

    key: object
    max_points: float
    criteria: Mapping[object, float]


@dataclass(frozen=True)
class Result:
    """A scored file: the total, the grade, whether a veto decided it, and each section's score."""

    total: float
    grade: str
    is_vetoed: bool
    sections: dict


def score_file(sections: Sequence[SectionSpec], deductions: Iterable[tuple[object, float]], vetoed: bool,
               bands: Bands) -> Result:
    """Score one file.

    A failed veto item makes it 0 and unqualified whatever the deductions. Otherwise each criterion
    loses at most its own maximum, each section at most its own maximum (never below zero), and the
    total is the sum of the sections, graded by ``bands``.
    """
    taken: dict[object, float] = {}
    for criterion, points in deductions:
        if points < 0:
            raise ValueError("a deduction cannot be negative")
        taken[criterion] = taken.get(criterion, 0.0) + points
    scores = {}
    for section in sections:
        lost = sum(min(taken.get(key, 0.0), maximum) for key, maximum in section.criteria.items())
        scores[section.key] = round(max(0.0, section.max_points - lost), 2)
    if vetoed:
        return Result(0.0, "unqualified", True, scores)
    total = round(sum(scores.values()), 2)
    return Result(total, grade_for(total, bands), False, scores)


def needs_recheck(totals: Sequence[float], margin: float) -> bool:
    """Two or more first scores that differ by more than ``margin`` call for a third reviewer."""
    return len(totals) >= 2 and max(totals) - min(totals) > margin


def settle(first: Sequence[tuple[float, bool]], recheck: tuple[float, bool] | None, margin: float,
           bands: Bands) -> tuple[str, float | None, str | None, bool]:
    """The state of a file from its submitted scores ``(total, vetoed)``.

    Returns ``(status, total, grade, vetoed)``: ``pending`` with no scores, ``recheck`` while a
    disagreement waits for the third reviewer, else ``final``: the recheck's score when there is a
    disagreement, otherwise the mean of the first scores (0 and unqualified if any of them vetoed).
    """
    if not first:
        return "pending", None, None, False
    totals = [total for total, _vetoed in first]
    if needs_recheck(totals, margin):
        if recheck is None:
            return "recheck", None, None, False
        total, vetoed = recheck
    else:
        vetoed = any(vetoed for _total, vetoed in first)
        total = 0.0 if vetoed else round(sum(totals) / len(totals), 2)
    if vetoed:
        return "final", 0.0, "unqualified", True
    return "final", total, grade_for(total, bands), False


def draw_sample(seed: int, candidates: Mapping[str, Sequence[str]], size: int) -> dict[str, list[str]]:
    """Up to ``size`` case numbers per squad, drawn at random but reproducibly from ``seed``.

    The same seed and the same candidate files always give the same sample, whatever order the
    candidates come in.
    """
    sample = {}
    for squad in sorted(candidates):
        pool = sorted(candidates[squad])
        rng = random.Random(f"{seed}:{squad}")
        sample[squad] = sorted(rng.sample(pool, min(size, len(pool))))
    return sample
