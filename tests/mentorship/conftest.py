"""Fixtures for the mentorship tests: people and a signed pairing, made through the services."""

from __future__ import annotations

import sys
import types
from datetime import date, timedelta

import pytest

from learning.audit import utcnow
from learning.extensions import db
from learning.mentorship import services

from ..conftest import make_department, make_user


@pytest.fixture
def rctx(app):
    """A request context (services phrase their refusals in the request's language)."""
    with app.test_request_context():
        yield


@pytest.fixture
def people(rctx):
    """A programme owner, two mentors, an apprentice and an unrelated learner."""
    squad = make_department("sq7")
    return {
        "owner": make_user("owner", roles=["hr"], department=squad),
        "mentor": make_user("m1", roles=["mentor"], department=squad),
        "mentor2": make_user("m2", roles=["mentor"], department=squad),
        "apprentice": make_user("ap1", department=squad),
        "learner": make_user("l1", department=squad),
    }


def make_pairing(owner, mentor, apprentice, start: date | None = None, signed: bool = True, cadence: int = 30):
    """A pairing whose term began 60 days ago (flushed), signed by both unless told otherwise."""
    start = start or utcnow().date() - timedelta(days=60)
    pairing = services.create_pairing(owner, mentor, apprentice, start, start + timedelta(days=365),
                                      "Handle simple-procedure cases alone", cadence)
    if signed:
        services.sign_agreement(mentor, pairing)
        services.sign_agreement(apprentice, pairing)
    db.session.flush()
    return pairing


@pytest.fixture
def pairing(people):
    """A signed pairing of ``mentor`` and ``apprentice``."""
    return make_pairing(people["owner"], people["mentor"], people["apprentice"])


@pytest.fixture
def stand_in_features(monkeypatch):
    """Pretend courses, quizzes and reviews have landed, with stand-ins of their contract functions."""
    import importlib.util

    credited = []
    modules = {
        "learning.courses.services": {
            "course_progress_for": lambda uid: [{"title": "Simple procedure", "done": 2, "total": 4,
                                                 "completed_at": None}],
            "credit_hours": lambda *args: credited.append(args),
        },
        "learning.quizzes.results": {
            "results_for": lambda uid, limit=10: [{"test_title": "Road occupation test", "score_percent": 85.0,
                                                   "passed": True, "finished_at": None}]},
        "learning.reviews.services": {
            "officer_record": lambda uid, limit=10: [{"case_number": "综执罚〔2026〕1号", "month": "2026-10",
                                                      "score": 92, "grade": "excellent"}]},
    }
    for name, functions in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(functions)
        monkeypatch.setitem(sys.modules, name, module)
    real = importlib.util.find_spec
    packages = {"learning.courses", "learning.quizzes", "learning.reviews"}
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name in packages else real(name, *a))
    return credited
