"""Demo tests: the practice test and the monthly assessment with attempts by several demo people, and
a case-analysis exercise with an answer waiting for manual grading."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..audit import utcnow
from ..extensions import db
from ..people.models import Department, User
from . import loader, services
from .models import AttemptQuestion, Question, QuestionType, Test

CASE_ANALYSIS_SLUG = "demo-case-analysis-zh"

# username, share of questions answered correctly
PRACTICE = [("cadre", 0.8), ("c1001", 0.9), ("c1002", 0.55), ("auxiliary", 0.7), ("a2001", 0.4)]
MONTHLY = [("c1001", 0.85), ("c1002", 0.6), ("c1003", 0.45), ("c1004", 0.75), ("c1005", 0.95),
           ("mentor", 0.7), ("a2002", 0.5)]


def _users() -> dict[str, User]:
    return {user.username: user for user in db.session.execute(sa.select(User)).scalars()}


def _test(slug: str) -> Test | None:
    return db.session.execute(sa.select(Test).where(Test.slug == slug)).scalar_one_or_none()


def _answer(item: AttemptQuestion, right: bool, rng: random.Random) -> list[str]:
    """Form values a person who knows (or does not know) the answer would give."""
    version = item.version
    options = version.options
    if version.type == QuestionType.single:
        correct = [i for i, option in enumerate(options) if option["correct"]]
        wrong = [i for i, option in enumerate(options) if not option["correct"]]
        return [str(correct[0] if right or not wrong else rng.choice(wrong))]
    if version.type == QuestionType.multiple:
        correct = [str(i) for i, option in enumerate(options) if option["correct"]]
        return correct if right else correct[:-1] + [str(i) for i, o in enumerate(options) if not o["correct"]][:1]
    if version.type == QuestionType.truefalse:
        return ["true" if version.answer_bool == right else "false"]
    if version.type == QuestionType.fill:
        return [version.accepted_answers[0] if right else "不确定"]
    return ["应适用普通程序：两名执法人员调查取证并出示证件，告知陈述申辩权利，负责人审查后作出决定，"
            "依法送达决定书，当事人十五日内缴纳罚款。"]


def _take(user: User, test: Test, skill: float, started, rng: random.Random, minutes: int = 12) -> None:
    attempt = services.start_attempt(user, test, now=started, rng=rng)
    for item in attempt.items:
        services.save_answer(attempt, item, _answer(item, rng.random() < skill, rng),
                             now=started + timedelta(minutes=1))
    services.submit_attempt(attempt, now=started + timedelta(minutes=minutes))


def _case_analysis_test() -> Test:
    """A case-analysis exercise (short answers graded by hand), made by the demo, not by a content file."""
    refs = [f"{question.bank}/{question.key}" for question in db.session.execute(
        sa.select(Question).join(Question.current_version)
        .where(Question.language == "zh", Question.is_archived.is_(False))
        .order_by(Question.bank, Question.key)).scalars() if question.current_version.type == QuestionType.short]
    test = Test(slug=CASE_ANALYSIS_SLUG, title="案例分析练习", language="zh", mode="fixed",
                description="四道案例分析题，由教员对照评分要点人工评分。不限时，可作答两次。",
                questions_text=json.dumps(refs), attempts_allowed=2, pass_mark=60, grading="highest",
                review="after_submit", audience="all")
    db.session.add(test)
    db.session.flush()
    return test


def load() -> None:
    """Tests with windows, an assignment, an override and finished attempts by demo people."""
    if not db.session.execute(sa.select(sa.func.count(Question.id))).scalar_one():
        loader.load(Path(current_app.config["CONTENT_DIR"]))
    users = _users()
    instructor = users["instructor"]
    rng = random.Random(20240601)
    now = utcnow().replace(second=0, microsecond=0)
    practice, monthly = _test("practice-zh"), _test("monthly-assessment-zh")
    if practice is None or monthly is None:
        return
    for slug in ("monthly-assessment-zh", "monthly-assessment-en"):
        test = _test(slug)
        if test is not None:
            services.set_window(instructor, test, now - timedelta(days=10), now + timedelta(days=20))
    squad = db.session.execute(sa.select(Department).where(Department.code == "sq1")).scalar_one()
    services.assign_test(instructor, monthly, department=squad, due_on=now + timedelta(days=20),
                         reason="第一中队本月考核")
    services.set_override(instructor, monthly, users["a2002"], extra_minutes=15,
                          reason="现场执勤后补考，经中队长同意延长答题时间")
    for index, (username, skill) in enumerate(PRACTICE):
        _take(users[username], practice, skill, now - timedelta(days=6, hours=index), rng)
    _take(users["cadre"], practice, 0.9, now - timedelta(days=2), rng)
    for index, (username, skill) in enumerate(MONTHLY):
        _take(users[username], monthly, skill, now - timedelta(days=5, hours=index), rng, minutes=25)
    # An untimed practice attempt left half-way, to be continued.
    running = services.start_attempt(users["auxiliary"], practice, now=now - timedelta(minutes=5), rng=rng)
    for item in running.items[:3]:
        services.save_answer(running, item, _answer(item, True, rng), now=now - timedelta(minutes=4))
    case_test = _case_analysis_test()
    _take(users["c1003"], case_test, 1.0, now - timedelta(days=1), rng, minutes=40)
    db.session.flush()
