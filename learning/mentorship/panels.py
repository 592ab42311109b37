"""Dashboard panels: a participant's own pairings, and the programme owner's view of the cadence.

Each panel runs one statement (the dashboard's budget gives mentorship two): the people come joined
with the pairings (their roles are not loaded), the counts ride along as a scalar subquery or a window.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..audit import utcnow
from ..extensions import db
from ..people.models import User
from .models import Pairing, PairingStatus, Talk

MY_ROWS = 10
PROGRAMME_ROWS = 5

_PEOPLE = (joinedload(Pairing.mentor).lazyload(User.roles), joinedload(Pairing.apprentice).lazyload(User.roles))


def my_mentorship(user) -> dict | None:
    """Active pairings as mentor (with those behind the cadence) and as apprentice (talks to confirm)."""
    today = utcnow().date()
    to_confirm = (sa.select(sa.func.count(Talk.id)).join(Pairing, Talk.pairing_id == Pairing.id)
                  .where(Pairing.apprentice_id == user.id, Talk.confirmed_at.is_(None))
                  .correlate(None).scalar_subquery())
    rows = db.session.execute(
        sa.select(Pairing, to_confirm.label("to_confirm"))
        .where(sa.or_(Pairing.mentor_id == user.id, Pairing.apprentice_id == user.id),
               Pairing.status == PairingStatus.active)
        .order_by(Pairing.term_start.desc(), Pairing.id.desc())
        .options(*_PEOPLE).limit(MY_ROWS)).all()
    if not rows:
        return None
    pairings = [row.Pairing for row in rows]
    as_mentor = [p for p in pairings if p.mentor_id == user.id]
    as_apprentice = [p for p in pairings if p.apprentice_id == user.id]
    return {"as_mentor": as_mentor, "as_apprentice": as_apprentice, "today": today,
            "overdue": [p for p in as_mentor if p.is_overdue(today)],
            "to_confirm": rows[0].to_confirm if as_apprentice else 0}


def programme(_user) -> dict:
    """Active pairings and the ones behind their cadence, most overdue first.

    Active pairings in order of their next talk's due date put the overdue ones first, so the first
    few rows, with the count of all active ones as a window, give both figures in one statement.
    """
    today = utcnow().date()
    rows = db.session.execute(
        sa.select(Pairing, sa.func.count().over().label("active"))
        .where(Pairing.status == PairingStatus.active)
        .order_by(Pairing.next_talk_due_on, Pairing.id)
        .options(*_PEOPLE).limit(PROGRAMME_ROWS)).all()
    return {"active": rows[0].active if rows else 0,
            "overdue": [row.Pairing for row in rows if row.Pairing.is_overdue(today)], "today": today}
