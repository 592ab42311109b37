"""Appraisal pages as people use them: scoring, appeals, the scorecard page, exports, hiring."""

from __future__ import annotations

import io
import re
from datetime import date

import sqlalchemy as sa
from openpyxl import load_workbook

from learning.appraisal import scorecard
from learning.appraisal.models import (
    Applicant,
    AuxiliaryStaff,
    CriterionKind,
    Evaluation,
    EvaluationStatus,
    RecruitmentRound,
    Scorecard,
    ScorecardPeriod,
)
from learning.audit import AuditEvent
from learning.courses.services import training_hours
from learning.extensions import db
from learning.people.models import User

from ..conftest import make_department, make_user
from .helpers import table_rows


def _user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.execute(sa.select(User.id).where(User.username == username)).scalar_one()


def _evaluation_id(app, username: str) -> int:
    with app.app_context():
        return db.session.execute(sa.select(Evaluation.id).join(User, User.id == Evaluation.user_id)
                                  .where(User.username == username).order_by(Evaluation.id)).scalars().first()


def test_hr_finalises_the_person_appeals_and_hr_rejects(demo_app):
    """The whole cycle through the pages: draft → finalised → appealed → answered, each seen by the person."""
    hr, person = demo_app.test_client(), demo_app.test_client()
    hr.login("hr")
    person.login("c1005")
    evaluation_id = _evaluation_id(demo_app, "c1005")
    assert person.get(f"/appraisal/evaluations/{evaluation_id}").status_code == 403  # a draft is HR's work
    page = hr.get(f"/appraisal/evaluations/{evaluation_id}/score").get_data(as_text=True)
    fields = re.findall(r'name="(points_\d+)"', page)
    data = {name: "15" for name in fields}
    data.update({name.replace("points", "note"): "依据台账" for name in fields})
    assert len(fields) == 3  # 工作实绩 50, 工作作风 30, 群众满意度 20: the hand-scored ones
    with demo_app.app_context():
        evaluation = db.session.get(Evaluation, evaluation_id)
        computed = [(row.source, row.max_points) for row in evaluation.scores if row.kind != CriterionKind.manual]
        hours = training_hours([evaluation.user_id], evaluation.period_start, evaluation.period_end)
    # the demo scheme also counts training hours (10 points, target 8) and gates on the integrity letter;
    # c1005 had no training in that quarter, so the computed criterion gives 0 of 10
    assert computed == [("training_hours", 10), ("signed_current_letters", 0)]
    assert list(hours.values()) == [0.0]
    response = hr.post_form(f"/appraisal/evaluations/{evaluation_id}/score", {**data, "action": "finalise"})
    assert response.status_code == 302
    view = person.get(f"/appraisal/evaluations/{evaluation_id}").get_data(as_text=True)
    assert "Finalised" in view and "45 / 110" in view and "依据台账" in view  # 3 × 15 + 0 of 50 + 30 + 20 + 10
    person.post_form(f"/appraisal/evaluations/{evaluation_id}/appeal", {"reason": "群众满意度回访记录不全"})
    appeals = hr.get("/appraisal/appeals").get_data(as_text=True)
    assert "群众满意度回访记录不全" in appeals
    with demo_app.app_context():
        appeal_id = db.session.get(Evaluation, evaluation_id).appeals[0].id
    hr.post_form(f"/appraisal/appeals/{appeal_id}/answer", {"decision": "rejected", "answer": "回访记录完整。"})
    view = person.get(f"/appraisal/evaluations/{evaluation_id}").get_data(as_text=True)
    assert "Rejected" in view and "回访记录完整。" in view


def test_upholding_an_appeal_leads_hr_to_the_new_version(demo_app):
    """The demo's open appeal, upheld: HR lands on the corrected draft; the appealed version is unchanged."""
    hr = demo_app.test_client()
    hr.login("hr")
    evaluation_id = _evaluation_id(demo_app, "auxiliary")
    with demo_app.app_context():
        evaluation = db.session.get(Evaluation, evaluation_id)
        appeal_id, total = evaluation.appeals[0].id, evaluation.total
    response = hr.post_form(f"/appraisal/appeals/{appeal_id}/answer", {"decision": "upheld", "answer": "予以复核。"})
    assert "/score" in response.headers["Location"]
    with demo_app.app_context():
        old = db.session.get(Evaluation, evaluation_id)
        assert (old.status, old.total) == (EvaluationStatus.superseded, total)
        new = db.session.execute(sa.select(Evaluation).where(Evaluation.previous_id == evaluation_id)).scalar_one()
        assert new.version == 2 and new.status == EvaluationStatus.draft


def test_scorecard_page_shows_the_hand_computed_total(app, stand_ins):
    """Quality 80, development 45, theory missing, legal 90 with 30/25/25/20: the page says 71 and why."""
    with app.test_request_context():
        hr = make_user("hr1", roles={"hr"})
        rater = make_user("rv", roles={"reviewer"})
        person = make_user("c1", department=make_department("sq1"))
        stand_ins.set("review_scores", {person.id: 80.0})
        stand_ins.set("test_average", {person.id: None})
        stand_ins.set("training_hours", {person.id: 10.0})
        stand_ins.set("courses_completed", {person.id: 3})
        stand_ins.set("mentorship_activity", {person.id: 0})
        stand_ins.set("sharing_talks_given", {person.id: 0})
        period = scorecard.create_period(hr, "2026-Q2", date(2026, 4, 1), date(2026, 6, 30))
        scorecard.rate_legal(rater, period, person, {"procedure": 30, "application": 25, "documents": 20,
                                                     "reversals": 15}, "程序规范")
        scorecard.compute_period(hr, period)
        db.session.commit()
        card_id = db.session.execute(sa.select(Scorecard.id).where(Scorecard.user_id == person.id)).scalar_one()
    client = app.test_client()
    client.login("c1", "correct horse battery")
    page = client.get(f"/appraisal/scorecards/{card_id}").get_data(as_text=True)
    formula = " ".join(re.search(r'data-testid="formula">(.*?)</p>', page, re.S).group(1).split())
    # development: hours 10 of 20 → 50 (weight 50), courses 3 of 3 → 100 (20), no talks → 0 (15 + 15): 4500 / 100
    assert "(30 × 80 + 25 × 45 + 20 × 90) ÷ (30 + 25 + 20)" in formula
    assert 'data-testid="total">71</strong>' in formula  # 5325 / 75
    assert 'data-testid="element-theory"' in page and "Missing: left out of the total" in page
    assert "10.0 / target 20.0 → 50" in page  # the development inputs and how each scored
    assert "3 / target 3.0 → 100" in page and "0 / target 1.0 → 0" in page
    assert "<svg" in page  # the trend chart


def test_demo_scorecards_hold_the_other_features_figures(demo_app):
    """The demo's latest scorecard of the demo cadre has all four elements, from reviews, courses, tests,
    mentorship and the legal rating; its hours are the ledger's hours in the period."""
    from learning.courses.models import LedgerEntry

    with demo_app.app_context():
        period = db.session.execute(sa.select(ScorecardPeriod).order_by(ScorecardPeriod.start.desc())).scalars().first()
        card = db.session.execute(sa.select(Scorecard).join(User, User.id == Scorecard.user_id).where(
            Scorecard.period_id == period.id, User.username == "cadre")).scalar_one()
        hours = db.session.execute(sa.select(sa.func.sum(LedgerEntry.hours)).where(
            LedgerEntry.user_id == card.user_id, LedgerEntry.earned_on.between(period.start, period.end))).scalar()
        parts = {part["key"]: part for part in card.inputs["development"]["parts"]}
        assert not period.is_published
        assert None not in (card.quality, card.development, card.theory, card.legal, card.total)
        assert all(part["available"] for part in parts.values())
        assert hours and parts["training_hours"]["value"] == hours
        assert parts["mentorship_activity"]["value"] > 0  # the demo mentor's talks with the demo cadre
        card_id = card.id
    client = demo_app.test_client()
    client.login("cadre")
    page = client.get(f"/appraisal/scorecards/{card_id}").get_data(as_text=True)
    assert "Missing: left out of the total" not in page


def test_evaluation_export_holds_the_rows_and_totals_of_the_page(demo_client):
    """The .xlsx opens, has a bold frozen header and sized columns, and the same rows and totals as the list."""
    demo_client.login("hr")
    page = demo_client.get("/appraisal/evaluations?period=").get_data(as_text=True)
    shown = [(row[0], row[7].split(" / ")[0], row[8]) for row in table_rows(page, "evaluations")]
    response = demo_client.get("/appraisal/evaluations/export?fmt=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold and sheet["A1"].value == "Employee number"
    assert sheet.column_dimensions["B"].width >= 8
    exported = [(str(row[0]), f"{row[7]:g}", row[9]) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert exported == shown and len(exported) >= 10


def test_ranking_export_matches_the_ranking_page(demo_client):
    """The ranking .xlsx lists the same people, ranks and totals as the page."""
    demo_client.login("hr")
    with demo_client.application.app_context():
        period_id = db.session.execute(sa.select(ScorecardPeriod.id).order_by(ScorecardPeriod.start.desc())
                                       ).scalars().first()
    page = demo_client.get(f"/appraisal/scorecards/periods/{period_id}").get_data(as_text=True)
    shown = [(row[0], row[2], row[8]) for row in table_rows(page, "ranking")]
    sheet = load_workbook(io.BytesIO(demo_client.get(
        f"/appraisal/scorecards/periods/{period_id}/export?fmt=xlsx").data)).active
    exported = [(str(row[0]), row[3], f"{row[9]:g}") for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert exported == shown and exported


def test_registry_export_is_masked_unless_hr_asks_for_full_data(demo_app):
    """Administrators get masked numbers and cannot ask for more; HR's full export is audited."""
    admin, hr = demo_app.test_client(), demo_app.test_client()
    admin.login("admin")
    hr.login("hr")
    with demo_app.app_context():
        record = db.session.execute(sa.select(AuxiliaryStaff).order_by(AuxiliaryStaff.id)).scalars().first()
        full_id, full_phone = record.id_number, record.phone
    masked = admin.get("/appraisal/registry/export?fmt=csv").get_data(as_text=True)
    assert full_id not in masked and full_phone not in masked and full_id[:6] + "********" in masked
    assert admin.get("/appraisal/registry/export?fmt=csv&full=1").status_code == 403
    full = hr.get("/appraisal/registry/export?fmt=csv&full=1").get_data(as_text=True)
    assert full_id in full and full_phone in full
    with demo_app.app_context():
        assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "registry.exported_full")
                                  ).scalar_one().actor_name == "hr"


def test_record_page_masks_for_everyone_but_hr_and_the_person(demo_app):
    """The person and HR see the full ID number and phone; an administrator sees them masked."""
    with demo_app.app_context():
        record = db.session.execute(sa.select(AuxiliaryStaff).join(User).where(User.username == "auxiliary")
                                    ).scalar_one()
        record_id, full_id = record.id, record.id_number
    for username, full in (("auxiliary", True), ("hr", True), ("admin", False)):
        client = demo_app.test_client()
        client.login(username)
        page = client.get(f"/appraisal/registry/{record_id}").get_data(as_text=True)
        assert (full_id in page) == full, username


def test_registration_form_names_a_wrong_check_digit_and_failing_rules(demo_client):
    """HR types an ID with a wrong check digit: refused with the reason; the rules a junior education fails show."""
    demo_client.login("hr")
    page = demo_client.post_form("/appraisal/registry/new", {
        "name": "王某某", "gender": "male", "id_number": "110105194912310021", "phone": "13800009999",
        "position": "巡查辅助员", "department_id": "0", "user_id": "0", "hired_on": "2026-01-05",
        "education": "junior", "status": "active"}).get_data(as_text=True)
    assert "check digit" in page
    assert "fails:" in page and "Education at least Senior secondary" in page


def test_hired_applicant_signs_in_as_auxiliary_staff(demo_app):
    """HR confirms a hire; the new colleague signs in with the shown password, already registered."""
    hr = demo_app.test_client()
    hr.login("hr")
    with demo_app.app_context():
        round_id = db.session.execute(sa.select(RecruitmentRound.id)).scalar_one()
        applicant = db.session.execute(sa.select(Applicant).where(Applicant.name == "赵某")).scalar_one()
        applicant_id, id_number = applicant.id, applicant.id_number
    page = hr.post_form(f"/appraisal/recruitment/{round_id}/hire", {
        "applicant": str(applicant_id), "hired_on": "2026-12-01", "contract_years": "3"}).get_data(as_text=True)
    username, password = re.search(r'font-monospace">([^<]+)</td><td class="font-monospace" '
                                   r'data-testid="temporary-password">([^<]+)<', page).groups()
    newcomer = demo_app.test_client()
    assert newcomer.login(username, password).status_code == 302
    form = newcomer.get("/account/password").get_data(as_text=True)  # a new account first sets its own password
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    changed = newcomer.post("/account/password", data={"csrf_token": token, "current_password": password,
                                                           "new_password": "a-new-colleague-2026",
                                                           "confirm": "a-new-colleague-2026"})
    assert changed.status_code == 302
    dashboard = newcomer.get("/").get_data(as_text=True)
    assert "赵某" in dashboard and "Auxiliary staff" in dashboard
    mine = newcomer.get("/appraisal/").get_data(as_text=True)
    record_id = int(re.search(r"/appraisal/registry/(\d+)", mine).group(1))
    record = newcomer.get(f"/appraisal/registry/{record_id}").get_data(as_text=True)
    assert id_number in record and "巡查辅助员" in record


def test_round_page_ranks_and_shows_failing_rules(demo_client):
    """The demo round: the applicant with junior education is shown failing the rule, unranked."""
    demo_client.login("hr")
    with demo_client.application.app_context():
        round_id = db.session.execute(sa.select(RecruitmentRound.id)).scalar_one()
    page = demo_client.get(f"/appraisal/recruitment/{round_id}").get_data(as_text=True)
    assert "李某某" in page and "fails: Education at least Senior secondary" in page
    assert "84.4" in page  # 赵某: 0.6 × 82 + 0.4 × 88


def test_dashboard_panels(demo_app):
    """HR sees drafts, appeals and contracts ending; a person sees their latest grade."""
    hr, person = demo_app.test_client(), demo_app.test_client()
    hr.login("hr")
    person.login("a2001")
    hr_page = hr.get("/").get_data(as_text=True)
    assert 'data-panel="appraisal.hr"' in hr_page and "Open appeals" in hr_page
    assert 'data-panel="appraisal.mine"' in person.get("/").get_data(as_text=True)


def test_legal_rating_by_the_reviewer(demo_app):
    """The reviewer rates a cadre against the rubric; an out-of-range item is refused."""
    reviewer = demo_app.test_client()
    reviewer.login("reviewer")
    with demo_app.app_context():
        period_id = db.session.execute(sa.select(ScorecardPeriod.id).where(ScorecardPeriod.is_published.is_(False))
                                       ).scalar_one()
    url = f"/appraisal/scorecards/periods/{period_id}/legal/{_user_id(demo_app, 'c1001')}"
    bad = reviewer.post_form(url, {"rubric_procedure": "31", "rubric_application": "20", "rubric_documents": "20",
                                   "rubric_reversals": "20"})
    assert bad.status_code == 200 and "0 to its maximum" in bad.get_data(as_text=True)
    good = reviewer.post_form(url, {"rubric_procedure": "30", "rubric_application": "20", "rubric_documents": "20",
                                    "rubric_reversals": "20", "note": "良好"})
    assert good.status_code == 302
    assert "90" in reviewer.get(f"/appraisal/scorecards/periods/{period_id}/legal").get_data(as_text=True)


def test_pages_run_a_small_fixed_number_of_queries(demo_app):
    """Every appraisal page runs at most 15 SQL statements with the demo data."""
    from sqlalchemy import event

    from tests.route_matrix import World

    from .route_matrix import ROUTES

    counter = {"n": 0}

    def count(*_args, **_kwargs):
        counter["n"] += 1

    clients = {}
    with demo_app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for route in ROUTES:
            if route.method != "GET":
                continue
            role = "hr" if "hr" in route.allowed else next(iter(route.allowed))
            if role not in clients:
                clients[role] = demo_app.test_client()
                clients[role].login(role)
            with demo_app.app_context():
                url = route.url(World()) if callable(route.url) else route.url
            counter["n"] = 0
            assert clients[role].get(url).status_code == 200, url
            assert counter["n"] <= 15, f"{url}: {counter['n']} statements"
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_registry_import_page_reports_rows(demo_client):
    """HR uploads a registry CSV through the page and sees each row's outcome, numbers masked."""
    from learning.appraisal.demo import fictional_id

    demo_client.login("hr")
    number = fictional_id(date(1996, 9, 9), 77)
    data = ("姓名,性别,身份证号,手机,岗位,入职日期,学历\n"
            f"吴某某,男,{number},13600007777,巡查辅助员,2026-10-01,大专\n").encode()
    page = demo_client.post_form("/appraisal/registry/import", {"file": (io.BytesIO(data), "registry.csv")},
                                 content_type="multipart/form-data").get_data(as_text=True)
    assert "Created 1" in page and registry_mask(number) in page and number not in page


def registry_mask(number: str) -> str:
    """The masked form of an ID number."""
    from learning.appraisal.registry import mask_id_number

    return mask_id_number(number)


def test_scheme_gate_cap_is_chosen_among_its_bands(demo_client):
    """Editing a scheme offers its bands as the cap for a failed integrity gate, and saves the choice."""
    demo_client.login("hr")
    with demo_client.application.app_context():
        from learning.appraisal.models import Scheme

        scheme_id = db.session.execute(sa.select(Scheme.id).order_by(Scheme.id)).scalars().first()
    page = demo_client.get(f"/appraisal/schemes/{scheme_id}/edit").get_data(as_text=True)
    assert '<option selected value="称职">' in page or 'value="称职" selected' in page
    response = demo_client.post_form(f"/appraisal/schemes/{scheme_id}/edit", {
        "name": "巡查辅助员季度考核细则", "audience": "auxiliary", "position": "巡查辅助员", "period_type": "quarterly",
        "gate_cap": "基本称职"})
    assert response.status_code == 302
    assert "基本称职" in demo_client.get(f"/appraisal/schemes/{scheme_id}").get_data(as_text=True)
