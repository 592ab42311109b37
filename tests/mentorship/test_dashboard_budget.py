"""The dashboard panels of mentorship stay within their share of the page's statement budget (2 for both
of them together, for every demo role), whatever the number of pairings, and still show the same figures."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_login import login_user
from sqlalchemy import event

from learning import features
from learning.audit import utcnow
from learning.extensions import db
from learning.mentorship import panels, services
from learning.mentorship.models import Pairing, PairingStatus, Talk, TalkKind
from learning.people.models import User
from learning.permissions import can

from ..conftest import make_user
from .conftest import make_pairing

DEMO_ROLES = ("cadre", "auxiliary", "mentor", "instructor", "reviewer", "hr", "admin")
BUDGET = 2
AREA = "mentorship"


def _run_panels(user) -> tuple[int, dict, dict]:
    """Statements run by the feature's panels (context and template) and banners for ``user``, with the
    contexts and the rendered HTML by panel name. Must run inside a request context."""
    login_user(user)
    registry = features.registry()
    shown = [panel for panel in registry.panels
             if panel.name.startswith(AREA + ".") and (not panel.permission or can(user, panel.permission))]
    banners = [banner for banner in registry.banners
               if getattr(banner, "__module__", "").startswith(f"learning.{AREA}")]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    contexts, html = {}, {}
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for panel in shown:
            context = panel.context(user)
            contexts[panel.name] = context
            if context is not None:
                # the environment alone: the shell's context processors (banners of others) are not ours
                html[panel.name] = current_app.jinja_env.get_template(panel.template).render(
                    panel=panel, context=context)
        for banner in banners:
            banner(user)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements), contexts, html


def _demo_user(username: str) -> User:
    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one()


def test_mentorship_panels_stay_within_the_budget_for_every_demo_role(demo_app):
    """Whoever signs in, the mentorship panels together run at most two statements, templates included."""
    counts = {}
    for role in DEMO_ROLES:
        with demo_app.test_request_context():
            counts[role], contexts, _ = _run_panels(_demo_user(role))
            expected = {"mentorship.mine"} | ({"mentorship.programme"} if role in ("hr", "admin") else set())
            assert set(contexts) == expected, role
    assert all(count <= BUDGET for count in counts.values()), counts


def test_mentorship_panels_show_what_the_services_compute(demo_app):
    """For every demo role: the active pairings as mentor and apprentice, those behind the cadence, the talks
    awaiting confirmation; for the programme owner the active count and the most overdue pairings."""
    today = utcnow().date()
    for role in DEMO_ROLES:
        with demo_app.test_request_context():
            user = _demo_user(role)
            _, contexts, html = _run_panels(user)
            active = db.session.execute(services.pairings_of(user.id)
                                        .where(Pairing.status == PairingStatus.active)).scalars().unique().all()
            mine = contexts["mentorship.mine"]
            if not active:
                assert mine is None, role
            else:
                assert [p.id for p in mine["as_mentor"]] == [p.id for p in active if p.mentor_id == user.id]
                assert [p.id for p in mine["as_apprentice"]] == [p.id for p in active if p.apprentice_id == user.id]
                assert [p.id for p in mine["overdue"]] == [p.id for p in services.overdue_pairings(user.id, today)]
                unconfirmed = db.session.execute(
                    sa.select(sa.func.count(Talk.id)).join(Pairing, Talk.pairing_id == Pairing.id)
                    .where(Pairing.apprentice_id == user.id, Talk.confirmed_at.is_(None))).scalar_one()
                assert mine["to_confirm"] == (unconfirmed if mine["as_apprentice"] else 0)
                for pairing in mine["as_apprentice"]:
                    assert pairing.mentor.display_name in html["mentorship.mine"]
                for pairing in mine["overdue"]:
                    assert pairing.apprentice.display_name in html["mentorship.mine"]
            if "mentorship.programme" in contexts:
                programme = contexts["mentorship.programme"]
                assert programme["active"] == db.session.execute(sa.select(sa.func.count(Pairing.id)).where(
                    Pairing.status == PairingStatus.active)).scalar_one()
                assert [p.id for p in programme["overdue"]] == [
                    p.id for p in services.overdue_pairings(today=today, limit=panels.PROGRAMME_ROWS)]
                assert f"{programme['active']} active pairings" in html["mentorship.programme"]
    with demo_app.test_request_context():  # real data: the demo has a pairing behind, a talk to confirm
        _, contexts, html = _run_panels(_demo_user("hr"))
        assert contexts["mentorship.programme"]["overdue"] and "冯丽" in html["mentorship.programme"]
        _, contexts, html = _run_panels(_demo_user("cadre"))
        assert contexts["mentorship.mine"]["to_confirm"] == 1
        assert "1 talk(s) await your confirmation." in html["mentorship.mine"]


def test_programme_panel_counts_every_active_pairing_and_lists_the_five_most_overdue(app, people):
    """Seven active pairings, six of them behind, and a closed one long overdue: the panel says 7 active
    and lists the five most overdue, most overdue first, in one statement."""
    today = utcnow().date()
    mentors = [people["mentor"], people["mentor2"], make_user("m3", roles=["mentor"])]
    pairings = []
    for number in range(8):
        apprentice = make_user(f"ap{number + 10}", display_name=f"学员{number}")
        # pairing n is due (n * 3 + 1) days ago; the seventh is due in the future; the eighth gets closed
        start = today - timedelta(days=30 + number * 3 + 1) if number != 6 else today - timedelta(days=10)
        pairings.append(make_pairing(people["owner"], mentors[number % 3], apprentice, start=start))
    pairings[7].status = PairingStatus.completed
    pairings[7].next_talk_due_on = today - timedelta(days=400)
    db.session.flush()
    count, contexts, html = _run_panels(people["owner"])
    programme = contexts["mentorship.programme"]
    assert programme["active"] == 7 and "7 active pairings" in html["mentorship.programme"]
    assert [p.id for p in programme["overdue"]] == [pairings[n].id for n in (5, 4, 3, 2, 1)]
    assert "学员5" in html["mentorship.programme"] and "学员0" not in html["mentorship.programme"]
    assert contexts["mentorship.mine"] is None
    assert count <= BUDGET


def test_programme_panel_without_overdue_pairings_still_counts_the_active_ones(app, people, pairing):
    """Every pairing on cadence: the count stays, the panel says so."""
    pairing.next_talk_due_on = utcnow().date() + timedelta(days=3)
    db.session.flush()
    _, contexts, html = _run_panels(people["owner"])
    assert contexts["mentorship.programme"]["active"] == 1
    assert contexts["mentorship.programme"]["overdue"] == []
    assert "1 active pairings" in html["mentorship.programme"]
    assert "Every pairing is on cadence." in html["mentorship.programme"]


def test_my_panel_for_someone_both_mentor_and_apprentice(app, people, pairing):
    """A mentor who is also an apprentice sees the apprentices behind the cadence, their own mentor, and
    their talks awaiting confirmation (also from an earlier, closed pairing) in one statement."""
    today = utcnow().date()
    mentor, owner = people["mentor"], people["owner"]
    pairing.next_talk_due_on = today + timedelta(days=5)
    senior = make_user("senior", roles=["mentor"], display_name="老师傅")
    earlier = make_pairing(owner, senior, mentor, start=today - timedelta(days=300))
    services.log_talk(senior, earlier, today - timedelta(days=250), 30, TalkKind.coaching, "旧话题", "旧的谈话。")
    earlier.status = PairingStatus.completed
    current = make_pairing(owner, senior, mentor)
    for days in (20, 10):
        services.log_talk(senior, current, today - timedelta(days=days), 30, TalkKind.coaching, "话题", "谈话。")
    behind = make_pairing(owner, mentor, make_user("ap9", display_name="落后学员"), start=today - timedelta(days=90))
    db.session.flush()
    count, contexts, html = _run_panels(mentor)
    mine = contexts["mentorship.mine"]
    assert {p.id for p in mine["as_mentor"]} == {pairing.id, behind.id}
    assert [p.id for p in mine["as_apprentice"]] == [current.id]
    assert [p.id for p in mine["overdue"]] == [behind.id]
    assert mine["to_confirm"] == 3
    page = html["mentorship.mine"]
    assert "落后学员" in page and "老师傅" in page and "3 talk(s) await your confirmation." in page
    assert count <= BUDGET


def test_a_mentor_without_an_apprentice_pairing_has_nothing_to_confirm(app, people, pairing):
    """Only as a mentor: no confirmation line, every apprentice on cadence."""
    pairing.next_talk_due_on = utcnow().date() + timedelta(days=5)
    db.session.flush()
    _, contexts, html = _run_panels(people["mentor"])
    assert contexts["mentorship.mine"]["to_confirm"] == 0
    assert "await your confirmation" not in html["mentorship.mine"]
    assert "Every apprentice is on cadence." in html["mentorship.mine"]
