"""Route-by-role rows of the appraisal package (see tests/route_matrix.py)."""

from __future__ import annotations

import sqlalchemy as sa

from learning.appraisal.models import (
    Appeal,
    Applicant,
    AuxiliaryStaff,
    Band,
    Criterion,
    EligibilityRule,
    Evaluation,
    RecruitmentRound,
    Scheme,
    Scorecard,
    ScorecardPeriod,
)

from ..route_matrix import Route, World, everyone, only


def _evaluation_of(username: str):
    def url(world: World, suffix: str = "") -> str:
        user = world.user(username)
        evaluation = world.first(Evaluation, Evaluation.user_id == user.id, Evaluation.version == 1)
        return f"/appraisal/evaluations/{evaluation.id}{suffix}"
    return url


def _own(world: World, username: str, suffix: str = "") -> str:
    return _evaluation_of(username)(world, suffix)


def _latest_period(world: World) -> ScorecardPeriod:
    return world.first(ScorecardPeriod, ScorecardPeriod.start == sa.select(sa.func.max(ScorecardPeriod.start))
                       .scalar_subquery())


def _published_period(world: World) -> ScorecardPeriod:
    return world.first(ScorecardPeriod, ScorecardPeriod.is_published.is_(True))


def _scheme(world: World) -> Scheme:
    return world.first(Scheme)


def _round(world: World) -> RecruitmentRound:
    return world.first(RecruitmentRound)


def _record_of(world: World, username: str) -> AuxiliaryStaff:
    return world.first(AuxiliaryStaff, AuxiliaryStaff.user_id == world.user(username).id)


def _cadre_card(world: World) -> Scorecard:
    return world.first(Scorecard, Scorecard.user_id == world.user("cadre").id,
                       Scorecard.period_id == _latest_period(world).id)


HR = only("hr")
HR_POST = only("hr", status=302)
SEE_ALL = only("hr", "admin")

ROUTES = [
    Route("appraisal.mine", "/appraisal/", everyone()),
    Route("appraisal.evaluation", lambda w: _own(w, "auxiliary"), only("auxiliary", "hr")),
    Route("appraisal.acknowledge", lambda w: _own(w, "cadre", "/acknowledge"), only("cadre", status=302),
          method="POST"),
    Route("appraisal.appeal", lambda w: _own(w, "cadre", "/appeal"), only("cadre", status=302), method="POST"),
    Route("appraisal.evaluations", "/appraisal/evaluations", HR),
    Route("appraisal.export_evaluations", "/appraisal/evaluations/export?fmt=csv", HR),
    Route("appraisal.score", lambda w: _own(w, "c1005", "/score"), HR),
    Route("appraisal.score", lambda w: _own(w, "c1005", "/score"), HR_POST, method="POST",
          data={"action": "save"}),
    Route("appraisal.appeals", "/appraisal/appeals", HR),
    Route("appraisal.answer_appeal", lambda w: f"/appraisal/appeals/{w.first(Appeal).id}/answer", HR_POST,
          method="POST"),
    Route("appraisal.schemes", "/appraisal/schemes", HR),
    Route("appraisal.edit_scheme", "/appraisal/schemes/new", HR),
    Route("appraisal.edit_scheme", "/appraisal/schemes/new", HR, method="POST", data={"name": ""}),
    Route("appraisal.edit_scheme", lambda w: f"/appraisal/schemes/{_scheme(w).id}/edit", HR),
    Route("appraisal.scheme", lambda w: f"/appraisal/schemes/{_scheme(w).id}", HR),
    Route("appraisal.add_criterion", lambda w: f"/appraisal/schemes/{_scheme(w).id}/criteria", HR_POST,
          method="POST"),
    Route("appraisal.remove_criterion", lambda w: f"/appraisal/criteria/{w.first(Criterion).id}/remove", HR_POST,
          method="POST"),
    Route("appraisal.add_band", lambda w: f"/appraisal/schemes/{_scheme(w).id}/bands", HR_POST, method="POST"),
    Route("appraisal.remove_band", lambda w: f"/appraisal/bands/{w.first(Band).id}/remove", HR_POST,
          method="POST"),
    Route("appraisal.open_period", lambda w: f"/appraisal/schemes/{_scheme(w).id}/open", HR_POST, method="POST"),
    Route("appraisal.periods", "/appraisal/scorecards", HR),
    Route("appraisal.periods", "/appraisal/scorecards", HR, method="POST", data={"label": ""}),
    Route("appraisal.period", lambda w: f"/appraisal/scorecards/periods/{_latest_period(w).id}", HR),
    Route("appraisal.period_weights", lambda w: f"/appraisal/scorecards/periods/{_latest_period(w).id}/weights",
          HR_POST, method="POST"),
    Route("appraisal.compute_period", lambda w: f"/appraisal/scorecards/periods/{_latest_period(w).id}/compute",
          HR_POST, method="POST"),
    Route("appraisal.publish_period", lambda w: f"/appraisal/scorecards/periods/{_latest_period(w).id}/publish",
          HR_POST, method="POST"),
    Route("appraisal.export_ranking",
          lambda w: f"/appraisal/scorecards/periods/{_latest_period(w).id}/export?fmt=xlsx", HR),
    Route("appraisal.notice", lambda w: f"/appraisal/notices/{_published_period(w).id}", everyone()),
    Route("appraisal.scorecard_view", lambda w: f"/appraisal/scorecards/{_cadre_card(w).id}", only("cadre", "hr")),
    Route("appraisal.legal_ratings", "/appraisal/legal", only("reviewer")),
    Route("appraisal.legal_ratings", lambda w: f"/appraisal/scorecards/periods/{_latest_period(w).id}/legal",
          only("reviewer")),
    Route("appraisal.rate_legal",
          lambda w: f"/appraisal/scorecards/periods/{_latest_period(w).id}/legal/{w.user('cadre').id}",
          only("reviewer")),
    Route("appraisal.rate_legal",
          lambda w: f"/appraisal/scorecards/periods/{_latest_period(w).id}/legal/{w.user('cadre').id}",
          only("reviewer"), method="POST"),
    Route("appraisal.registry_list", "/appraisal/registry", SEE_ALL),
    Route("appraisal.contracts", "/appraisal/registry/contracts", SEE_ALL),
    Route("appraisal.record", lambda w: f"/appraisal/registry/{_record_of(w, 'auxiliary').id}",
          only("auxiliary", "hr", "admin")),
    Route("appraisal.edit_record", "/appraisal/registry/new", HR),
    Route("appraisal.edit_record", "/appraisal/registry/new", HR, method="POST", data={"name": ""}),
    Route("appraisal.edit_record", lambda w: f"/appraisal/registry/{_record_of(w, 'a2001').id}/edit", HR),
    Route("appraisal.import_registry", "/appraisal/registry/import", HR),
    Route("appraisal.import_registry", "/appraisal/registry/import", HR, method="POST"),
    Route("appraisal.export_registry", "/appraisal/registry/export?fmt=csv", SEE_ALL),
    Route("appraisal.rules", "/appraisal/registry/rules", HR),
    Route("appraisal.rules", "/appraisal/registry/rules", HR, method="POST", data={"value": ""}),
    Route("appraisal.remove_rule", lambda w: f"/appraisal/rules/{w.first(EligibilityRule).id}/remove", HR_POST,
          method="POST"),
    Route("appraisal.rounds", "/appraisal/recruitment", HR),
    Route("appraisal.new_round", "/appraisal/recruitment/new", HR),
    Route("appraisal.new_round", "/appraisal/recruitment/new", HR, method="POST", data={"title": ""}),
    Route("appraisal.round_detail", lambda w: f"/appraisal/recruitment/{_round(w).id}", HR),
    Route("appraisal.add_position", lambda w: f"/appraisal/recruitment/{_round(w).id}/positions", HR_POST,
          method="POST"),
    Route("appraisal.add_round_rule", lambda w: f"/appraisal/recruitment/{_round(w).id}/rules", HR_POST,
          method="POST"),
    Route("appraisal.add_applicant", lambda w: f"/appraisal/recruitment/{_round(w).id}/applicants", HR_POST,
          method="POST"),
    Route("appraisal.import_applicants", lambda w: f"/appraisal/recruitment/{_round(w).id}/import", HR),
    Route("appraisal.import_applicants", lambda w: f"/appraisal/recruitment/{_round(w).id}/import", HR,
          method="POST"),
    Route("appraisal.applicant_scores", lambda w: f"/appraisal/applicants/{w.first(Applicant).id}/scores",
          HR_POST, method="POST", data={"written_score": "80", "interview_score": "75"}),
    Route("appraisal.hire", lambda w: f"/appraisal/recruitment/{_round(w).id}/hire", HR_POST, method="POST"),
    Route("appraisal.close_round", lambda w: f"/appraisal/recruitment/{_round(w).id}/close", HR_POST,
          method="POST"),
]


