"""The scoring rules over many cases: veto items, deductions per section, grade bands, recheck, sample."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learning.reviews.scoring import Bands, SectionSpec, draw_sample, grade_for, needs_recheck, score_file, settle

SECTIONS = [SectionSpec("presentation", 20, {"binding": 6, "documents": 8, "signatures": 6}),
            SectionSpec("substance", 80, {"authority": 10, "facts": 20, "basis": 15, "procedure": 15,
                                          "discretion": 10, "delivery": 10})]
CRITERIA = [key for section in SECTIONS for key in section.criteria]
deductions = st.lists(st.tuples(st.sampled_from(CRITERIA), st.floats(0, 200, allow_nan=False)), max_size=30)
bands = st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(0, 100)).map(
    lambda values: Bands(*sorted(values, reverse=True)))


@given(deductions, bands)
def test_a_failed_veto_item_scores_0_and_unqualified_whatever_the_deductions(taken, grade_bands):
    """Failing any veto item: 0 and unqualified, even with no deductions at all."""
    result = score_file(SECTIONS, taken, vetoed=True, bands=grade_bands)
    assert result.total == 0 and result.grade == "unqualified" and result.is_vetoed


@given(deductions)
def test_deductions_never_push_a_section_below_zero(taken):
    """Each section stays between 0 and its maximum, and the total is their sum."""
    result = score_file(SECTIONS, taken, vetoed=False, bands=Bands())
    for section in SECTIONS:
        assert 0 <= result.sections[section.key] <= section.max_points
    assert result.total == pytest.approx(sum(result.sections.values()))
    assert 0 <= result.total <= 100


def test_a_criterion_loses_at_most_its_own_points():
    """Taking 50 off a 6-point criterion costs that section 6, not 50."""
    result = score_file(SECTIONS, [("binding", 50)], vetoed=False, bands=Bands())
    assert result.sections["presentation"] == 14 and result.total == 94


@given(st.floats(0, 100), bands)
def test_grades_follow_the_configured_bands(total, grade_bands):
    """A total gets the highest band whose threshold it reaches."""
    grade = grade_for(total, grade_bands)
    expected = ("excellent" if total >= grade_bands.excellent else "good" if total >= grade_bands.good
                else "qualified" if total >= grade_bands.qualified else "unqualified")
    assert grade == expected


def test_default_bands_are_90_80_60_and_bands_can_be_changed():
    """≥90 excellent, ≥80 good, ≥60 qualified by default; other thresholds change the grade."""
    assert [grade_for(t, Bands()) for t in (90, 89.9, 80, 60, 59.5)] == [
        "excellent", "good", "good", "qualified", "unqualified"]
    assert grade_for(85, Bands(85, 75, 50)) == "excellent"
    with pytest.raises(ValueError):
        Bands(60, 80, 90)


def test_a_negative_deduction_is_refused():
    """Deductions only take points away."""
    with pytest.raises(ValueError):
        score_file(SECTIONS, [("binding", -3)], vetoed=False, bands=Bands())


@given(st.lists(st.floats(0, 100), min_size=2, max_size=2), st.floats(0, 30))
def test_two_scores_apart_by_more_than_the_margin_wait_for_a_recheck(totals, margin):
    """Beyond the margin the grade is not final until the third reviewer scores; the recheck decides."""
    status, total, grade, _vetoed = settle([(t, False) for t in totals], None, margin, Bands())
    if abs(totals[0] - totals[1]) > margin:
        assert needs_recheck(totals, margin) and status == "recheck" and total is None
        status, total, grade, _vetoed = settle([(t, False) for t in totals], (77.0, False), margin, Bands())
        assert (status, total, grade) == ("final", 77.0, "qualified")
    else:
        assert status == "final" and total == pytest.approx(sum(totals) / 2, abs=0.01)


def test_a_veto_among_agreeing_scores_makes_the_file_unqualified():
    """Two close scores, one of them vetoed (total 0 vs 5): 0 and unqualified."""
    assert settle([(0.0, True), (5.0, False)], None, 10, Bands()) == ("final", 0.0, "unqualified", True)


@given(st.integers(0, 2**31), st.dictionaries(st.sampled_from(["sq1", "sq2", "sq3"]),
                                               st.lists(st.text("0123456789", min_size=3, max_size=6),
                                                        unique=True, max_size=12)),
       st.integers(1, 5))
def test_the_sample_is_reproducible_from_its_seed(seed, candidates, size):
    """The same seed draws the same files per squad, whatever order the candidates come in."""
    first = draw_sample(seed, candidates, size)
    shuffled = {squad: list(reversed(numbers)) for squad, numbers in candidates.items()}
    assert draw_sample(seed, shuffled, size) == first
    for squad, numbers in first.items():
        assert len(numbers) == min(size, len(candidates[squad]))
        assert set(numbers) <= set(candidates[squad])
