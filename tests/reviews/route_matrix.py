"""Route-by-role rows of the reviews area (the demo has a published cycle and one in progress)."""

from __future__ import annotations

import sqlalchemy as sa

from tests.route_matrix import Route, World, everyone, only


def _published(world: World) -> str:
    from learning.reviews.models import ReviewCycle

    return world.first(ReviewCycle, ReviewCycle.status == "published").month


def _open_cycle(world: World):
    from learning.reviews.models import ReviewCycle

    return world.first(ReviewCycle, ReviewCycle.status == "open")


def _case(world: World) -> int:
    from learning.reviews.models import CaseFile

    return world.first(CaseFile).id


def _open_assignment(world: World) -> int:
    """An assignment of the demo reviewer in the cycle in progress."""
    from learning.reviews.models import ReviewAssignment, SampledFile

    in_progress = sa.select(SampledFile.id).where(SampledFile.cycle_id == _open_cycle(world).id)
    return world.first(ReviewAssignment, ReviewAssignment.reviewer_id == world.user("reviewer").id,
                       ReviewAssignment.file_id.in_(in_progress)).id


def _cadres_notice(world: World) -> int:
    """The demo notice on a case that the demo cadre (and the mentor) handled."""
    from learning.reviews.models import CaseHandler, RectificationNotice

    handled = sa.select(CaseHandler.case_id).where(CaseHandler.user_id == world.user("cadre").id)
    return world.first(RectificationNotice, RectificationNotice.case_id.in_(handled)).id


def _answered_notice(world: World) -> int:
    from learning.reviews.models import RectificationNotice

    return world.first(RectificationNotice, RectificationNotice.response != "").id


REVIEWER = only("reviewer")
HANDLERS = {"cadre": 200, "mentor": 200, "reviewer": 200}

ROUTES = [
    Route("reviews.index", "/reviews/", everyone()),
    Route("reviews.bulletin", lambda w: f"/reviews/{_published(w)}/", everyone()),
    Route("reviews.bulletin_print", lambda w: f"/reviews/{_published(w)}/print", everyone()),
    Route("reviews.bulletin_export", lambda w: f"/reviews/{_published(w)}/export?fmt=csv", everyone()),
    Route("reviews.add_erratum", lambda w: f"/reviews/{_published(w)}/errata", only("reviewer", status=302),
          method="POST", data={"text": "更正", "reason": "录入错误"}),
    Route("reviews.cases", "/reviews/cases", REVIEWER),
    Route("reviews.edit_case", "/reviews/cases/new", REVIEWER),
    Route("reviews.edit_case", "/reviews/cases/new", REVIEWER, method="POST", data={"case_number": ""}),
    Route("reviews.edit_case", lambda w: f"/reviews/cases/{_case(w)}/edit", REVIEWER),
    Route("reviews.edit_case", lambda w: f"/reviews/cases/{_case(w)}/edit", REVIEWER, method="POST",
          data={"case_number": ""}),
    Route("reviews.case_detail", lambda w: f"/reviews/cases/{_case(w)}", REVIEWER),
    Route("reviews.import_cases", "/reviews/cases/import", REVIEWER),
    Route("reviews.import_cases", "/reviews/cases/import", REVIEWER, method="POST"),
    Route("reviews.rubric", "/reviews/rubric", REVIEWER),
    Route("reviews.new_rubric", "/reviews/rubric/new", REVIEWER),
    Route("reviews.new_rubric", "/reviews/rubric/new", REVIEWER, method="POST", data={"text": ""}),
    Route("reviews.new_cycle", "/reviews/cycles/new", REVIEWER),
    Route("reviews.new_cycle", "/reviews/cycles/new", REVIEWER, method="POST", data={"month": ""}),
    Route("reviews.cycle", lambda w: f"/reviews/cycles/{_open_cycle(w).id}", REVIEWER),
    Route("reviews.assign", lambda w: f"/reviews/cycles/{_open_cycle(w).id}/assign", only("reviewer", status=302),
          method="POST"),
    Route("reviews.publish", lambda w: f"/reviews/cycles/{_open_cycle(w).id}/publish",
          only("reviewer", status=302), method="POST"),
    Route("reviews.queue", "/reviews/queue", REVIEWER),
    Route("reviews.score", lambda w: f"/reviews/assignments/{_open_assignment(w)}", REVIEWER),
    Route("reviews.score", lambda w: f"/reviews/assignments/{_open_assignment(w)}", only("reviewer", status=302),
          method="POST"),
    Route("reviews.my_notices", "/reviews/notices", everyone()),
    Route("reviews.notices", "/reviews/notices/all", REVIEWER),
    Route("reviews.notice", lambda w: f"/reviews/notices/{_cadres_notice(w)}", HANDLERS),
    Route("reviews.notice", lambda w: f"/reviews/notices/{_cadres_notice(w)}", HANDLERS, method="POST",
          data={"response": ""}),
    Route("reviews.decide_notice", lambda w: f"/reviews/notices/{_answered_notice(w)}/decide",
          only("reviewer", status=302), method="POST", data={"accept": "Accept"}),
    Route("reviews.my_record", "/reviews/my-record", everyone()),
]
