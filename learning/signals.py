"""Signals by which one feature tells others what happened, without importing them.

Senders pass the acting or affected user as ``sender``; receivers connect in their ``init_app``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

test_passed = _signals.signal("test-passed")
"""A learner passed a test: ``sender`` is the user, ``test_slug`` and ``attempt_id`` come as keywords."""

hours_credited = _signals.signal("hours-credited")
"""Training hours were credited: ``sender`` is the user, ``hours`` and ``source`` as keywords."""
