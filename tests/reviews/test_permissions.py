"""Object rules: who scores which file, who answers which notice, who reads which bulletin."""

from __future__ import annotations

import pytest

from learning.extensions import db
from learning.permissions import can
from learning.reviews import services
from learning.reviews.models import CycleStatus, ReviewAssignment

from .conftest import make_case


@pytest.fixture
def cycle(app, world):
    """A cycle of September with one sq1 file and one sq2 file, one reviewer each."""
    with app.test_request_context():
        make_case("A-1", world.sq1, world.a1, [world.a2])
        make_case("B-1", world.sq2, world.b1, [world.r2])
        cycle = services.open_cycle(world.r1, "2026-09", 5, 1, seed=3)
        yield cycle


def test_a_reviewer_scores_only_files_assigned_to_them(world, cycle):
    """The assigned reviewer may; another reviewer and a learner may not."""
    assignment = cycle.files[0].assignments[0]
    assert can(assignment.reviewer, "reviews.score", assignment)
    others = {world.r1, world.r2, world.rs1} - {assignment.reviewer}
    assert not any(can(user, "reviews.score", assignment) for user in others)
    assert not can(world.a1, "reviews.score", assignment)


def test_no_reviewer_scores_a_file_of_their_own_squad_or_one_they_handled(world, cycle):
    """Even with an assignment row, the sq1 reviewer is refused sq1's file, and r2 the case they handled."""
    sq1_file = next(f for f in cycle.files if f.case.squad_id == world.sq1.id)
    sq2_file = next(f for f in cycle.files if f.case.squad_id == world.sq2.id)
    own_squad = ReviewAssignment(file=sq1_file, reviewer=world.rs1)
    own_case = ReviewAssignment(file=sq2_file, reviewer=world.r2)
    db.session.add_all([own_squad, own_case])
    db.session.flush()
    assert not can(world.rs1, "reviews.score", own_squad)
    assert not can(world.r2, "reviews.score", own_case)


def test_handlers_see_their_own_notices_only(app, world, cycle):
    """A handler of the case may answer its notice; an officer of another case may not; reviewers may."""
    from learning.reviews.models import RectificationNotice

    file = next(f for f in cycle.files if f.case.squad_id == world.sq1.id)
    notice = RectificationNotice(file=file, case=file.case, text="补正", due_on=file.case.closed_on)
    db.session.add(notice)
    db.session.flush()
    assert can(world.a1, "reviews.respond", notice) and can(world.a2, "reviews.respond", notice)
    assert not can(world.b1, "reviews.respond", notice)
    assert can(world.r1, "reviews.respond", notice)


def test_bulletins_are_for_everyone_once_published(world, cycle):
    """An open cycle is the reviewers' alone; a published one every staff member reads."""
    assert not can(world.a1, "reviews.read_bulletin", cycle)
    assert can(world.r1, "reviews.read_bulletin", cycle)
    cycle.status = CycleStatus.published
    assert can(world.a1, "reviews.read_bulletin", cycle)
