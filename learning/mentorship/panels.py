"""Dashboard panels: a participant's own pairings, and the programme owner's view of the cadence."""

from __future__ import annotations

import sqlalchemy as sa

from ..audit import utcnow
from ..extensions import db
from . import services
from .models import Pairing, PairingStatus, Talk


def my_mentorship(user) -> dict | None:
    """Active pairings as mentor (with those behind the cadence) and as apprentice (talks to confirm)."""
    today = utcnow().date()
    pairings = list(db.session.execute(
        services.pairings_of(user.id).where(Pairing.status == PairingStatus.active).limit(10)).scalars().unique())
    if not pairings:
        return None
    as_mentor = [p for p in pairings if p.mentor_id == user.id]
    as_apprentice = [p for p in pairings if p.apprentice_id == user.id]
    to_confirm = 0
    if as_apprentice:
        to_confirm = db.session.execute(
            sa.select(sa.func.count(Talk.id)).join(Pairing, Talk.pairing_id == Pairing.id)
            .where(Pairing.apprentice_id == user.id, Talk.confirmed_at.is_(None))).scalar_one()
    return {"as_mentor": as_mentor, "as_apprentice": as_apprentice, "today": today,
            "overdue": [p for p in as_mentor if p.is_overdue(today)], "to_confirm": to_confirm}


def programme(_user) -> dict:
    """Active pairings and the ones behind their cadence, most overdue first."""
    today = utcnow().date()
    active = db.session.execute(sa.select(sa.func.count(Pairing.id))
                                .where(Pairing.status == PairingStatus.active)).scalar_one()
    return {"active": active, "overdue": services.overdue_pairings(today=today, limit=5), "today": today}
