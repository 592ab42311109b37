"""Fixtures for the integrity tests: people of both staff categories and a published letter."""

from __future__ import annotations

import pytest

from learning.integrity import services
from learning.integrity.models import Audience

from ..conftest import make_department, make_user


@pytest.fixture
def rctx(app):
    """A request context (services phrase their refusals in the request's language)."""
    with app.test_request_context():
        yield


@pytest.fixture
def people(rctx):
    """A manager, two cadres and an auxiliary, in two squads."""
    one, two = make_department("sq7"), make_department("sq8")
    return {
        "manager": make_user("boss", roles=["hr"], department=one, display_name="王某"),
        "cadre": make_user("c1", department=one, display_name="张某"),
        "cadre2": make_user("c2", department=two, display_name="李 某某"),
        "aux": make_user("a1", department=two, category="auxiliary", display_name="赵某"),
    }


def publish_letter(manager, body: str = "I promise to act with integrity.", audience: Audience = Audience.all):
    """A letter with its first version published."""
    letter = services.create_letter(manager, "Commitment", 2026, audience, body)
    version = services.draft_of(letter)
    services.publish_version(manager, version)
    return letter, version


@pytest.fixture
def letter(people):
    """A published letter addressed to everyone: ``(letter, version)``."""
    return publish_letter(people["manager"])
