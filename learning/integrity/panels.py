"""Dashboard panels: one's own letters to sign, and the signing progress of current letters.

Together with the unsigned-letter banner they run at most two statements: the banner and "my letters"
share one cached query (``services.letter_statuses``), the signing progress is one aggregate query.
"""

from __future__ import annotations

from . import services


def my_letters(user) -> dict | None:
    """The current letters addressed to the user and whether each is signed (shared with the banner)."""
    rows = services.letter_statuses(user)
    return {"rows": rows} if rows else None


def signing_progress(_user) -> dict:
    """For each current version: signatures and the size of its audience (one query)."""
    return {"rows": services.signing_progress()}
