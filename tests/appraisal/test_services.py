"""Rules of the registry, recruitment, schemes, evaluations and the cadre scorecard."""

from __future__ import annotations

import string
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from learning.appraisal import recruitment, registry, scorecard, services
from learning.appraisal.demo import fictional_id
from learning.appraisal.models import (
    AppealStatus,
    Applicant,
    Audience,
    AuxiliaryStaff,
    CriterionKind,
    Education,
    EligibilityRule,
    Evaluation,
    EvaluationStatus,
    PeriodType,
    RuleKind,
    Scorecard,
    StaffStatus,
)
from learning.audit import AuditEvent
from learning.extensions import db
from learning.people.models import StaffCategory, User

from ..conftest import make_department, make_user

# --- ID numbers, phones, masking ---------------------------------------------------------------------

birth_dates = st.dates(min_value=date(1940, 1, 1), max_value=date(2010, 12, 31))


def test_the_example_of_the_standard_is_valid():
    """GB 11643's own example number passes; a wrong last character is named as a wrong check digit."""
    assert registry.id_number_problem("11010519491231002X") is None
    assert registry.id_number_problem("11010519491231002x") is None
    assert "check digit" in registry.id_number_problem("110105194912310021")


@given(region=st.text(string.digits, min_size=6, max_size=6), birth=birth_dates,
       sequence=st.integers(0, 999), wrong=st.sampled_from("0123456789X"))
def test_only_the_right_check_digit_passes(region, birth, sequence, wrong):
    """For any region, birth date and sequence, the mod-11 check character passes and every other fails."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    right = registry.id_check_char(first17)
    assert registry.id_number_problem(first17 + right) is None
    if wrong != right:
        assert registry.id_number_problem(first17 + wrong) is not None


@given(st.text(string.digits + "X", min_size=0, max_size=20))
def test_wrong_shapes_never_pass(value):
    """Anything but 17 digits and a digit or X, with a real birth date and the right check, is refused."""
    valid = (len(value) == 18 and value[:17].isdigit() and registry.id_birth_date(value) is not None
             and registry.id_check_char(value[:17]) == value[17])
    assert (registry.id_number_problem(value) is None) == valid


@given(st.sampled_from("3456789"), st.text(string.digits, min_size=9, max_size=9))
def test_mobile_numbers_pass(second, rest):
    """Every 11-digit mobile number 13x–19x passes, with or without +86 and spaces."""
    number = f"1{second}{rest}"
    assert registry.phone_problem(number) is None
    assert registry.phone_problem(f"+86 {number[:3]} {number[3:]}") is None


@given(st.text(string.digits, min_size=1, max_size=15).filter(lambda v: not v.startswith("0")))
def test_other_digit_strings_are_refused_unless_mobile(value):
    """A digit string that is not a mobile number (or a landline with area code) is refused."""
    is_mobile = len(value) == 11 and value[0] == "1" and value[1] in "3456789"
    assert (registry.phone_problem(value) is None) == is_mobile


def test_masking_keeps_only_the_ends():
    """ID numbers keep 6 + 4 characters and phones 3 + 4 digits."""
    assert registry.mask_id_number("11010519491231002X") == "110105********002X"
    assert registry.mask_phone("13800001234") == "138****1234"


# --- registry --------------------------------------------------------------------------------------

def _register(hr, **fields):
    defaults = {"name": "王某某", "gender": "male", "id_number": fictional_id(date(1990, 1, 1), 1),
                "phone": "13800001111", "position": "巡查辅助员", "department": None,
                "hired_on": date(2024, 1, 1), "contract_ends_on": date(2027, 1, 1),
                "education": Education.senior, "emergency_contact": "", "status": StaffStatus.active}
    defaults.update(fields)
    assert registry.problems(defaults) == []
    return registry.register(hr, **defaults)


def test_registration_shows_which_eligibility_rules_fail(rctx):
    """A junior-educated 55-year-old fails the education and age rules, and passes the minimum age."""
    hr = make_user("hr1", roles={"hr"})
    registry.add_rule(hr, RuleKind.min_education, "senior")
    registry.add_rule(hr, RuleKind.min_age, "18")
    registry.add_rule(hr, RuleKind.max_age, "50")
    results = registry.check_rules(registry.registry_rules(), fictional_id(date(1970, 6, 1), 2), Education.junior,
                                   date(2026, 1, 1))
    assert [(result.rule.kind, result.passed) for result in results] == [
        (RuleKind.min_education, False), (RuleKind.min_age, True), (RuleKind.max_age, False)]


def test_invalid_id_and_phone_and_duplicates_are_refused(rctx):
    """A wrong check digit, a short phone and an ID already registered are each named."""
    hr = make_user("hr1", roles={"hr"})
    _register(hr)
    found = registry.problems({"name": "张某", "id_number": fictional_id(date(1990, 1, 1), 1), "phone": "1380",
                               "position": "x", "hired_on": date(2024, 1, 1)})
    assert any("registered already" in problem for problem in found)
    assert any("11-digit" in problem for problem in found)
    bad = fictional_id(date(1991, 1, 1), 3)
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    assert any("check digit" in p for p in registry.problems({"name": "x", "id_number": bad, "phone": "13800001111",
                                                              "position": "x", "hired_on": date(2024, 1, 1)}))


def test_leaving_closes_the_account(rctx):
    """Marking a registered person as left deactivates their account, audited by the people service."""
    hr = make_user("hr1", roles={"hr"})
    user = make_user("a1", category="auxiliary")
    record = _register(hr, user=user)
    registry.update(hr, record, status=StaffStatus.left, left_on=date(2026, 5, 31), left_reason="合同到期")
    assert not user.is_active_account
    assert db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.target_type == "User")
                              ).scalars().all() == ["account.updated"]


def test_contracts_ending_within_60_days(rctx):
    """Active staff whose contract ends in the next 60 days are listed, soonest first; others are not."""
    hr = make_user("hr1", roles={"hr"})
    today = date(2026, 6, 1)
    soon = _register(hr, name="甲", id_number=fictional_id(date(1990, 1, 1), 11),
                     contract_ends_on=today + timedelta(days=59))
    sooner = _register(hr, name="乙", id_number=fictional_id(date(1990, 1, 1), 12),
                       contract_ends_on=today + timedelta(days=5))
    _register(hr, name="丙", id_number=fictional_id(date(1990, 1, 1), 13), contract_ends_on=today + timedelta(days=61))
    _register(hr, name="丁", id_number=fictional_id(date(1990, 1, 1), 14), contract_ends_on=today + timedelta(days=3),
              status=StaffStatus.left, left_on=today)
    rows = db.session.execute(registry.contracts_ending(today)).scalars().all()
    assert rows == [sooner, soon]


def test_registry_import_reports_every_row(rctx):
    """Good rows are registered, bad ones rejected with reasons; a second run reports them unchanged."""
    hr = make_user("hr1", roles={"hr"})
    make_department("sq1", "第一中队")
    good = fictional_id(date(1995, 2, 3), 21)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    text = ("姓名,性别,身份证号,手机,岗位,中队,入职日期,合同到期,学历\n"
            f"李某,女,{good},13900001111,巡查辅助员,第一中队,2024-03-01,2027-02-28,高中\n"
            f"赵某,男,{bad},139,巡查辅助员,第九中队,2024-03-01,,本科\n")
    report = registry.import_registry(hr, text.encode("gb18030"), "registry.csv")
    assert report.summary == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    rejected = report.rows[1]
    assert any("check digit" in reason for reason in rejected.reasons)
    assert any("第九中队" in reason for reason in rejected.reasons)
    record = db.session.execute(sa.select(AuxiliaryStaff)).scalar_one()
    assert (record.name, record.department.code, record.education) == ("李某", "sq1", Education.senior)
    again = registry.import_registry(hr, text.encode("utf-8-sig"), "registry.csv")
    assert again.summary["unchanged"] == 1


def test_unreadable_registry_file_writes_nothing(rctx):
    """A file without the required columns imports nothing and says which columns are missing."""
    hr = make_user("hr1", roles={"hr"})
    report = registry.import_registry(hr, "姓名\n李某\n".encode(), "registry.csv")
    assert report.error and "Missing columns" in report.error
    assert db.session.execute(sa.select(sa.func.count(AuxiliaryStaff.id))).scalar_one() == 0


# --- schemes and evaluations -----------------------------------------------------------------------

def _scheme(hr, stand_ins, with_gate=True):
    scheme = services.save_scheme(hr, None, name="巡查辅助员考核", audience=Audience.auxiliary, position="巡查辅助员",
                                  period_type=PeriodType.quarterly, gate_cap="称职")
    services.add_criterion(hr, scheme, name="出勤", max_points=40, kind=CriterionKind.manual, guidance="按考勤")
    services.add_criterion(hr, scheme, name="培训", max_points=30, kind=CriterionKind.computed,
                           source="training_hours", target=10)
    services.add_criterion(hr, scheme, name="测试", max_points=30, kind=CriterionKind.computed, source="test_average")
    if with_gate:
        services.add_criterion(hr, scheme, name="廉政", max_points=0, kind=CriterionKind.gate,
                               source="signed_current_letters")
    for name, low in (("优秀", 90), ("称职", 75), ("基本称职", 60), ("不称职", 0)):
        services.add_band(hr, scheme, name, low)
    return scheme


def _aux(hr, username="a1", id_seq=31):
    user = make_user(username, category="auxiliary", display_name=f"辅助{username}")
    _register(hr, user=user, name=user.display_name, id_number=fictional_id(date(1992, 1, 1), id_seq))
    return user


def test_every_computed_source_is_offered_and_answers(rctx):
    """With every feature installed, all eight sources are offered and each real contract answers."""
    from learning.appraisal import sources

    assert {source.key for source in sources.available()} == set(sources.SOURCES)
    cadre = make_user("c-src")
    for source in sources.available():
        values = source.fetch([cadre.id], date(2026, 1, 1), date(2026, 12, 31))
        assert set(values) == {cadre.id}, source.key
    assert services.criterion_problems(CriterionKind.computed, "training_hours", 10) == []


def test_opening_fills_computed_criteria_with_their_inputs(rctx, stand_ins):
    """Each computed criterion shows the value and target it used; each source is asked once for everyone."""
    hr = make_user("hr1", roles={"hr"})
    first, second = _aux(hr, "a1", 31), _aux(hr, "a2", 32)
    stand_ins.set("training_hours", {first.id: 5.0, second.id: 12.0})
    stand_ins.set("test_average", {first.id: 90.0})
    stand_ins.set("signed_current_letters", {first.id: True, second.id: False})
    scheme = _scheme(hr, stand_ins)
    assert services.open_evaluations(hr, scheme, 2026, 2) == 2
    assert sorted(stand_ins.calls) == ["signed_current_letters", "test_average", "training_hours"]
    evaluation = db.session.execute(sa.select(Evaluation).where(Evaluation.user_id == first.id)).scalar_one()
    assert evaluation.period_label == "2026-Q2"
    assert (evaluation.period_start, evaluation.period_end) == (date(2026, 4, 1), date(2026, 6, 30))
    rows = {row.name: row for row in evaluation.scores}
    assert rows["培训"].inputs["value"] == 5.0 and rows["培训"].inputs["target"] == 10
    assert rows["培训"].points == 15.0
    assert rows["测试"].points == 27.0
    other = db.session.execute(sa.select(Evaluation).where(Evaluation.user_id == second.id)).scalar_one()
    other_rows = {row.name: row for row in other.scores}
    assert other_rows["测试"].inputs["value"] is None and other_rows["测试"].points == 0.0
    assert other_rows["廉政"].is_gate_passed is False
    assert services.open_evaluations(hr, scheme, 2026, 2) == 0  # nobody twice


def _score_all(hr, evaluation, points=40, note="按考勤台账"):
    row = next(row for row in evaluation.scores if row.kind == CriterionKind.manual)
    assert services.save_manual_scores(hr, evaluation, {row.id: (points, note)}) == []


def test_a_finalised_evaluation_never_changes(rctx, stand_ins):
    """After finalisation, changing the scheme, bands, training hours and test results changes nothing."""
    hr = make_user("hr1", roles={"hr"})
    person = _aux(hr)
    stand_ins.set("training_hours", {person.id: 10.0})
    stand_ins.set("test_average", {person.id: 80.0})
    stand_ins.set("signed_current_letters", {person.id: True})
    stand_ins.set("review_scores", {person.id: 75.0})
    scheme = _scheme(hr, stand_ins)
    services.add_criterion(hr, scheme, name="案卷评查", max_points=20, kind=CriterionKind.computed,
                           source="review_scores")
    services.open_evaluations(hr, scheme, 2026, 2)
    evaluation = db.session.execute(sa.select(Evaluation)).scalar_one()
    with pytest.raises(services.AppraisalError):
        services.finalise(hr, evaluation)  # the manual criterion is not scored yet
    _score_all(hr, evaluation, 36)
    services.finalise(hr, evaluation)
    db.session.commit()
    frozen = services.snapshot(evaluation)
    assert (evaluation.total, evaluation.max_total, evaluation.grade) == (105.0, 120.0, "优秀")

    stand_ins.set("review_scores", {person.id: 10.0})
    stand_ins.set("training_hours", {person.id: 0.0})
    stand_ins.set("test_average", {person.id: 10.0})
    stand_ins.set("signed_current_letters", {person.id: False})
    criterion = next(c for c in scheme.criteria if c.name == "培训")
    criterion.max_points, criterion.name = 50, "培训（新）"
    services.remove_criterion(hr, next(c for c in scheme.criteria if c.name == "测试"))
    for band in scheme.bands:
        band.min_points += 5
    services.add_criterion(hr, scheme, name="新增", max_points=10, kind=CriterionKind.manual)
    db.session.commit()
    db.session.expire_all()

    evaluation = db.session.get(Evaluation, evaluation.id)
    assert services.snapshot(evaluation) == frozen
    with pytest.raises(services.AppraisalError):
        services.refresh(hr, evaluation)
    with pytest.raises(services.AppraisalError):
        services.save_manual_scores(hr, evaluation, {})


def test_failing_the_integrity_gate_caps_the_grade(rctx, stand_ins):
    """Points worth 优秀 without a signature give at best 称职, marked as capped."""
    hr = make_user("hr1", roles={"hr"})
    person = _aux(hr)
    stand_ins.set("training_hours", {person.id: 10.0})
    stand_ins.set("test_average", {person.id: 100.0})
    stand_ins.set("signed_current_letters", {person.id: False})
    services.open_evaluations(hr, _scheme(hr, stand_ins), 2026, 2)
    evaluation = db.session.execute(sa.select(Evaluation)).scalar_one()
    _score_all(hr, evaluation, 40)
    services.finalise(hr, evaluation)
    assert evaluation.total == 100.0
    assert (evaluation.grade, evaluation.is_capped) == ("称职", True)


def _finalised(hr, stand_ins):
    person = _aux(hr)
    stand_ins.set("training_hours", {person.id: 10.0})
    stand_ins.set("test_average", {person.id: 70.0})
    services.open_evaluations(hr, _scheme(hr, stand_ins, with_gate=False), 2026, 2)
    evaluation = db.session.execute(sa.select(Evaluation)).scalar_one()
    _score_all(hr, evaluation, 20, "迟到多次")
    services.finalise(hr, evaluation)
    return person, evaluation


def test_upheld_appeal_opens_an_audited_new_version(rctx, stand_ins):
    """The appealed version stays as it was; the corrected one is a new version, audited before and after."""
    hr = make_user("hr1", roles={"hr"})
    person, evaluation = _finalised(hr, stand_ins)
    assert evaluation.total == 71.0 and evaluation.grade == "基本称职"
    with pytest.raises(services.AppraisalError):
        services.file_appeal(hr, evaluation, "not mine")
    appeal = services.file_appeal(person, evaluation, "考勤记录有误")
    assert evaluation.status == EvaluationStatus.appealed
    stand_ins.set("test_average", {person.id: 0.0})  # a later change elsewhere must not leak in
    new_version = services.answer_appeal(hr, appeal, True, "经核实，考勤记录有误，予以更正。")
    assert evaluation.status == EvaluationStatus.superseded and appeal.status == AppealStatus.upheld
    assert (new_version.version, new_version.previous_id, new_version.status) == (2, evaluation.id,
                                                                                    EvaluationStatus.draft)
    row = next(row for row in new_version.scores if row.kind == CriterionKind.manual)
    services.save_manual_scores(hr, new_version, {row.id: (36, "更正后的考勤")})
    services.finalise(hr, new_version)
    assert (new_version.total, new_version.grade) == (87.0, "称职")
    assert (evaluation.total, evaluation.grade) == (71.0, "基本称职")
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "evaluation.corrected")).scalar_one()
    assert event.before_data["total"] == 71.0 and event.after_data["total"] == 87.0


def test_rejected_appeal_keeps_the_evaluation_with_the_reason(rctx, stand_ins):
    """A rejection needs an answer; the evaluation returns to finalised and cannot be appealed again."""
    hr = make_user("hr1", roles={"hr"})
    person, evaluation = _finalised(hr, stand_ins)
    appeal = services.file_appeal(person, evaluation, "分数偏低")
    with pytest.raises(services.AppraisalError):
        services.answer_appeal(hr, appeal, False, "  ")
    assert services.answer_appeal(hr, appeal, False, "考勤台账与打卡记录一致。") is None
    assert (appeal.status, evaluation.status, evaluation.total) == (AppealStatus.rejected,
                                                                    EvaluationStatus.finalised, 71.0)
    with pytest.raises(services.AppraisalError):
        services.file_appeal(person, evaluation, "再次申诉")
    services.acknowledge(person, evaluation)
    assert evaluation.status == EvaluationStatus.acknowledged


# --- cadre scorecard -------------------------------------------------------------------------------

def test_missing_elements_are_left_out_and_the_weights_renormalised():
    """80 × 30 + 50 × 25 + 90 × 20 over 75 (theory missing) is 72.67, never a silent zero."""
    result = scorecard.combine({"quality": 80, "development": 50, "theory": None, "legal": 90},
                               {"quality": 30, "development": 25, "theory": 25, "legal": 20})
    assert result["total"] == 72.67
    assert result["parts"]["theory"] is None
    assert result["weight_sum"] == 75
    assert scorecard.combine({"quality": None, "development": None, "theory": None, "legal": None},
                             dict.fromkeys(("quality", "development", "theory", "legal"), 25))["total"] is None


scores = st.one_of(st.none(), st.floats(0, 100))


@settings(max_examples=200)
@given(st.fixed_dictionaries({"quality": scores, "development": scores, "theory": scores, "legal": scores}),
       st.fixed_dictionaries({key: st.floats(0.5, 100) for key in ("quality", "development", "theory", "legal")}))
def test_total_lies_between_the_present_elements(values, weights):
    """The total is a weighted mean of the present elements: between their lowest and highest."""
    present = [value for value in values.values() if value is not None]
    total = scorecard.combine(values, weights)["total"]
    if not present:
        assert total is None
    else:
        assert min(present) - 0.01 <= total <= max(present) + 0.01


def test_scorecard_period_computes_and_ranks(rctx, stand_ins):
    """Elements from the platform figures and the legal rating; ranks per department and for the bureau.

    Every figure the scorecard reads is a stand-in here, so the expectations follow from this test alone
    (the real features answer too: a person without a figure would count 0, not be left out).
    """
    hr = make_user("hr1", roles={"hr"})
    rater = make_user("rv", roles={"reviewer"})
    one, two = make_department("sq1"), make_department("sq2")
    a = make_user("c1", department=one)
    b = make_user("c2", department=one)
    c = make_user("c3", department=two)
    make_user("x1", category="auxiliary", department=one)
    stand_ins.set("review_scores", {a.id: 80.0, b.id: 60.0, c.id: None})
    stand_ins.set("test_average", {})
    stand_ins.set("training_hours", {a.id: 10.0, b.id: 20.0, c.id: 40.0})
    stand_ins.set("courses_completed", {a.id: 1})
    stand_ins.set("mentorship_activity", {a.id: 3})
    stand_ins.set("sharing_talks_given", {a.id: 1})
    period = scorecard.create_period(hr, "2026-Q2", date(2026, 4, 1), date(2026, 6, 30))
    scorecard.rate_legal(rater, period, a, {"procedure": 30, "application": 25, "documents": 20, "reversals": 15},
                         "")
    assert scorecard.compute_period(hr, period) == 5  # hr1, rv and the three cadres; not the auxiliary
    cards = {card.user.username: card for card in db.session.execute(scorecard.ranking_query(period)).scalars()}
    assert "x1" not in cards
    # development of c1: hours 10 of 20 → 50 (weight 50), courses 1 of 3 → 33.33 (20), talks 3 of 3 → 100 (15),
    # sharing talks 1 of 1 → 100 (15): (2500 + 666.6 + 1500 + 1500) / 100 = 61.67
    assert (cards["c1"].quality, cards["c1"].development, cards["c1"].theory, cards["c1"].legal) == (
        80.0, 61.67, None, 90.0)
    assert cards["c1"].total == 76.56  # (30 × 80 + 25 × 61.67 + 20 × 90) / 75 = 5741.75 / 75
    # c2: hours 20 of 20 → 100, nothing else → development 50; c3: 40 hours still 100 (capped) → 50
    assert (cards["c2"].development, cards["c3"].development) == (50.0, 50.0)
    assert cards["c2"].total == 55.45  # (30 × 60 + 25 × 50) / 55
    assert cards["c3"].quality is None and cards["c3"].total == 50.0  # development alone
    assert (cards["c1"].rank_bureau, cards["c1"].rank_department) == (1, 1)
    assert (cards["c2"].rank_bureau, cards["c2"].rank_department) == (2, 2)
    assert (cards["c3"].rank_bureau, cards["c3"].rank_department) == (3, 1)
    scorecard.publish(hr, period)
    with pytest.raises(services.AppraisalError):
        scorecard.compute_period(hr, period)
    with pytest.raises(services.AppraisalError):
        scorecard.rate_legal(rater, period, a, {"procedure": 1, "application": 1, "documents": 1,
                                                "reversals": 1}, "")


def test_scorecard_reads_the_real_features(rctx):
    """No stand-ins: hours in the courses ledger and a sharing talk given count; what lies outside the
    period does not; a figure nobody has (reviews, tests) leaves its element out."""
    from learning.courses.services import credit_hours
    from learning.mentorship.services import create_sharing_event

    hr = make_user("hr1", roles={"hr"})
    rater = make_user("rv", roles={"reviewer"})
    person = make_user("c1", department=make_department("sq1"))
    credit_hours(person, 5.0, "manual", "a", "法律法规学习", date(2026, 4, 10))
    credit_hours(person, 3.0, "manual", "b", "执法规范化培训", date(2026, 6, 30))
    credit_hours(person, 4.0, "manual", "c", "上一季度的培训", date(2026, 3, 31))
    create_sharing_event(hr, person, "简案快办的经验", date(2026, 5, 20), "会议室", 1.5)
    period = scorecard.create_period(hr, "2026-Q2", date(2026, 4, 1), date(2026, 6, 30))
    scorecard.rate_legal(rater, period, person, {"procedure": 25, "application": 25, "documents": 15,
                                                 "reversals": 15}, "")
    scorecard.compute_period(hr, period)
    card = db.session.execute(sa.select(Scorecard).where(Scorecard.user_id == person.id)).scalar_one()
    parts = {part["key"]: part for part in card.inputs["development"]["parts"]}
    assert all(part["available"] for part in parts.values())
    assert (parts["training_hours"]["value"], parts["sharing_talks_given"]["value"]) == (8.0, 1)
    # hours 8 of 20 → 40 (weight 50), courses 0, talks 0, sharing 1 of 1 → 100 (15): 3500 / 100
    assert (card.quality, card.development, card.theory, card.legal) == (None, 35.0, None, 80.0)
    assert card.total == 55.0  # (25 × 35 + 20 × 80) / 45


# --- recruitment -----------------------------------------------------------------------------------

def _round(hr, today=date(2026, 5, 1)):
    round_ = recruitment.create_round(hr, title="2026 招聘", opens_on=today - timedelta(days=10),
                                      closes_on=today, written_weight=0.6, interview_weight=0.4, retention_days=30)
    position = recruitment.add_position(hr, round_, "巡查辅助员", 1, make_department("sq1"))
    registry.add_rule(hr, RuleKind.min_education, "senior", round_)
    return round_, position


def _apply(hr, round_, position, name, seq, education=Education.senior, written=None, interview=None):
    fields = {"name": name, "gender": "female", "id_number": fictional_id(date(1998, 3, 3), seq),
              "phone": f"137000{seq:05d}", "education": education}
    assert recruitment.applicant_problems(round_, fields) == []
    applicant = recruitment.add_applicant(hr, round_, position, **fields)
    recruitment.set_scores(hr, applicant, written, interview)
    return applicant


def test_ranking_by_weighted_total_with_ineligible_last(rctx):
    """0.6 × written + 0.4 × interview ranks; an applicant failing a rule is shown with it, unranked."""
    hr = make_user("hr1", roles={"hr"})
    round_, position = _round(hr)
    low = _apply(hr, round_, position, "甲某", 1, written=70, interview=90)       # 78
    high = _apply(hr, round_, position, "乙某", 2, written=90, interview=70)      # 82
    ineligible = _apply(hr, round_, position, "丙某", 3, Education.junior, 100, 100)
    rows = recruitment.ranking(round_)[position.id]
    assert [(row.applicant, row.rank, row.total) for row in rows] == [
        (high, 1, 82.0), (low, 2, 78.0), (ineligible, None, 100.0)]
    assert rows[0].within_places and not rows[1].within_places
    assert rows[2].failed_rules == ["Education at least Senior secondary"]


def test_confirmed_hire_becomes_an_account_and_a_registration(rctx):
    """No retyping: the hire's name, ID, phone and education reach the registry; extra hires are refused."""
    hr = make_user("hr1", roles={"hr"})
    round_, position = _round(hr)
    first = _apply(hr, round_, position, "乙某", 2, written=90, interview=70)
    second = _apply(hr, round_, position, "甲某", 1, written=70, interview=90)
    hires, refused = recruitment.confirm_hires(hr, round_, [first.id, second.id], date(2026, 6, 1))
    assert len(hires) == 1 and len(refused) == 1 and "No place" in refused[0]
    user = db.session.execute(sa.select(User).where(User.username == hires[0].username)).scalar_one()
    assert (user.display_name, user.staff_category, user.department.code) == ("乙某", StaffCategory.auxiliary, "sq1")
    assert user.check_password(hires[0].password) and user.must_change_password
    record = registry.record_for_user(user.id)
    assert (record.id_number, record.phone, record.position, record.education) == (
        first.id_number, first.phone, "巡查辅助员", Education.senior)
    assert record.contract_ends_on == date(2029, 5, 31)


def test_applicants_are_purged_after_retention_keeping_counts(app, rctx):
    """The CLI deletes applicants of rounds closed longer than the retention period; counts remain."""
    hr = make_user("hr1", roles={"hr"})
    round_, position = _round(hr)
    first = _apply(hr, round_, position, "乙某", 2, written=90, interview=70)
    _apply(hr, round_, position, "甲某", 1, written=70, interview=90)
    recruitment.confirm_hires(hr, round_, [first.id], date(2026, 6, 1))
    recruitment.close_round(hr, round_)
    db.session.commit()
    runner = app.test_cli_runner()
    early = runner.invoke(args=["appraisal", "purge-applicants", "--today", "2026-05-20"])
    assert "0 rounds purged" in early.output
    result = runner.invoke(args=["appraisal", "purge-applicants", "--today", "2026-06-15"])
    assert result.exit_code == 0, result.output
    assert "1 rounds purged, 2 applicants deleted" in result.output
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count(Applicant.id))).scalar_one() == 0
    assert (position.applicant_count, position.hired_count) == (2, 1)
    assert round_.purged_at is not None
    assert db.session.execute(sa.select(sa.func.count(EligibilityRule.id))).scalar_one() == 1


def test_applicant_import_reports_failing_rules_and_bad_rows(rctx):
    """Imported applicants are entered with the rules they fail noted; an unknown position is rejected."""
    hr = make_user("hr1", roles={"hr"})
    round_, position = _round(hr)
    text = ("姓名,性别,身份证号,手机,学历,报考岗位\n"
            f"甲某,女,{fictional_id(date(1999, 1, 1), 41)},13700004101,初中,巡查辅助员\n"
            f"乙某,男,{fictional_id(date(1999, 1, 1), 42)},13700004102,本科,巡查辅助员\n"
            f"丙某,男,{fictional_id(date(1999, 1, 1), 43)},13700004103,本科,司机\n")
    report = recruitment.import_applicants(hr, round_, text.encode("utf-8"), "applicants.csv")
    assert report.summary == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "Education at least Senior secondary" in report.rows[0].note
    assert report.rows[1].note == ""
    assert any("司机" in reason for reason in report.rows[2].reasons)
    again = recruitment.import_applicants(hr, round_, text.encode("utf-8"), "applicants.csv")
    assert again.summary["rejected"] == 3  # each person applies once per round
