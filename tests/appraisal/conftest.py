"""Fixtures of the appraisal tests: stand-in platform sources (figures a test fixes by hand, in place of the
real features' contract functions), and a request context."""

from __future__ import annotations

import pytest

from learning.appraisal import sources


class StandIns:
    """Stand-in sources with values a test can change: ``values[key][user_id] = value``."""

    def __init__(self):
        self.values: dict[str, dict[int, object]] = {}
        self.calls: list[str] = []

    def set(self, key: str, values: dict[int, object]) -> None:
        """Provide ``key`` (making it available) with these values."""
        self.values[key] = dict(values)

        def provider(user_ids, *period):
            self.calls.append(key)
            return {user_id: self.values[key].get(user_id) for user_id in user_ids}

        sources.use_stand_in(key, provider)


@pytest.fixture
def stand_ins():
    """Stand-ins that replace the real sources a test sets (the others stay real); removed after the test."""
    helper = StandIns()
    yield helper
    for key in list(sources.SOURCES):
        sources.use_stand_in(key, None)


@pytest.fixture
def rctx(app):
    """A request context (messages are translated per request) for calling services directly."""
    with app.test_request_context():
        yield
