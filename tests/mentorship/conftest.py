"""Fixtures for the mentorship tests: people and a signed pairing, made through the services."""

from __future__ import annotations

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
