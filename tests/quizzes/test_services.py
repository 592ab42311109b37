"""Grading rules, the content loader, attempts with their server-side deadline, manual grading,
regrades, statistics and the contracts other features read."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from learning import signals
from learning.audit import AuditEvent
from learning.extensions import db
from learning.quizzes import grading, loader, results, services, statistics
from learning.quizzes.models import Attempt, AttemptQuestion, AttemptStatus, Question, QuestionVersion, Test

from ..conftest import make_user
from .conftest import answers_for, make_question, make_test

T0 = datetime(2026, 3, 2, 8, 0)
CONTENT = Path(__file__).resolve().parents[2] / "content"

# --- grading rules -----------------------------------------------------------------------------

ASCII = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12)
SPACES = st.text(alphabet=" \t\u3000", max_size=3)


def full_width(text: str) -> str:
    """The full-width form of ASCII letters and digits (as a Chinese input method types them)."""
    return "".join(chr(ord(char) + 0xFEE0) for char in text)


@settings(deadline=None)
@given(word=ASCII, before=SPACES, after=SPACES, wide=st.booleans(), upper=st.booleans())
def test_fill_in_ignores_case_width_and_surrounding_space(word, before, after, wide, upper):
    """Whatever the case, width and surrounding space, the same answer normalises alike and scores full."""
    typed = word.upper() if upper else word.lower()
    typed = before + (full_width(typed) if wide else typed) + after
    assert grading.normalise(typed) == grading.normalise(word)
    assert grading.score_fill([word], typed, 2) == 2.0


def test_fill_in_examples():
    """'２００' equals '200'; an answer that differs in more than form scores nothing."""
    assert grading.score_fill(["200"], "２００", 1) == 1.0
    assert grading.score_fill(["two officers"], "  Two  Officers ", 1) == 1.0
    assert grading.score_fill(["200"], "2000", 1) == 0.0
    assert grading.score_fill(["200"], "", 1) == 0.0
    assert grading.score_fill(["200"], None, 1) == 0.0


MASKS = st.lists(st.booleans(), min_size=2, max_size=6).filter(any)


@settings(deadline=None)
@given(correct=MASKS, data=st.data(), points=st.sampled_from([1, 2, 3, 5, 2.5]))
def test_multiple_choice_scores_stay_between_zero_and_maximum(correct, data, points):
    """Partial credit and all-or-nothing never go below zero nor above the points; full marks only for
    exactly the correct options."""
    chosen = data.draw(st.lists(st.integers(0, len(correct) - 1), unique=True))
    right = {i for i, flag in enumerate(correct) if flag}
    partial = grading.score_multiple(correct, chosen, points, "partial")
    strict = grading.score_multiple(correct, chosen, points, "all_or_nothing")
    assert 0.0 <= partial <= points
    assert strict in (0.0, float(points))
    assert (strict == points) == (set(chosen) == right)
    assert (partial == points) == (set(chosen) == right)


@settings(deadline=None)
@given(correct=MASKS, data=st.data())
def test_adding_a_wrong_choice_never_raises_partial_credit(correct, data):
    """A wrong option chosen costs points (down to zero), it never earns any."""
    wrong = [i for i, flag in enumerate(correct) if not flag]
    chosen = data.draw(st.lists(st.integers(0, len(correct) - 1), unique=True))
    for extra in wrong:
        if extra not in chosen:
            assert grading.score_multiple(correct, [*chosen, extra], 3, "partial") <= \
                grading.score_multiple(correct, chosen, 3, "partial")


def test_partial_credit_examples():
    """Three correct of four, 3 points: each right choice earns 1, each wrong one takes 1 away, floor 0."""
    correct = [True, True, False, True]
    assert grading.score_multiple(correct, [0, 1], 3, "partial") == 2.0
    assert grading.score_multiple(correct, [0, 1, 2], 3, "partial") == 1.0
    assert grading.score_multiple(correct, [2], 3, "partial") == 0.0
    assert grading.score_multiple(correct, [0, 1, 3], 3, "partial") == 3.0
    assert grading.score_multiple(correct, [0, 1], 3, "all_or_nothing") == 0.0


@settings(deadline=None)
@given(answer=st.booleans(), response=st.one_of(st.booleans(), st.none(), st.text(max_size=3)))
def test_true_false(answer, response):
    """Full points only for the matching boolean."""
    expected = 1.0 if response is answer else 0.0
    assert grading.score_truefalse(answer, response, 1) == expected


@settings(deadline=None)
@given(index=st.one_of(st.integers(-3, 8), st.none(), st.booleans()))
def test_single_choice(index):
    """Only the correct option's index scores; anything else (also junk) scores zero."""
    correct = [False, True, False]
    expected = 2.0 if index == 1 and not isinstance(index, bool) else 0.0
    assert grading.score_single(correct, index, 2) == expected


@pytest.mark.parametrize(("method", "expected"), [("highest", 80), ("latest", 50), ("first", 40), ("average", 170 / 3)])
def test_grading_methods(method, expected):
    """Highest, latest, first or average of a person's attempts."""
    assert grading.counted_percent([40, 80, 50], method) == pytest.approx(expected)


# --- content loader ----------------------------------------------------------------------------

def test_shipped_content_loads_with_enough_questions_in_both_languages(ctx):
    """Every shipped bank and test loads; each language has at least 80 questions with explanation and source."""
    report = loader.load(CONTENT)
    assert report.errors == []
    db.session.flush()
    counts = dict(db.session.execute(sa.select(Question.language, sa.func.count(Question.id))
                                     .group_by(Question.language)).all())
    assert counts["zh"] >= 80 and counts["en"] >= 80
    missing = db.session.execute(sa.select(sa.func.count(QuestionVersion.id)).where(
        sa.or_(QuestionVersion.explanation == "", QuestionVersion.source == ""))).scalar_one()
    assert missing == 0
    assert {"practice-zh", "monthly-assessment-zh", "penalty-law-quiz-en"} <= set(
        db.session.execute(sa.select(Test.slug)).scalars())
    again = loader.load(CONTENT)
    assert not again.changed and again.errors == []


def _write_bank(directory: Path, text: str, name: str = "mini.en.yaml") -> Path:
    (directory / "quizzes").mkdir(parents=True, exist_ok=True)
    (directory / "tests").mkdir(parents=True, exist_ok=True)
    path = directory / "quizzes" / name
    path.write_text(text, encoding="utf-8")
    return path


BANK = """bank: mini
language: en
title: Mini bank
questions:
- key: m-1
  type: single
  tags: [a]
  text: One?
  options:
  - text: Alpha
    correct: true
  - text: Beta
  explanation: because
  source: Art. 1
- key: m-2
  type: fill
  difficulty: 2
  tags: [b]
  text: Two?
  answers: ['2']
  explanation: because
  source: Art. 2
"""


def test_sync_is_idempotent_and_an_edit_makes_a_new_version(ctx, tmp_path):
    """A second run changes nothing; an edited question gets version 2 while an attempt keeps version 1."""
    _write_bank(tmp_path, BANK)
    first = loader.load(tmp_path)
    assert first.count("created") == 2 and first.errors == []
    assert not loader.load(tmp_path).changed
    user = make_user("u-sync")
    test = make_test("sync", ["mini/m-1"])
    attempt = services.start_attempt(user, test, now=T0, rng=random.Random(1))
    shown = attempt.items[0].version_id
    _write_bank(tmp_path, BANK.replace("text: One?", "text: One (edited)?"))
    second = loader.load(tmp_path)
    assert second.count("updated") == 1 and second.count("unchanged") == 1
    question = db.session.execute(sa.select(Question).where(Question.key == "m-1")).scalar_one()
    assert question.current_version.number == 2
    db.session.refresh(attempt.items[0])
    assert attempt.items[0].version_id == shown
    assert attempt.items[0].version.text == "One?"


def test_removed_question_is_archived_not_deleted(ctx, tmp_path):
    """A question gone from its file is archived; its versions stay for past attempts."""
    _write_bank(tmp_path, BANK)
    loader.load(tmp_path)
    _write_bank(tmp_path, BANK.split("- key: m-2")[0])
    report = loader.load(tmp_path)
    assert report.count("archived") == 1
    question = db.session.execute(sa.select(Question).where(Question.key == "m-2")).scalar_one()
    assert question.is_archived


@pytest.mark.parametrize(("bad", "good", "line", "reason"), [
    ("  type: fill\n", "  type: essay\n", 15, "type must be one of"),
    ("  answers: ['2']\n", "  answers: []\n", 15, "accepted answers"),
    ("  - text: Beta\n", "  - text: Beta\n    correct: true\n", 5, "exactly one correct"),
])
def test_bad_bank_is_rejected_with_file_and_line(ctx, tmp_path, bad, good, line, reason):
    """A broken question rejects the whole file, naming the file and the question's line."""
    path = _write_bank(tmp_path, BANK.replace(bad, good))
    report = loader.load(tmp_path)
    assert len(report.errors) == 1
    error = report.errors[0]
    assert error.path == str(path) and error.line == line and reason in error.reason
    assert db.session.execute(sa.select(sa.func.count(Question.id))).scalar_one() == 0


def test_yaml_syntax_error_has_its_line(ctx, tmp_path):
    """Invalid YAML is reported at its line."""
    _write_bank(tmp_path, BANK.replace("  text: Two?\n", "  text: [Two?\n"))
    error = loader.load(tmp_path).errors[0]
    assert error.line is not None and "invalid YAML" in error.reason


def test_test_file_with_unknown_question_is_rejected_with_line(ctx, tmp_path):
    """A test naming a question that does not exist is rejected at the line of ``questions``."""
    _write_bank(tmp_path, BANK)
    (tmp_path / "tests" / "quiz.yaml").write_text(
        "slug: quiz\ntitle: Quiz\nlanguage: en\nmode: fixed\nquestions: [mini/m-1, mini/m-9]\n", encoding="utf-8")
    report = loader.load(tmp_path)
    assert [(e.line, "mini/m-9" in e.reason) for e in report.errors] == [(5, True)]


def test_random_draw_respects_bank_tags_difficulty_and_count(ctx, bank):
    """Draw rules: bank, any of the tags, difficulty and count; no question twice in one attempt."""
    make_question({"key": "other-bank", "type": "truefalse", "answer": True, "text": "x", "tags": ["kinds"]},
                  bank="other")
    test = make_test("draw", [], mode="random", draw_text=
                     '[{"bank": "demo-bank", "tags": ["kinds", "payment"], "count": 5},'
                     ' {"bank": "demo-bank", "difficulty": 1, "count": 1}]')
    for seed in range(10):
        versions = services.draw_versions(test, random.Random(seed))
        keys = [version.question.key for version in versions]
        assert sorted(keys[:2]) == ["q-fill", "q-multi"]
        assert keys[2] in ("q-single", "q-tf") and len(set(keys)) == 3


# --- attempts ----------------------------------------------------------------------------------

def test_deadline_is_the_earlier_of_limit_and_close(ctx, bank, people):
    """Start + time limit, unless the window closes first; an override adds time (with its reason)."""
    test = make_test(time_limit_minutes=30, closes_at=T0 + timedelta(minutes=20))
    attempt = services.start_attempt(people["learner"], test, now=T0)
    assert attempt.deadline_at == T0 + timedelta(minutes=20)
    test.closes_at = None
    services.set_override(people["instructor"], test, people["learner"], extra_minutes=15, reason="Medical")
    assert attempt.deadline_at == T0 + timedelta(minutes=45)
    other = services.start_attempt(people["other"], test, now=T0)
    assert other.deadline_at == T0 + timedelta(minutes=30)


def test_override_needs_a_reason_and_is_audited(ctx, bank, people):
    """An override without a reason is refused; one with a reason lands in the audit log."""
    test = make_test()
    with pytest.raises(ValueError):
        services.set_override(people["instructor"], test, people["learner"], extra_attempts=1, reason=" ")
    services.set_override(people["instructor"], test, people["learner"], extra_attempts=1, reason="Network outage")
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "test.override_set")).scalar_one()
    assert event.after_data["reason"] == "Network outage"


def test_attempts_allowed_window_and_extra_attempt(ctx, bank, people):
    """One attempt allowed: the second is refused until an override grants one more; closed windows refuse."""
    learner = people["learner"]
    test = make_test(attempts_allowed=1)
    services.submit_attempt(services.start_attempt(learner, test, now=T0), now=T0)
    with pytest.raises(services.AttemptRefused):
        services.start_attempt(learner, test, now=T0)
    services.set_override(people["instructor"], test, learner, extra_attempts=1, reason="Power cut")
    assert services.start_attempt(learner, test, now=T0).number == 2
    closed = make_test("closed", opens_at=T0 + timedelta(days=1))
    with pytest.raises(services.AttemptRefused):
        services.start_attempt(learner, closed, now=T0)


def test_start_resumes_the_running_attempt(ctx, bank, people):
    """Starting again (a reload, another device) returns the same attempt with its answers."""
    test = make_test()
    first = services.start_attempt(people["learner"], test, now=T0)
    services.save_answer(first, first.items[0], ["1"], now=T0)
    again = services.start_attempt(people["learner"], test, now=T0 + timedelta(minutes=5))
    assert again.id == first.id and again.items[0].response_text is not None


def test_objective_answers_graded_and_short_answer_waits(ctx, bank, people):
    """All right: objective questions earn full points; the result is final only after manual grading."""
    received = []
    signals.test_passed.connect(lambda sender, **kw: received.append((sender.username, kw)), weak=False)
    test = make_test()
    attempt = services.start_attempt(people["learner"], test, now=T0)
    for position, values in answers_for(attempt, right=True).items():
        assert services.save_answer(attempt, attempt.items[position - 1], values, now=T0)
    assert services.submit_attempt(attempt, now=T0 + timedelta(minutes=3))
    assert attempt.status == AttemptStatus.pending and attempt.score is None
    short = next(item for item in attempt.items if item.needs_grading)
    assert sum(item.score for item in attempt.items if not item.needs_grading) == 6.0
    services.grade_answer(people["instructor"], short, 3, "Good, but name the hearing rights.")
    assert attempt.status == AttemptStatus.graded
    assert attempt.score == 9.0 and attempt.max_score == 11.0 and attempt.percent == pytest.approx(81.82)
    assert attempt.is_passed
    assert [name for name, _kw in received] == ["learner1"]
    assert received[0][1] == {"test_slug": "t1", "attempt_id": attempt.id}
    signals.test_passed.receivers.clear()


def test_wrong_answers_fail(ctx, bank, people):
    """All wrong: zero on every objective question, not passed, no signal."""
    test = make_test(refs=["demo-bank/q-single", "demo-bank/q-multi", "demo-bank/q-tf", "demo-bank/q-fill"])
    attempt = services.start_attempt(people["learner"], test, now=T0)
    for position, values in answers_for(attempt, right=False).items():
        services.save_answer(attempt, attempt.items[position - 1], values, now=T0)
    services.submit_attempt(attempt, now=T0)
    assert attempt.status == AttemptStatus.graded and attempt.score == 0 and attempt.is_passed is False


def test_timed_attempt_graded_on_what_was_saved_when_coming_back_late(ctx, bank, people):
    """Leave after two answers, come back after the deadline: graded on those two; later saves refused."""
    test = make_test(refs=["demo-bank/q-single", "demo-bank/q-tf", "demo-bank/q-fill"], time_limit_minutes=10)
    attempt = services.start_attempt(people["learner"], test, now=T0)
    values = answers_for(attempt, right=True)
    services.save_answer(attempt, attempt.items[0], values[1], now=T0 + timedelta(minutes=2))
    services.save_answer(attempt, attempt.items[1], values[2], now=T0 + timedelta(minutes=3))
    late = T0 + timedelta(minutes=11)
    assert not services.save_answer(attempt, attempt.items[2], values[3], now=late)
    assert services.close_if_overdue(attempt, late)
    assert attempt.status == AttemptStatus.graded and attempt.is_auto_submitted
    assert attempt.score == 2.0 and attempt.finished_at == T0 + timedelta(minutes=10)


def test_close_overdue_grades_attempts_never_returned_to(app, ctx, bank, people):
    """``flask quizzes close-overdue`` grades every attempt past its deadline, and only those."""
    test = make_test(refs=["demo-bank/q-single"], time_limit_minutes=5)
    now = services.utcnow()
    gone = services.start_attempt(people["learner"], test, now=now - timedelta(minutes=30))
    services.save_answer(gone, gone.items[0], answers_for(gone)[1], now=now - timedelta(minutes=29))
    running = services.start_attempt(people["other"], test, now=now)
    ids = (gone.id, running.id)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["quizzes", "close-overdue"])
    assert result.exit_code == 0 and "closed 1" in result.output
    db.session.expire_all()
    gone, running = db.session.get(Attempt, ids[0]), db.session.get(Attempt, ids[1])
    assert gone.status == AttemptStatus.graded and gone.score == 1.0
    assert running.status == AttemptStatus.open


def test_second_submission_changes_nothing(ctx, bank, people):
    """Submitting twice grades once: one audit entry, the same score."""
    test = make_test(refs=["demo-bank/q-single"])
    attempt = services.start_attempt(people["learner"], test, now=T0)
    assert services.submit_attempt(attempt, now=T0)
    assert not services.submit_attempt(attempt, now=T0 + timedelta(minutes=1))
    submitted = db.session.execute(sa.select(sa.func.count(AuditEvent.id))
                                   .where(AuditEvent.action == "attempt.submitted")).scalar_one()
    assert submitted == 1 and attempt.submitted_at == T0


def test_save_refused_for_someone_elses_item(ctx, bank, people):
    """An answer for a question of another attempt is not saved."""
    test = make_test(refs=["demo-bank/q-single"])
    mine = services.start_attempt(people["learner"], test, now=T0)
    theirs = services.start_attempt(people["other"], test, now=T0)
    assert not services.save_answer(mine, theirs.items[0], ["1"], now=T0)
    assert theirs.items[0].response_text is None


def test_shuffled_options_keep_grading_right(ctx, bank, people):
    """With shuffled options the attempt's order changes, the grade of the right option does not."""
    test = make_test(refs=["demo-bank/q-single"], shuffle_options=True)
    orders = set()
    for index in range(8):
        learner = make_user(f"shuffle{index}")
        attempt = services.start_attempt(learner, test, now=T0, rng=random.Random(index))
        orders.add(tuple(attempt.items[0].option_order))
        services.save_answer(attempt, attempt.items[0], ["1"], now=T0)
        services.submit_attempt(attempt, now=T0)
        assert attempt.score == 1.0
    assert len(orders) > 1


# --- regrade -----------------------------------------------------------------------------------

def test_regrade_applies_corrected_key_and_audits_each_change(ctx, bank, people):
    """After a key correction, regrade lists the changed attempts, changes them and audits each one."""
    test = make_test(refs=["demo-bank/q-single", "demo-bank/q-tf"])
    right = services.start_attempt(people["learner"], test, now=T0)
    services.save_answer(right, right.items[0], ["1"], now=T0)
    services.submit_attempt(right, now=T0)
    chose_third = services.start_attempt(people["other"], test, now=T0)
    services.save_answer(chose_third, chose_third.items[0], ["2"], now=T0)
    services.submit_attempt(chose_third, now=T0)
    assert (right.score, chose_third.score) == (1.0, 0.0)
    question = bank["q-single"]
    data = loader.validate_question({**_q("q-single"), "options": [
        {"text": "One officer"}, {"text": "Two officers"}, {"text": "Three officers", "correct": True}]}, "x", None)
    services.save_question(people["instructor"], question, "demo-bank", "q-single", "en", data)
    assert right.score == 1.0  # nothing changes until the explicit regrade
    preview = services.regrade_changes(question)
    assert {change.attempt.id for change in preview} == {right.id, chose_third.id}
    changed = services.regrade(people["instructor"], question)
    assert {change.attempt.id for change in changed} == {right.id, chose_third.id}
    assert (right.score, chose_third.score) == (0.0, 1.0)
    events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "attempt.regraded")).scalars().all()
    assert {event.target_id for event in events} == {str(right.id), str(chose_third.id)}
    assert services.regrade_changes(question) == []


def _q(key):
    from .conftest import QUESTIONS

    return next(dict(data) for data in QUESTIONS if data["key"] == key)


# --- statistics --------------------------------------------------------------------------------

def _graded(test, user, scores: list[float], number: int = 1, finished=T0) -> Attempt:
    """A graded attempt with the given per-question scores (one point each)."""
    attempt = Attempt(test=test, user_id=user.id, number=number, status=AttemptStatus.graded, started_at=finished,
                      finished_at=finished, max_score=len(scores), score=sum(scores),
                      percent=round(100 * sum(scores) / len(scores), 2), is_passed=sum(scores) / len(scores) >= 0.6)
    versions = db.session.execute(sa.select(QuestionVersion).order_by(QuestionVersion.id)).scalars().all()
    for position, value in enumerate(scores, start=1):
        version = versions[position - 1]
        attempt.items.append(AttemptQuestion(position=position, version_id=version.id, key_version_id=version.id,
                                             points=1.0, score=value))
    db.session.add(attempt)
    db.session.flush()
    return attempt


def test_statistics_match_a_hand_computed_example(ctx, bank):
    """Six attempts, two questions. By hand:

    attempt  q1  q2  percent   third
    A         1   1   100       top
    B         1   1   100       top
    C         1   0    50       middle
    D         0   1    50       middle
    E         1   0    50       bottom (ties broken by id: C, D, E)
    F         0   0     0       bottom

    q1: facility 4/6 = 0.6667; top (A, B) 1.0, bottom (E, F) 0.5 → discrimination 0.5
    q2: facility 3/6 = 0.5;    top 1.0, bottom 0.0 → discrimination 1.0
    Pass mark 60%: A and B pass → pass rate 2/6; mean (100+100+50+50+50+0)/6 = 58.33.
    Distribution: one in 0–9, three in 50–59, two in 90–100.
    """
    test = make_test("stats", ["demo-bank/q-single", "demo-bank/q-multi"])
    rows = [[1, 1], [1, 1], [1, 0], [0, 1], [1, 0], [0, 0]]
    for index, scores in enumerate(rows):
        _graded(test, make_user(f"s{index}"), scores)
    summary = statistics.summary(test.id)
    assert summary["attempts"] == 6 and summary["passed"] == 2
    assert summary["pass_rate"] == pytest.approx(2 / 6) and summary["mean_percent"] == pytest.approx(58.33)
    assert statistics.distribution(test.id) == [1, 0, 0, 0, 0, 3, 0, 0, 0, 2]
    items = statistics.item_analysis(test.id)
    assert [row["question"].key for row in items] == ["q-multi", "q-single"]  # most missed first
    by_key = {row["question"].key: row for row in items}
    assert by_key["q-single"]["facility"] == pytest.approx(0.6667, abs=1e-4)
    assert by_key["q-single"]["discrimination"] == pytest.approx(0.5)
    assert by_key["q-multi"]["facility"] == pytest.approx(0.5)
    assert by_key["q-multi"]["discrimination"] == pytest.approx(1.0)


# --- contracts ---------------------------------------------------------------------------------

def test_test_average_counts_each_test_by_its_grading_method(ctx, bank):
    """Highest of (40, 80) and first of (50, 90) → mean of 80 and 50 = 65; outside the period ignored."""
    person, idle = make_user("avg1"), make_user("avg2")
    highest = make_test("h", ["demo-bank/q-single", "demo-bank/q-multi"], grading="highest")
    first = make_test("f", ["demo-bank/q-single", "demo-bank/q-multi"], grading="first")
    day = datetime(2026, 3, 10, 9, 0)
    _graded(highest, person, [0, 0.8], 1, day)  # 40
    _graded(highest, person, [1, 0.6], 2, day)  # 80
    _graded(first, person, [1, 0], 1, day)  # 50
    _graded(first, person, [1, 0.8], 2, day)  # 90
    _graded(first, person, [1, 1], 3, datetime(2026, 4, 2))  # outside March
    averages = results.test_average([person.id, idle.id], date(2026, 3, 1), date(2026, 3, 31))
    assert averages == {person.id: pytest.approx(65.0), idle.id: None}
    latest = make_test("l", ["demo-bank/q-single", "demo-bank/q-multi"], grading="latest")
    _graded(latest, idle, [1, 1], 1, day)
    _graded(latest, idle, [0, 0.4], 2, day)  # 20 counts
    average = make_test("a", ["demo-bank/q-single", "demo-bank/q-multi"], grading="average")
    _graded(average, idle, [1, 1], 1, day)
    _graded(average, idle, [0, 0], 2, day)  # 50
    assert results.test_average([idle.id], date(2026, 3, 1), date(2026, 3, 31)) == {idle.id: pytest.approx(35.0)}


def test_results_for_lists_the_latest_results(ctx, bank):
    """Title, percent, passed and finished time, newest first, limited."""
    person = make_user("res1")
    test = make_test("r", ["demo-bank/q-single", "demo-bank/q-multi"])
    _graded(test, person, [1, 0], 1, datetime(2026, 3, 1))
    _graded(test, person, [1, 1], 2, datetime(2026, 3, 5))
    rows = results.results_for(person.id, limit=1)
    assert rows == [{"test_title": "Test r", "test_slug": "r", "attempt_id": rows[0]["attempt_id"],
                     "score_percent": 100.0, "passed": True, "finished_at": datetime(2026, 3, 5),
                     "status": "graded"}]


RAW = st.lists(st.one_of(st.text(max_size=6), st.integers(-5, 10).map(str), st.sampled_from(["true", "false"])),
               max_size=6)


@settings(deadline=None)
@given(raw=RAW, kind=st.sampled_from(["single", "multiple", "truefalse", "fill"]))
def test_any_submitted_form_values_score_within_bounds(raw, kind):
    """Whatever a browser (or a forged request) sends, the stored response scores between 0 and the points."""

    class Version:
        type = kind
        points = 2.0
        options = [{"text": "a", "correct": True}, {"text": "b"}, {"text": "c", "correct": True}]
        scoring = "partial"
        answer_bool = True
        accepted_answers = ["200"]

    response = grading.clean_response(Version, raw)
    value = grading.score(Version, response)
    assert 0.0 <= value <= 2.0


def test_draw_rule_with_unknown_bank_is_rejected_at_its_line(ctx, tmp_path):
    """A draw rule naming a bank that does not exist is reported at the rule's line; nothing is created."""
    _write_bank(tmp_path, BANK)
    (tmp_path / "tests" / "drawn.yaml").write_text(
        "slug: drawn\ntitle: Drawn\nlanguage: en\nmode: random\ndraw:\n"
        "- {bank: mini, tags: [a], count: 1}\n- {bank: nowhere, count: 2}\n", encoding="utf-8")
    report = loader.load(tmp_path)
    assert [(error.line, "nowhere" in error.reason) for error in report.errors] == [(7, True)]
    assert db.session.execute(sa.select(sa.func.count(Test.id))).scalar_one() == 0


def test_moving_the_close_moves_running_deadlines(ctx, bank, people):
    """Closing a test earlier ends running attempts earlier; reopening gives back their time limit."""
    test = make_test(time_limit_minutes=60)
    attempt = services.start_attempt(people["learner"], test, now=T0)
    services.set_window(people["instructor"], test, None, T0 + timedelta(minutes=15))
    assert attempt.deadline_at == T0 + timedelta(minutes=15)
    services.set_window(people["instructor"], test, None, None)
    assert attempt.deadline_at == T0 + timedelta(minutes=60)
