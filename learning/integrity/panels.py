"""Dashboard panels: one's own letters to sign, and the signing progress of current letters."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..people.models import User
from . import services
from .models import Letter, LetterVersion


def my_letters(user) -> dict | None:
    """The current letters addressed to the user and whether each is signed."""
    rows = services.current_versions_for(user)
    return {"rows": rows} if rows else None


def signing_progress(_user) -> dict:
    """For each current version: signatures and the size of its audience (a fixed number of queries)."""
    versions = list(db.session.execute(
        sa.select(LetterVersion).join(Letter, LetterVersion.letter_id == Letter.id)
        .where(LetterVersion.is_current.is_(True)).order_by(Letter.year.desc()).limit(5)).scalars())
    counts = services.signature_counts([v.id for v in versions])
    by_category = dict(db.session.execute(sa.select(User.staff_category, sa.func.count(User.id))
                                          .where(User.is_active_account.is_(True))
                                          .group_by(User.staff_category)).all())
    rows = []
    for version in versions:
        audience = version.letter.audience.value
        total = sum(n for category, n in by_category.items() if audience in ("all", category.value))
        rows.append({"version": version, "signed": counts.get(version.id, 0), "total": total})
    return {"rows": rows}
