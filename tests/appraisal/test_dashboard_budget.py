"""Appraisal's share of the dashboard stays within its statement budget for every demo role.

Appraisal may spend 2 statements on the dashboard (PANELS.md): "my appraisal" and HR's panel run one
statement each, and their templates load nothing more. The panels still show what the services say.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_login import login_user
from sqlalchemy import event
from sqlalchemy.orm import contains_eager

from learning import features
from learning.appraisal import panels, registry, services
from learning.appraisal.models import Evaluation, EvaluationStatus, Scorecard, ScorecardPeriod
from learning.extensions import db
from learning.people.models import User
from learning.permissions import can

from ..conftest import make_user
from ..route_matrix import STAFF

BUDGET = 2
AREA = "appraisal"


class Counter:
    """Counts the SQL statements run while it is listening."""

    def __init__(self):
        self.statements: list[str] = []
        self.engine = db.engine

    def _count(self, _conn, _cursor, statement, *_args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def __len__(self):
        return len(self.statements)


def _ours(app):
    registry_ = features.registry(app)
    ours = [panel for panel in registry_.panels if panel.name.startswith(f"{AREA}.")]
    banners = [banner for banner in registry_.banners if banner.__module__.startswith(f"learning.{AREA}")]
    return ours, banners


def _sign_in(username: str) -> User:
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
    login_user(user)
    return user


def measure(app, username: str) -> tuple[list[str], dict, str]:
    """(statements, contexts by panel name, rendered HTML) of appraisal on one user's dashboard: the
    panel contexts and banners, then the panel templates as the dashboard includes them."""
    ours, banners = _ours(app)
    with app.test_request_context("/"):
        user = _sign_in(username)
        shown = [panel for panel in ours if not panel.permission or can(user, panel.permission)]
        with Counter() as counter:
            contexts = {panel.name: panel.context(user) for panel in shown}
            for banner in banners:
                banner(user)
        template_context = {}
        app.update_template_context(template_context)  # the shell's own context, not appraisal's cost
        with counter:
            html = "".join(app.jinja_env.get_template(panel.template).render(
                **template_context, panel=panel, context=contexts[panel.name])
                for panel in shown if contexts[panel.name] is not None)
    return counter.statements, contexts, html


def test_appraisal_panels_stay_within_two_statements_for_every_role(demo_app):
    """For every demo role, appraisal's panels (templates included) run at most two statements."""
    counts = {}
    for username in STAFF:
        statements, contexts, _html = measure(demo_app, username)
        counts[username] = len(statements)
    assert max(counts.values()) <= BUDGET, counts
    _statements, hr, _html = measure(demo_app, "hr")
    assert {"appraisal.mine", "appraisal.hr"} <= set(hr), "hr sees both panels, within the same budget"


def test_my_appraisal_shows_what_the_services_say(demo_app):
    """Each role's panel holds the latest finalised evaluation and the latest scorecard of "my appraisal"."""
    seen = set()
    for username in STAFF:
        _statements, contexts, html = measure(demo_app, username)
        with demo_app.app_context():
            user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
            if not can(user, "appraisal.view_own"):
                assert "appraisal.mine" not in contexts
                continue
            evaluation = db.session.execute(services.own_evaluations(user.id).limit(1)).scalars().first()
            card = db.session.execute(
                sa.select(Scorecard).join(ScorecardPeriod).options(contains_eager(Scorecard.period))
                .where(Scorecard.user_id == user.id).order_by(ScorecardPeriod.start.desc()).limit(1)
            ).scalars().first()
            context = contexts["appraisal.mine"]
            if evaluation is None and card is None:
                assert context is None, username
                continue
            if evaluation is None:
                assert context["evaluation"] is None and not context["needs_answer"]
            else:
                seen.add("evaluation")
                shown = context["evaluation"]
                assert (shown["id"], shown["scheme_name"], shown["period_label"], shown["grade"], shown["total"],
                        shown["max_total"]) == (evaluation.id, evaluation.scheme_name, evaluation.period_label,
                                                evaluation.grade, evaluation.total, evaluation.max_total)
                assert context["needs_answer"] is (evaluation.status == EvaluationStatus.finalised)
                assert evaluation.scheme_name in html and evaluation.period_label in html
                assert (evaluation.grade or "—") in html
                assert ("Please acknowledge it or appeal." in html) is context["needs_answer"]
            if card is None:
                assert context["card"] is None
            else:
                seen.add("card")
                assert context["card"] == {"id": card.id, "label": card.period.label, "total": card.total}
                assert f"Scorecard {card.period.label}" in html
    assert seen == {"evaluation", "card"}, "the demo shows both an evaluation and a scorecard to someone"


def test_the_person_asked_to_answer_and_the_one_who_appealed(demo_app):
    """A finalised evaluation asks for an answer; once appealed (the demo's auxiliary staff) it no longer does."""
    _statements, cadre, cadre_html = measure(demo_app, "c1001")
    assert cadre["appraisal.mine"]["needs_answer"] is True
    assert "Please acknowledge it or appeal." in cadre_html
    _statements, auxiliary, html = measure(demo_app, "auxiliary")
    assert auxiliary["appraisal.mine"]["evaluation"]["status"] == EvaluationStatus.appealed
    assert auxiliary["appraisal.mine"]["needs_answer"] is False
    assert "Please acknowledge it or appeal." not in html


def test_hr_panel_counts_match_the_services(demo_app):
    """HR's drafts, open appeals and contracts ending are the counts of the lists they link to."""
    _statements, contexts, html = measure(demo_app, "hr")
    with demo_app.app_context():
        drafts = len(db.session.execute(sa.select(Evaluation.id).where(
            Evaluation.status == EvaluationStatus.draft)).all())
        appeals = len(db.session.execute(services.open_appeals_query()).unique().scalars().all())
        ending = len(db.session.execute(registry.contracts_ending(date.today())).scalars().all())
    assert contexts["appraisal.hr"] == {"drafts": drafts, "appeals": appeals, "ending": ending}
    assert drafts >= 1 and appeals >= 1 and ending >= 1, "the demo gives HR something in each"
    for label in ("Drafts", "Open appeals", "Contracts ending"):
        assert label in html


def test_my_appraisal_is_hidden_when_there_is_nothing_yet(app):
    """Someone without a finalised evaluation or a scorecard sees no appraisal panel."""
    with app.test_request_context("/"):
        user = make_user("newcomer", roles=("learner",))
        with Counter() as counter:
            assert panels.own_panel(user) is None
            assert panels.hr_panel(user) == {"drafts": 0, "appeals": 0, "ending": 0}
        assert len(counter) == 2
