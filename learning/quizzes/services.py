"""The rules of tests: who may take what, starting, saving, submitting, grading, regrading, overrides.

Services take the acting user and the time explicitly and only flush; the view or CLI command commits.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from .. import audit, signals
from ..audit import utcnow
from ..extensions import db
from . import grading
from .loader import add_version
from .models import (
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    Question,
    QuestionType,
    QuestionVersion,
    Test,
    TestAssignment,
    TestOverride,
)

FINISHED = (AttemptStatus.pending, AttemptStatus.graded)


class AttemptRefused(Exception):
    """Starting or continuing an attempt is not allowed; the message says why, for the learner."""


@dataclass(frozen=True)
class Rules:
    """The rules that apply to one person on one test, after their override."""

    opens_at: datetime | None
    closes_at: datetime | None
    time_limit_minutes: int | None
    attempts_allowed: int  # 0: unlimited

    def is_open(self, now: datetime) -> bool:
        """Whether the window is open at ``now``."""
        return (self.opens_at is None or now >= self.opens_at) and (self.closes_at is None or now < self.closes_at)


# --- who may take what ---------------------------------------------------------------------------

def override_for(test: Test, user) -> TestOverride | None:
    """The person's override on the test, if any."""
    return db.session.execute(sa.select(TestOverride).where(
        TestOverride.test_id == test.id, TestOverride.user_id == user.id)).scalar_one_or_none()


def rules_for(test: Test, override: TestOverride | None) -> Rules:
    """The test's rules changed by the person's override (extra time, extra attempts, own window)."""
    limit = test.time_limit_minutes
    attempts = test.attempts_allowed
    opens, closes = test.opens_at, test.closes_at
    if override is not None:
        if limit:
            limit += override.extra_minutes
        if attempts:
            attempts += override.extra_attempts
        opens = override.opens_at or opens
        closes = override.closes_at or closes
    return Rules(opens, closes, limit, attempts)


def assignment_condition(user):
    """SQL condition: the assignment reaches the person (by name, staff category or department)."""
    conditions = [TestAssignment.user_id == user.id, TestAssignment.staff_category == str(user.staff_category)]
    if user.department_id:
        conditions.append(TestAssignment.department_id == user.department_id)
    return sa.or_(*conditions)


def _assigned_clause(user):
    return sa.exists().where(TestAssignment.test_id == Test.id, assignment_condition(user))


def due_dates(user, test_ids) -> dict[int, datetime | None]:
    """The earliest due date of the assignments that reach the person, per test (assigned tests only)."""
    return dict(db.session.execute(
        sa.select(TestAssignment.test_id, sa.func.min(TestAssignment.due_on))
        .where(TestAssignment.test_id.in_(list(test_ids)), assignment_condition(user))
        .group_by(TestAssignment.test_id)).all())


def tests_for_user_query(user, language: str | None = None):
    """Tests the person may take: the audience includes them or the test is assigned to them.

    With ``language``, tests in other languages are left out unless assigned.
    """
    assigned = _assigned_clause(user)
    audience = Test.audience.in_(("all", str(user.staff_category)))
    if language:
        audience = sa.and_(audience, Test.language == language)
    return (sa.select(Test).where(Test.is_archived.is_(False), sa.or_(audience, assigned))
            .order_by(Test.closes_at.is_(None), Test.closes_at, Test.title))


def may_take(user, test: Test) -> bool:
    """Whether the person is in the test's audience or assigned to it."""
    if test.is_archived:
        return False
    if test.audience in ("all", str(user.staff_category)):
        return True
    return bool(db.session.execute(sa.select(_assigned_clause(user))).scalar())


def attempts_used(test: Test, user) -> int:
    """How many attempts the person has started on the test."""
    return db.session.execute(sa.select(sa.func.count(Attempt.id)).where(
        Attempt.test_id == test.id, Attempt.user_id == user.id)).scalar_one()


def open_attempt(test: Test, user) -> Attempt | None:
    """The person's running attempt on the test, if any."""
    return db.session.execute(sa.select(Attempt).where(
        Attempt.test_id == test.id, Attempt.user_id == user.id, Attempt.status == AttemptStatus.open)
    ).scalars().first()


# --- starting --------------------------------------------------------------------------------------

def _pool(test: Test) -> list[QuestionVersion]:
    """Current versions of the non-archived questions of the test's language in the banks it draws from."""
    banks = {item["bank"] for item in test.draw if item.get("bank")}
    query = (sa.select(QuestionVersion).join(Question, Question.current_version_id == QuestionVersion.id)
             .where(Question.language == test.language, Question.is_archived.is_(False))
             .options(selectinload(QuestionVersion.question)).order_by(Question.bank, Question.key))
    if banks and all(item.get("bank") for item in test.draw):
        query = query.where(Question.bank.in_(banks))
    return list(db.session.execute(query).scalars())


def draw_versions(test: Test, rng: random.Random) -> list[QuestionVersion]:
    """The question versions of a new attempt: the fixed list, or a fresh draw by the test's rules."""
    if test.mode == "fixed":
        refs = test.fixed_refs
        pairs = [tuple(ref.split("/", 1)) for ref in refs]
        rows = db.session.execute(
            sa.select(Question.bank, Question.key, QuestionVersion)
            .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
            .where(Question.language == test.language, sa.tuple_(Question.bank, Question.key).in_(pairs))).all()
        found = {(bank, key): version for bank, key, version in rows}
        return [found[pair] for pair in pairs if pair in found]
    pool = _pool(test)
    chosen: list[QuestionVersion] = []
    used: set[int] = set()
    for item in test.draw:
        tags = set(item.get("tags") or [])
        candidates = [version for version in pool if version.question_id not in used
                      and (not item.get("bank") or version.question.bank == item["bank"])
                      and ("difficulty" not in item or version.difficulty == item["difficulty"])
                      and (not tags or tags & set(version.tags))]
        picked = rng.sample(candidates, min(int(item.get("count", 1)), len(candidates)))
        chosen.extend(picked)
        used.update(version.question_id for version in picked)
    return chosen


def deadline_for(rules: Rules, started_at: datetime) -> datetime | None:
    """The earlier of start + time limit and the window's close (None: no deadline)."""
    candidates = []
    if rules.time_limit_minutes:
        candidates.append(started_at + timedelta(minutes=rules.time_limit_minutes))
    if rules.closes_at:
        candidates.append(rules.closes_at)
    return min(candidates) if candidates else None


def why_not_start(user, test: Test, rules: Rules, used: int, now: datetime):
    """Why the person cannot start a new attempt now (a message for them), or None when they can."""
    if not may_take(user, test):
        return _l("This test is not open to you.")
    if rules.opens_at and now < rules.opens_at:
        return _l("This test has not opened yet.")
    if rules.closes_at and now >= rules.closes_at:
        return _l("This test has closed.")
    if rules.attempts_allowed and used >= rules.attempts_allowed:
        return _l("You have used all your attempts at this test.")
    return None


def start_attempt(user, test: Test, now: datetime | None = None, rng: random.Random | None = None) -> Attempt:
    """Start an attempt (or return the running one): freeze its questions and store its deadline."""
    now = now or utcnow()
    running = open_attempt(test, user)
    if running is not None and not close_if_overdue(running, now):
        return running
    rules = rules_for(test, override_for(test, user))
    used = attempts_used(test, user)
    refusal = why_not_start(user, test, rules, used, now)
    if refusal is not None:
        raise AttemptRefused(refusal)
    rng = rng or random.SystemRandom()
    versions = draw_versions(test, rng)
    if not versions:
        raise AttemptRefused(_l("This test has no questions yet."))
    if test.shuffle_questions:
        rng.shuffle(versions)
    attempt = Attempt(test=test, user_id=user.id, number=used + 1, started_at=now,
                      deadline_at=deadline_for(rules, now), status=AttemptStatus.open,
                      max_score=sum(version.points for version in versions))
    for position, version in enumerate(versions, start=1):
        order = list(range(len(version.options)))
        if test.shuffle_options and version.type in (QuestionType.single, QuestionType.multiple):
            rng.shuffle(order)
        attempt.items.append(AttemptQuestion(position=position, version_id=version.id,
                                             key_version_id=version.id, points=version.points,
                                             option_order_text=json.dumps(order)))
    db.session.add(attempt)
    db.session.flush()
    audit.record(user, "attempt.started", attempt, after={"test": test.slug, "deadline": attempt.deadline_at})
    return attempt


# --- answering and submitting ---------------------------------------------------------------------

def save_answer(attempt: Attempt, item: AttemptQuestion, raw_values, now: datetime | None = None) -> bool:
    """Save one answer with a single UPDATE that only lands while the attempt is open and in time.

    Returns False when the attempt was closed or its deadline had passed (nothing is saved then).
    """
    now = now or utcnow()
    if item.attempt_id != attempt.id:
        return False
    response = grading.clean_response(item.version, raw_values)
    value = None if response in (None, "", []) else json.dumps(response, ensure_ascii=False)
    # FOR SHARE (PostgreSQL): a save racing a submission of the same attempt waits for it and then sees
    # the attempt closed, and a submission waits for a save under way, so grading never misses an answer.
    still_open = sa.select(Attempt.id).where(
        Attempt.id == attempt.id, Attempt.status == AttemptStatus.open,
        sa.or_(Attempt.deadline_at.is_(None), Attempt.deadline_at > now)).with_for_update(read=True)
    result = db.session.execute(
        sa.update(AttemptQuestion).where(AttemptQuestion.id == item.id, AttemptQuestion.attempt_id.in_(still_open))
        .values(response_text=value, saved_at=now).execution_options(synchronize_session=False))
    if result.rowcount == 1:
        item.response_text, item.saved_at = value, now
        return True
    return False


def submit_attempt(attempt: Attempt, now: datetime | None = None, auto: bool = False) -> bool:
    """Submit and grade the attempt exactly once: a conditional UPDATE lets only one caller through.

    Returns True for the call that submitted; a second submission (another tab, a retry) returns False
    and changes nothing.
    """
    now = now or utcnow()
    finished_at = min(now, attempt.deadline_at) if attempt.deadline_at else now
    result = db.session.execute(
        sa.update(Attempt).where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.open)
        .values(status=AttemptStatus.submitted, submitted_at=now, finished_at=finished_at, is_auto_submitted=auto)
        .execution_options(synchronize_session=False))
    db.session.refresh(attempt)
    if result.rowcount != 1:
        return False
    audit.record(attempt.user if not auto else None, "attempt.submitted", attempt,
                 detail="deadline passed" if auto else None)
    grade_attempt(attempt)
    return True


def close_if_overdue(attempt: Attempt, now: datetime | None = None) -> bool:
    """Grade a running attempt whose deadline passed, on what was saved. True when it was closed now."""
    now = now or utcnow()
    if attempt.status == AttemptStatus.open and attempt.deadline_at and now >= attempt.deadline_at:
        return submit_attempt(attempt, now, auto=True)
    return False


def close_overdue(now: datetime | None = None, user_id: int | None = None) -> int:
    """Grade every running attempt whose deadline passed (of one person, when given); returns how many."""
    now = now or utcnow()
    query = sa.select(Attempt).where(Attempt.status == AttemptStatus.open, Attempt.deadline_at.is_not(None),
                                     Attempt.deadline_at <= now)
    if user_id is not None:
        query = query.where(Attempt.user_id == user_id)
    closed = 0
    for attempt in db.session.execute(query.order_by(Attempt.id)).scalars().all():
        closed += submit_attempt(attempt, now, auto=True)
    return closed


# --- grading -------------------------------------------------------------------------------------

def _load_items(attempt: Attempt) -> list[AttemptQuestion]:
    return list(db.session.execute(
        sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
        .options(selectinload(AttemptQuestion.key_version)).order_by(AttemptQuestion.position)).scalars())


def grade_attempt(attempt: Attempt) -> None:
    """Grade every objective answer; short answers go to the manual queue."""
    for item in _load_items(attempt):
        if item.key_version.is_manual:
            item.score, item.needs_grading = None, True
        else:
            item.score, item.needs_grading = grading.score(item.key_version, item.response, item.points), False
    db.session.flush()
    finalise(attempt)


def _totals(attempt: Attempt) -> tuple[float, int]:
    total, waiting = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(AttemptQuestion.score), 0.0),
                  sa.func.coalesce(sa.func.sum(sa.case((AttemptQuestion.needs_grading.is_(True), 1), else_=0)), 0))
        .where(AttemptQuestion.attempt_id == attempt.id)).one()
    return float(total), int(waiting)


def finalise(attempt: Attempt) -> None:
    """Set the attempt's score once every part is graded (pending until then); announce a pass."""
    total, waiting = _totals(attempt)
    if waiting:
        attempt.status = AttemptStatus.pending
        attempt.score = attempt.percent = attempt.is_passed = None
        db.session.flush()
        return
    was_passed = attempt.is_passed
    attempt.score = round(total, 4)
    attempt.percent = round(100.0 * total / attempt.max_score, 2) if attempt.max_score else 0.0
    attempt.is_passed = attempt.percent >= attempt.test.pass_mark
    attempt.status = AttemptStatus.graded
    db.session.flush()
    if attempt.is_passed and not was_passed:
        signals.test_passed.send(attempt.user, test_slug=attempt.test.slug, attempt_id=attempt.id)


def grade_answer(actor, item: AttemptQuestion, points: float, feedback: str, now: datetime | None = None) -> None:
    """A grader's points and feedback for a short answer; a change of a given grade is audited."""
    now = now or utcnow()
    if not 0 <= points <= item.points:
        raise ValueError("points out of range")
    before = None if item.needs_grading else {"score": item.score, "feedback": item.feedback}
    item.score, item.feedback = float(points), feedback.strip()
    item.needs_grading, item.graded_by_id, item.graded_at = False, actor.id, now
    db.session.flush()
    audit.record(actor, "answer.graded" if before is None else "answer.regraded", item, before=before,
                 after={"score": item.score, "feedback": item.feedback})
    attempt = item.attempt
    if attempt.status in FINISHED:
        finalise(attempt)


def grading_queue_query():
    """Answers waiting for a grader, oldest submission first (no learner names in it)."""
    return (sa.select(AttemptQuestion).join(Attempt).where(
        AttemptQuestion.needs_grading.is_(True), Attempt.status == AttemptStatus.pending)
        .options(selectinload(AttemptQuestion.attempt),
                 joinedload(AttemptQuestion.version).joinedload(QuestionVersion.question))
        .order_by(Attempt.finished_at, AttemptQuestion.id))


def waiting_count() -> int:
    """How many answers wait for a grader."""
    return db.session.execute(sa.select(sa.func.count()).select_from(grading_queue_query().subquery())).scalar_one()


# --- regrade ---------------------------------------------------------------------------------------

@dataclass
class RegradeChange:
    """One attempt whose score a regrade changes."""

    attempt: Attempt
    item: AttemptQuestion
    old_score: float | None
    new_score: float


def regrade_changes(question: Question) -> list[RegradeChange]:
    """What applying the question's current key to finished attempts that showed an older version would change."""
    current = question.current_version
    items = db.session.execute(
        sa.select(AttemptQuestion).join(Attempt).join(QuestionVersion, AttemptQuestion.version_id == QuestionVersion.id)
        .where(QuestionVersion.question_id == question.id, AttemptQuestion.key_version_id != current.id,
               Attempt.status.in_(FINISHED))
        .options(selectinload(AttemptQuestion.attempt).selectinload(Attempt.user),
                 selectinload(AttemptQuestion.key_version))
        .order_by(Attempt.id)).scalars().all()
    changes = []
    for item in items:
        old = item.key_version
        if current.is_manual or old.is_manual or old.type != current.type or len(old.options) != len(current.options):
            continue
        new_score = grading.score(current, item.response, item.points)
        changes.append(RegradeChange(item.attempt, item, item.score, new_score))
    return changes


def regrade(actor, question: Question) -> list[RegradeChange]:
    """Apply the question's current key to past attempts; every changed attempt goes to the audit log."""
    changes = regrade_changes(question)
    changed = []
    for change in changes:
        attempt = change.attempt
        before = {"score": attempt.score, "percent": attempt.percent, "passed": attempt.is_passed}
        change.item.key_version_id = question.current_version_id
        change.item.score = change.new_score
        db.session.flush()
        if change.old_score == change.new_score:
            continue
        if attempt.status == AttemptStatus.graded:
            finalise(attempt)
        audit.record(actor, "attempt.regraded", attempt, before=before,
                     after={"score": attempt.score, "percent": attempt.percent, "passed": attempt.is_passed},
                     detail=f"{question.ref} version {question.current_version.number}")
        changed.append(change)
    return changed


# --- question editing ----------------------------------------------------------------------------

def save_question(actor, question: Question | None, bank: str, key: str, language: str, data: dict) -> Question:
    """Create a question, or give an existing one a new version; attempts keep the version they showed."""
    if question is None:
        question = Question(bank=bank, key=key, language=language, is_site_authored=True, bank_title=bank)
        db.session.add(question)
        db.session.flush()
        action, before = "question.created", None
    else:
        action, before = "question.edited", {"version": question.current_version.number}
    version = add_version(question, data, actor)
    audit.record(actor, action, question, before=before, after={"version": version.number, "ref": question.ref})
    return question


# --- tests: window, assignment, overrides ---------------------------------------------------------

def set_window(actor, test: Test, opens_at: datetime | None, closes_at: datetime | None) -> None:
    """Set when the test opens and closes (instructors set windows in the site, never in the files).

    Running attempts get their deadline again: the earlier of their time limit and the new close.
    """
    before = {"opens_at": test.opens_at, "closes_at": test.closes_at}
    test.opens_at, test.closes_at = opens_at, closes_at
    db.session.flush()
    running = db.session.execute(sa.select(Attempt).where(Attempt.test_id == test.id,
                                                          Attempt.status == AttemptStatus.open)).scalars().all()
    overrides = {row.user_id: row for row in db.session.execute(
        sa.select(TestOverride).where(TestOverride.test_id == test.id)).scalars()}
    for attempt in running:  # a moved close moves the deadline of attempts under way
        attempt.deadline_at = deadline_for(rules_for(test, overrides.get(attempt.user_id)), attempt.started_at)
    audit.record(actor, "test.window_set", test, before=before, after={"opens_at": opens_at, "closes_at": closes_at})


def assign_test(actor, test: Test, *, department=None, staff_category: str | None = None, users=(),
                due_on: datetime | None = None, reason: str = "") -> int:
    """Assign the test to a department, a staff category and/or named people; returns rows created."""
    rows = []
    if department is not None:
        rows.append(TestAssignment(test=test, department=department))
    if staff_category:
        rows.append(TestAssignment(test=test, staff_category=staff_category))
    rows += [TestAssignment(test=test, user=user) for user in users]
    for row in rows:
        row.due_on, row.reason, row.assigned_by_id = due_on, reason.strip(), actor.id
        db.session.add(row)
    db.session.flush()
    audit.record(actor, "test.assigned", test, after={
        "department": getattr(department, "code", None), "staff_category": staff_category,
        "users": [user.username for user in users], "due_on": due_on, "reason": reason})
    return len(rows)


def set_override(actor, test: Test, user, *, extra_minutes: int = 0, extra_attempts: int = 0,
                 opens_at: datetime | None = None, closes_at: datetime | None = None, reason: str) -> TestOverride:
    """Give one person other rules on a test, with the reason; a running attempt gets the new deadline."""
    if not reason.strip():
        raise ValueError("an override needs a reason")
    override = override_for(test, user)
    before = None
    if override is None:
        override = TestOverride(test_id=test.id, user_id=user.id, reason="")
        db.session.add(override)
    else:
        before = {"extra_minutes": override.extra_minutes, "extra_attempts": override.extra_attempts,
                  "opens_at": override.opens_at, "closes_at": override.closes_at, "reason": override.reason}
    override.extra_minutes, override.extra_attempts = extra_minutes, extra_attempts
    override.opens_at, override.closes_at = opens_at, closes_at
    override.reason, override.created_by_id, override.created_at = reason.strip(), actor.id, utcnow()
    db.session.flush()
    running = open_attempt(test, user)
    if running is not None:
        running.deadline_at = deadline_for(rules_for(test, override), running.started_at)
    audit.record(actor, "test.override_set", override, before=before, after={
        "user": user.username, "test": test.slug, "extra_minutes": extra_minutes, "extra_attempts": extra_attempts,
        "opens_at": opens_at, "closes_at": closes_at, "reason": override.reason})
    return override


# --- review --------------------------------------------------------------------------------------

def latest_close(test: Test) -> datetime | None:
    """The last moment anyone may still answer (the window's close or a later personal one)."""
    if test.closes_at is None:
        return None
    later = db.session.execute(sa.select(sa.func.max(TestOverride.closes_at))
                               .where(TestOverride.test_id == test.id)).scalar()
    return max(test.closes_at, later) if later else test.closes_at


def review_allowed(attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether the learner may now see the correct answers and explanations of a finished attempt."""
    now = now or utcnow()
    if attempt.status == AttemptStatus.open:
        return False
    policy = attempt.test.review
    if policy == "after_submit":
        return True
    if policy == "after_close":
        closes = latest_close(attempt.test)
        return closes is not None and now >= closes
    return False


def seconds_left(attempt: Attempt, now: datetime | None = None) -> int | None:
    """Seconds until the server's deadline (None without one)."""
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - (now or utcnow())).total_seconds()))
