"""Who sees which appraisal record: one's own, and HR everyone's."""

from __future__ import annotations

import sqlalchemy as sa

from learning.appraisal import policy
from learning.appraisal.models import Evaluation, RecruitmentRound, Scorecard, ScorecardPeriod
from learning.extensions import db
from learning.people.models import User
from learning.permissions import can


def _ids(app):
    with app.app_context():
        users = dict(db.session.execute(sa.select(User.username, User.id)).all())
        evaluations = {username: db.session.execute(
            sa.select(Evaluation.id).where(Evaluation.user_id == users[username]).order_by(Evaluation.id)
        ).scalars().first() for username in ("cadre", "auxiliary", "c1005")}
        period = db.session.execute(sa.select(ScorecardPeriod.id).order_by(ScorecardPeriod.start.desc())
                                    ).scalars().first()
        cards = {username: db.session.execute(sa.select(Scorecard.id).where(
            Scorecard.user_id == users[username], Scorecard.period_id == period)).scalar_one()
            for username in ("cadre", "c1001")}
    return evaluations, cards


def test_a_learner_cannot_open_another_persons_evaluation_or_scorecard(demo_app):
    """Changing the id in the URL gets 403; one's own opens."""
    evaluations, cards = _ids(demo_app)
    client = demo_app.test_client()
    client.login("cadre")
    assert client.get(f"/appraisal/evaluations/{evaluations['cadre']}").status_code == 200
    assert client.get(f"/appraisal/evaluations/{evaluations['auxiliary']}").status_code == 403
    assert client.get(f"/appraisal/scorecards/{cards['cadre']}").status_code == 200
    assert client.get(f"/appraisal/scorecards/{cards['c1001']}").status_code == 403
    assert client.post_form(f"/appraisal/evaluations/{evaluations['auxiliary']}/appeal",
                            {"reason": "x"}).status_code == 403


def test_hr_sees_everyone_but_does_not_appeal_for_them(demo_app):
    """HR opens any evaluation and scorecard; acknowledging is for the person alone."""
    evaluations, cards = _ids(demo_app)
    client = demo_app.test_client()
    client.login("hr")
    for evaluation_id in evaluations.values():
        assert client.get(f"/appraisal/evaluations/{evaluation_id}").status_code == 200
    assert client.get(f"/appraisal/scorecards/{cards['c1001']}").status_code == 200
    assert client.post_form(f"/appraisal/evaluations/{evaluations['cadre']}/acknowledge").status_code == 403


def test_drafts_stay_hidden_from_their_person(demo_app):
    """A draft is HR's work in progress: its person gets 403 until it is finalised."""
    evaluations, _cards = _ids(demo_app)
    client = demo_app.test_client()
    client.login("c1005")
    assert client.get(f"/appraisal/evaluations/{evaluations['c1005']}").status_code == 403
    with demo_app.app_context():
        person = db.session.execute(sa.select(User).where(User.username == "c1005")).scalar_one()
        draft = db.session.get(Evaluation, evaluations["c1005"])
        assert not can(person, "appraisal.view_own", draft) and policy.is_subject(person, draft)


def test_applicants_data_is_for_hr_only(demo_app):
    """Even an administrator, who sees the registry masked, cannot open a recruitment round."""
    with demo_app.app_context():
        round_id = db.session.execute(sa.select(RecruitmentRound.id)).scalar_one()
    for username, status in (("admin", 403), ("reviewer", 403), ("hr", 200)):
        client = demo_app.test_client()
        client.login(username)
        assert client.get(f"/appraisal/recruitment/{round_id}").status_code == status, username
