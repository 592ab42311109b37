"""Factories for graded tests: a small bank with one question of every type, and tests over it."""

from __future__ import annotations

import json

import pytest

from learning.extensions import db
from learning.quizzes.loader import add_version, validate_question
from learning.quizzes.models import Question, Test

from ..conftest import make_user

SECRET_EXPLANATION = "EXPLAIN-SECRET-7731"
SECRET_SOURCE = "SOURCE-SECRET-9902"
SECRET_FILL = "ZEBRA42"

QUESTIONS = [
    {"key": "q-single", "type": "single", "difficulty": 1, "tags": ["simple-procedure"],
     "text": "Which officer count is required?",
     "options": [{"text": "One officer"}, {"text": "Two officers", "correct": True}, {"text": "Three officers"}],
     "explanation": SECRET_EXPLANATION, "source": SECRET_SOURCE},
    {"key": "q-multi", "type": "multiple", "difficulty": 2, "tags": ["kinds"], "scoring": "partial", "points": 3,
     "text": "Which are penalties?",
     "options": [{"text": "Warning", "correct": True}, {"text": "Fine", "correct": True},
                 {"text": "Education"}, {"text": "Detention", "correct": True}],
     "explanation": SECRET_EXPLANATION, "source": SECRET_SOURCE},
    {"key": "q-tf", "type": "truefalse", "difficulty": 1, "tags": ["simple-procedure"], "answer": False,
     "text": "A squad may detain a street vendor.", "explanation": SECRET_EXPLANATION, "source": SECRET_SOURCE},
    {"key": "q-fill", "type": "fill", "difficulty": 2, "tags": ["payment"], "answers": [SECRET_FILL, "２００"],
     "text": "The code word is ____.", "explanation": SECRET_EXPLANATION, "source": SECRET_SOURCE},
    {"key": "q-short", "type": "short", "difficulty": 3, "tags": ["case-analysis"], "points": 5,
     "rubric": "RUBRIC: name the general procedure.", "text": "Describe the procedure.",
     "explanation": SECRET_EXPLANATION, "source": SECRET_SOURCE},
]


def make_question(data: dict, bank: str = "demo-bank", language: str = "en") -> Question:
    """A question (flushed) from bank-file style data."""
    clean = validate_question(data, "factory", None)
    question = Question(bank=bank, key=clean["key"], language=language, bank_title=bank, content_hash="x")
    db.session.add(question)
    db.session.flush()
    add_version(question, clean)
    return question


def make_test(slug: str = "t1", refs=None, **rules) -> Test:
    """A fixed test over ``refs`` (default: every question of the small bank), with ``rules``."""
    refs = refs if refs is not None else [f"demo-bank/{data['key']}" for data in QUESTIONS]
    fields = {"title": f"Test {slug}", "language": "en", "mode": "fixed", "questions_text": json.dumps(refs),
              "attempts_allowed": 0, "pass_mark": 60.0, "grading": "highest", "review": "after_submit",
              "audience": "all"}
    fields.update(rules)
    test = Test(slug=slug, **fields)
    db.session.add(test)
    db.session.flush()
    return test


@pytest.fixture
def bank(ctx):
    """The small bank, keyed by question key."""
    questions = {data["key"]: make_question(data) for data in QUESTIONS}
    db.session.commit()
    return questions


@pytest.fixture
def people(ctx):
    """A learner, a second learner and an instructor (password 'correct horse battery')."""
    users = {"learner": make_user("learner1", display_name="Learner Zhang"),
             "other": make_user("learner2", display_name="Learner Wang"),
             "instructor": make_user("teacher1", roles=["instructor"], display_name="Teacher Liu")}
    db.session.commit()
    return users


def answers_for(attempt, right: bool = True) -> dict[int, list[str]]:
    """Form values answering every question of ``attempt`` right (or wrong), keyed by position."""
    values = {}
    for item in attempt.items:
        version = item.version
        kind = version.type.value
        if kind == "single":
            index = next(i for i, o in enumerate(version.options) if o["correct"] == right)
            values[item.position] = [str(index)]
        elif kind == "multiple":
            values[item.position] = [str(i) for i, o in enumerate(version.options) if o["correct"] == right]
        elif kind == "truefalse":
            values[item.position] = ["true" if version.answer_bool == right else "false"]
        elif kind == "fill":
            values[item.position] = [version.accepted_answers[0] if right else "wrong"]
        else:
            values[item.position] = ["General procedure with two officers."]
    return values


@pytest.fixture
def site(app):
    """The small bank and the three people, made without holding an app context open.

    Page tests use this: while an app context is pushed, the test client's requests would share its
    ``g`` (the signed-in user, the CSRF token) instead of getting their own.
    """
    with app.app_context():
        questions = {data["key"]: make_question(data).id for data in QUESTIONS}
        make_user("learner1", display_name="Learner Zhang")
        make_user("learner2", display_name="Learner Wang")
        make_user("teacher1", roles=["instructor"], display_name="Teacher Liu")
        db.session.commit()
    return questions


@pytest.fixture
def data(app):
    """``with data():`` runs a block in its own app context and commits at the end."""
    from contextlib import contextmanager

    @contextmanager
    def block():
        with app.app_context():
            yield
            db.session.commit()

    return block
