"""Fixtures for the reviews tests: two squads, a legal section, officers, reviewers and case files."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from learning.extensions import db
from learning.reviews import services
from learning.reviews.models import Procedure

from ..conftest import make_department, make_user


def make_case(number: str, squad, lead, co=(), closed_on: date = date(2026, 9, 20), filed_on: date = date(2026, 9, 1),
              parties=None, procedure: Procedure = Procedure.general, case_type: str = "road_occupation",
              title: str | None = None):
    """A case file (flushed) with one fictional party unless ``parties`` are given."""
    parties = parties if parties is not None else [services.PartyData(
        name="王某某", id_number="33010019900101123X", phone="13900001111", address="某某市示例路1号",
        plate="浙A12345")]
    case, _status = services.save_case(
        None, None, case_number=number, squad=squad, lead=lead, co_handlers=list(co), parties=parties,
        title=title or f"{parties[0].name if parties else '某'}占道经营案", case_type=case_type, procedure=procedure,
        facts="事实", legal_basis="依据", is_warning=False, fine_amount=None, confiscation="",
        discovered_on=filed_on, filed_on=filed_on, decided_on=closed_on, delivered_on=closed_on, closed_on=closed_on,
        delivery_channel=None, payment_channel=None)
    return case


@pytest.fixture
def world(app):
    """Squads sq1 and sq2, the legal section, two officers per squad, and reviewers in legal and in sq1."""
    with app.test_request_context():
        sq1, sq2 = make_department("sq1", "第一中队"), make_department("sq2", "第二中队")
        legal = make_department("legal", "法制科", kind="section")
        w = SimpleNamespace(sq1=sq1, sq2=sq2, legal=legal)
        w.a1 = make_user("a1", department=sq1, display_name="甲一")
        w.a2 = make_user("a2", department=sq1, display_name="甲二")
        w.b1 = make_user("b1", department=sq2, display_name="乙一")
        w.b2 = make_user("b2", department=sq2, display_name="乙二")
        w.r1 = make_user("r1", roles={"reviewer"}, department=legal, display_name="评查一")
        w.r2 = make_user("r2", roles={"reviewer"}, department=legal, display_name="评查二")
        w.rs1 = make_user("rs1", roles={"reviewer"}, department=sq1, display_name="一中队评查")
        db.session.commit()
        yield w
        db.session.rollback()
