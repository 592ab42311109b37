"""Review services: case files and their import, cycles, assignment rules, scoring, publishing,
the bulletin, errata, rectification, training follow-up and the contracts other features call."""

from __future__ import annotations

import importlib.machinery
import sys
import types
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning.audit import AuditEvent
from learning.extensions import db
from learning.reviews import services
from learning.reviews.models import (
    AssignmentKind,
    CaseFile,
    FileStatus,
    Grade,
    NoticeStatus,
    Procedure,
    RectificationNotice,
    ReviewAssignment,
)
from learning.reviews.services import ReviewError, ScoreInput

from .conftest import make_case
from .test_redaction import addresses, id_numbers, names, phones, plates


@pytest.fixture
def ctx(app, world):
    """A request context (for translated messages) on the world's database."""
    with app.test_request_context():
        yield world


def _cycle_with(w, cases, reviewers_per_file=1, month="2026-09"):
    cycle = services.open_cycle(w.r1, month, sample_size=10, reviewers_per_file=reviewers_per_file, seed=7)
    return cycle, services.cycle_files(cycle)


def _rubric(cycle):
    return services.load_rubric(cycle.rubric_id)


def _criterion(rubric, index=0):
    return [c for section in rubric.sections for c in section.criteria][index]


# --- case files -----------------------------------------------------------------------------------

def test_handling_days_follow_from_the_dates(ctx):
    """Filed 1 September, closed 20 September: 19 handling days, closing month 2026-09."""
    case = make_case("C-1", ctx.sq1, ctx.a1, [ctx.a2])
    assert case.handling_days == 19 and case.closed_month == "2026-09"
    assert case.lead is ctx.a1 and case.co_handlers == [ctx.a2]


def test_fewer_than_two_enforcement_officers_is_flagged(ctx):
    """One cadre plus an auxiliary is a defect; two cadres are not."""
    from tests.conftest import make_user

    helper = make_user("x1", department=ctx.sq1, category="auxiliary")
    assert make_case("C-1", ctx.sq1, ctx.a1, [helper]).has_too_few_officers
    assert not make_case("C-2", ctx.sq1, ctx.a1, [ctx.a2]).has_too_few_officers


CSV_HEADER = ("case_number,title,case_type,procedure,squad,lead_handler,co_handlers,party_name,party_id_number,"
              "party_phone,party_address,party_plate,fine_amount,filed_on,closed_on,delivery_channel\n")


def test_import_reports_bad_rows_and_is_idempotent(ctx):
    """Good rows are created, bad rows rejected with reasons; the same file again changes nothing."""
    data = (CSV_HEADER
            + "Q-1,王某某占道经营案,占道经营,quick,sq1,a1,a2,王某某,33010019900101123X,13900001111,示例路1号,"
              "浙A12345,200,2026-09-01,2026-09-03,电子\n"
            + "Q-2,李某违法建设案,illegal_construction,一般程序,第二中队,b1,b2;nobody,李某,,,,,,2026/09/01,"
              "2026-08-01,post\n"
            + "Q-3,,spaceship,slow,sq9,zz,,,,,,,abc,yesterday,,teleport\n").encode("utf-8")
    report = services.import_cases(ctx.r1, data, "cases.csv")
    assert report.error is None
    assert report.summary == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    rejected = {row.key: " ".join(row.reasons) for row in report.rows if row.status == "rejected"}
    assert "nobody" in rejected["Q-2"] and "before" in rejected["Q-2"]
    for word in ("title", "spaceship", "slow", "sq9", "zz", "abc", "yesterday", "teleport"):
        assert word in rejected["Q-3"]
    case = services.find_case("Q-1")
    assert case.procedure == Procedure.quick and case.handling_days == 2 and case.parties[0].plate == "浙A12345"
    db.session.commit()
    db.session.expire_all()  # as a later upload would see it: reloaded from the database
    again = services.import_cases(ctx.r1, data, "cases.csv")
    assert again.summary["created"] == 0 and again.summary["unchanged"] == 1
    changed = data.replace(b"200,2026-09-01", b"300,2026-09-01")
    assert services.import_cases(ctx.r1, changed, "cases.csv").summary["updated"] == 1
    assert db.session.execute(sa.select(sa.func.count(CaseFile.id))).scalar_one() == 1


def test_an_unreadable_file_writes_nothing(ctx):
    """Binary junk, or a file without the required columns, is refused as a whole."""
    assert services.import_cases(ctx.r1, b"\x00\x01\xff\xfe" * 10, "cases.csv").error
    assert services.import_cases(ctx.r1, b"case_number,title\nX-1,t\n", "cases.csv").error
    assert services.import_cases(ctx.r1, b"PK\x03\x04 not really", "cases.xlsx").error
    assert db.session.execute(sa.select(sa.func.count(CaseFile.id))).scalar_one() == 0


def test_import_reads_gb18030_with_chinese_headers(ctx):
    """A CSV saved by Excel on a Chinese desktop, with Chinese column names."""
    data = ("案号,案由,案件类型,程序,中队,主办人,协办人,当事人,结案日期\n"
            "G-1,某某户外广告案,户外广告,简易程序,第一中队,a1,a2,某某公司,2026-09-10\n").encode("gb18030")
    report = services.import_cases(ctx.r1, data, "cases.csv")
    assert report.summary["created"] == 1, report.rows


# --- rubric ---------------------------------------------------------------------------------------

def test_a_new_rubric_version_leaves_earlier_cycles_on_theirs(ctx):
    """Saving version 2 makes it current; a cycle opened on version 1 keeps version 1."""
    make_case("C-1", ctx.sq1, ctx.a1, [ctx.a2])
    cycle, _files = _cycle_with(ctx, None)
    text = services.default_rubric_text().replace("excellent: 90", "excellent: 95")
    second = services.create_rubric(ctx.r1, text)
    assert second.version == 2 and second.excellent_min == 95 and services.current_rubric() is second
    assert cycle.rubric.version == 1


@pytest.mark.parametrize("text", ["- just a list", "name: x\nsections: []",
                                  "sections:\n  - {label: a, max_points: 10, criteria: []}",
                                  "bands: {excellent: 50, good: 80}\nsections:\n  - {label: a, max_points: 10, "
                                  "criteria: [{label: b, max_points: 10}]}", "sections: [: :"])
def test_a_broken_rubric_is_refused_with_a_reason(ctx, text):
    """Bad YAML, no sections, sections without criteria, unordered bands: refused."""
    with pytest.raises(ReviewError):
        services.create_rubric(ctx.r1, text)


# --- cycles and assignment ------------------------------------------------------------------------

def test_the_draw_is_reproducible_from_the_stored_seed(app, world):
    """Opening the same month with the stored seed draws the same files."""
    with app.test_request_context():
        for number in range(8):
            make_case(f"S-{number}", world.sq1 if number % 2 else world.sq2, world.a1 if number % 2 else world.b1)
        db.session.commit()
        cycle = services.open_cycle(world.r1, "2026-09", sample_size=2, reviewers_per_file=1)
        first = sorted(f.case.case_number for f in cycle.files)
        seed = cycle.seed
        db.session.rollback()
        again = services.open_cycle(world.r1, "2026-09", sample_size=2, reviewers_per_file=1, seed=seed)
        assert sorted(f.case.case_number for f in again.files) == first
        assert len(first) == 4


def test_nobody_is_assigned_a_file_of_their_own_squad_or_their_own_case(ctx):
    """The reviewer from sq1 gets only sq2's files; a reviewer who handled a case never gets it."""
    for number in range(4):
        make_case(f"A-{number}", ctx.sq1, ctx.a1, [ctx.a2])
        make_case(f"B-{number}", ctx.sq2, ctx.b1, [ctx.r2])  # r2 handled the sq2 cases
    _cycle, files = _cycle_with(ctx, None, reviewers_per_file=3)
    for file in files:
        for assignment in file.assignments:
            assert assignment.reviewer.department_id != file.case.squad_id
            assert assignment.reviewer_id not in {h.user_id for h in file.case.handlers}
    sq2_reviewers = {a.reviewer.username for f in files if f.case.squad_id == ctx.sq2.id for a in f.assignments}
    assert sq2_reviewers == {"r1", "rs1"}


def test_assigning_a_reviewer_to_their_own_squad_is_refused_by_the_service(ctx):
    """The rule lives in the service: a direct call is refused too."""
    make_case("A-1", ctx.sq1, ctx.a1, [ctx.a2])
    _cycle, files = _cycle_with(ctx, None)
    with pytest.raises(ReviewError, match="squad"):
        services.assign_reviewer(ctx.r1, files[0], ctx.rs1)


def test_a_reviewer_cannot_score_a_file_of_their_own_squad(ctx):
    """Even an assignment slipped in past the service is refused when scoring."""
    make_case("A-1", ctx.sq1, ctx.a1, [ctx.a2])
    _cycle, files = _cycle_with(ctx, None)
    sneaked = ReviewAssignment(file=files[0], reviewer=ctx.rs1)
    db.session.add(sneaked)
    db.session.flush()
    with pytest.raises(ReviewError, match="squad"):
        services.submit_score(ctx.rs1, sneaked, ScoreInput())
    assert sneaked.submitted_at is None


def test_only_the_assigned_reviewer_scores(ctx):
    """Another reviewer's score on my assignment is refused."""
    make_case("A-1", ctx.sq1, ctx.a1, [ctx.a2])
    _cycle, files = _cycle_with(ctx, None)
    assignment = files[0].assignments[0]
    other = ctx.r2 if assignment.reviewer_id == ctx.r1.id else ctx.r1
    with pytest.raises(ReviewError):
        services.submit_score(other, assignment, ScoreInput())


# --- scoring --------------------------------------------------------------------------------------

def test_a_veto_makes_the_file_0_and_unqualified_whatever_its_deductions(ctx):
    """Failed 'evidence sufficient' with no deductions: 0, unqualified."""
    make_case("A-1", ctx.sq1, ctx.a1, [ctx.a2])
    cycle, files = _cycle_with(ctx, None)
    rubric = _rubric(cycle)
    assignment = files[0].assignments[0]
    services.submit_score(assignment.reviewer, assignment, ScoreInput(failed_veto_ids=[rubric.veto_items[3].id]))
    assert (assignment.total, assignment.grade) == (0, Grade.unqualified)
    assert (files[0].status, files[0].final_total, files[0].final_grade) == (FileStatus.final, 0, Grade.unqualified)


def test_deductions_need_reasons_and_cannot_take_a_criterion_below_zero(ctx):
    """A deduction without reason is refused; 99 off a 6-point criterion costs 6."""
    make_case("A-1", ctx.sq1, ctx.a1, [ctx.a2])
    cycle, files = _cycle_with(ctx, None)
    criterion = _criterion(_rubric(cycle))
    assignment = files[0].assignments[0]
    with pytest.raises(ReviewError, match="reason"):
        services.submit_score(assignment.reviewer, assignment, ScoreInput(deductions=[(criterion.id, 2, "")]))
    services.submit_score(assignment.reviewer, assignment, ScoreInput(deductions=[(criterion.id, 99, "缺页")]))
    assert assignment.total == 100 - criterion.max_points and assignment.grade == Grade.excellent


def test_grades_follow_the_rubric_bands(ctx):
    """With bands 95/85/70 a total of 90 is good, not excellent."""
    services.create_rubric(ctx.r1, services.default_rubric_text().replace("excellent: 90, good: 80, qualified: 60",
                                                                          "excellent: 95, good: 85, qualified: 70"))
    make_case("A-1", ctx.sq1, ctx.a1, [ctx.a2])
    cycle, files = _cycle_with(ctx, None)
    rubric = _rubric(cycle)
    facts = _criterion(rubric, 4)  # 20 points
    assignment = files[0].assignments[0]
    services.submit_score(assignment.reviewer, assignment, ScoreInput(deductions=[(facts.id, 10, "证据不足")]))
    assert assignment.total == 90 and assignment.grade == Grade.good


def test_two_reviewers_far_apart_send_the_file_to_a_recheck_by_a_third(ctx):
    """95 and 70 with a margin of 10: a third reviewer is assigned; their score is final."""
    make_case("B-1", ctx.sq2, ctx.b1, [ctx.b2])
    cycle, files = _cycle_with(ctx, None, reviewers_per_file=2)
    file = files[0]
    rubric = _rubric(cycle)
    facts = _criterion(rubric, 4)
    first, second = file.assignments
    services.submit_score(first.reviewer, first, ScoreInput(deductions=[(facts.id, 5, "照片不清")]))
    assert file.status == FileStatus.pending
    services.submit_score(second.reviewer, second, ScoreInput(deductions=[(facts.id, 20, "无证据"),
                                                                          (_criterion(rubric, 5).id, 10, "错")]))
    assert file.status == FileStatus.recheck and file.final_grade is None
    recheck = [a for a in file.assignments if a.kind == AssignmentKind.recheck]
    assert len(recheck) == 1 and recheck[0].reviewer_id not in {first.reviewer_id, second.reviewer_id}
    services.submit_score(recheck[0].reviewer, recheck[0], ScoreInput(deductions=[(facts.id, 12, "证据不足")]))
    assert (file.status, file.final_total, file.final_grade) == (FileStatus.final, 88, Grade.good)


# --- publishing, bulletin, errata -----------------------------------------------------------------

def _scored_cycle(w, finding="", month="2026-09"):
    case = make_case("A-1", w.sq1, w.a1, [w.a2])
    make_case("B-1", w.sq2, w.b1, [w.b2], title="某公司户外广告案", procedure=Procedure.quick,
              parties=[services.PartyData(name="李某某", phone="13700002222")])
    cycle, files = _cycle_with(w, None, month=month)
    rubric = _rubric(cycle)
    tag = rubric.problem_tags[0]
    for file in files:
        assignment = file.assignments[0]
        vetoed = file.case_id == case.id
        services.submit_score(assignment.reviewer, assignment, ScoreInput(
            failed_veto_ids=[rubric.veto_items[2].id] if vetoed else [],
            findings=[(tag.id, finding)] if vetoed else [], summary="" if vetoed else "卷面整洁",
            is_exemplary=not vetoed))
    return cycle, files


def test_publishing_freezes_every_score_of_the_cycle(ctx):
    """After publishing, a reviewer's change to their score is refused and the score stays."""
    cycle, files = _scored_cycle(ctx)
    services.publish_cycle(ctx.r1, cycle)
    assignment = files[1].assignments[0]
    before = assignment.total
    with pytest.raises(ReviewError, match="published"):
        services.submit_score(assignment.reviewer, assignment, ScoreInput(failed_veto_ids=[]))
    with pytest.raises(ReviewError):
        services.assign_reviewer(ctx.r1, files[1], ctx.r2)
    assert assignment.total == before and cycle.is_published


def test_publishing_waits_for_every_final_grade(ctx):
    """A cycle with an unscored file cannot be published."""
    make_case("A-1", ctx.sq1, ctx.a1, [ctx.a2])
    cycle, _files = _cycle_with(ctx, None)
    with pytest.raises(ReviewError, match="final grade"):
        services.publish_cycle(ctx.r1, cycle)


def test_the_bulletin_shows_no_party_data_even_typed_into_a_finding(ctx):
    """Name, ID number, phone (typed with dashes), plate and address of the case never reach the bulletin."""
    cycle, _files = _scored_cycle(ctx, finding="当事人王某某(身份证33010019900101123X, 电话139-0000-1111, "
                                               "车牌浙A12345, 住某某市示例路1号)拒签")
    services.publish_cycle(ctx.r1, cycle)
    text = str(services.bulletin_data(cycle))
    for leak in ("王某某", "33010019900101123X", "139-0000-1111", "13900001111", "浙A12345", "某某市示例路1号",
                 "李某某", "13700002222"):
        assert leak not in text
    assert "拒签" in text


def test_the_bulletin_has_files_exemplary_problems_ranking_and_handling_time(ctx):
    """Every reviewed file with squad, handlers, score, grade and findings; and the summary figures."""
    cycle, _files = _scored_cycle(ctx)
    services.publish_cycle(ctx.r1, cycle)
    data = services.bulletin_data(cycle)
    rows = {row["case_number"]: row for row in data["files"]}
    assert rows["A-1"]["grade"] == "unqualified" and rows["A-1"]["handlers"] == ["甲一", "甲二"]
    assert rows["B-1"]["is_exemplary"] and rows["B-1"]["total"] == 100 and rows["B-1"]["squad"] == "第二中队"
    assert data["problems"][0]["count"] == 1
    assert [row["squad"] for row in data["ranking"]] == ["第二中队", "第一中队"]
    assert data["handling"]["quick_count"] == 1 and data["handling"]["total"] == 2


def test_a_published_bulletin_never_changes_and_errata_are_appended(ctx):
    """Editing the case after publishing leaves the bulletin as it was; an erratum is appended with its reason."""
    cycle, files = _scored_cycle(ctx)
    services.publish_cycle(ctx.r1, cycle)
    frozen = cycle.bulletin
    files[0].case.title = "改过的标题"
    db.session.flush()
    services.add_erratum(ctx.r1, cycle, "A-1 的主办人应为甲二", "录入错误")
    data = services.bulletin_data(cycle)
    assert cycle.bulletin == frozen and "改过的标题" not in str(data)
    assert data["errata"][0]["reason"] == "录入错误"
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "bulletin.erratum")).scalar_one()
    with pytest.raises(ReviewError):
        services.add_erratum(ctx.r1, cycle, "", "")


# --- rectification --------------------------------------------------------------------------------

def test_an_unqualified_file_sends_a_notice_that_is_answered_and_decided(ctx):
    """Notice to the handlers with a deadline; a handler answers; the reviewer returns, then accepts."""
    cycle, _files = _scored_cycle(ctx, finding="缺照片")
    services.publish_cycle(ctx.r1, cycle, today=date(2026, 10, 5))
    notice = db.session.execute(sa.select(RectificationNotice)).scalar_one()
    assert notice.case.case_number == "A-1" and notice.due_on == date(2026, 10, 20) and "缺照片" in notice.text
    assert db.session.execute(services.notices_for(ctx.a2)).scalars().all() == [notice]
    assert db.session.execute(services.notices_for(ctx.b1)).scalars().all() == []
    with pytest.raises(ReviewError):
        services.answer_notice(ctx.b1, notice, "不是我的案子")
    services.answer_notice(ctx.a2, notice, "已补拍照片")
    services.decide_notice(ctx.r1, notice, accept=False, note="照片仍缺时间")
    assert notice.status == NoticeStatus.returned
    services.answer_notice(ctx.a1, notice, "已补充时间水印")
    services.decide_notice(ctx.r1, notice, accept=True)
    assert notice.status == NoticeStatus.accepted


def test_overdue_notices_are_listed(ctx):
    """A notice past its deadline and still open shows in the overdue list."""
    cycle, _files = _scored_cycle(ctx)
    services.publish_cycle(ctx.r1, cycle, today=date.today() - timedelta(days=40))
    overdue = db.session.execute(services.notices_query(overdue_on=date.today())).scalars().all()
    assert len(overdue) == 1 and overdue[0].is_overdue


def test_problem_tags_assign_their_courses_when_courses_exist(ctx, monkeypatch):
    """With a courses feature present, the handlers of a file with a tagged problem get that course."""
    calls = []
    package = types.ModuleType("learning.courses")
    package.__spec__ = importlib.machinery.ModuleSpec("learning.courses", None, is_package=True)
    package.__path__ = []
    module = types.ModuleType("learning.courses.services")
    module.assign_course = lambda actor, slug, users, due_on, reason: calls.append(
        (slug, sorted(u.username for u in users), due_on)) or len(users)
    package.services = module
    monkeypatch.setitem(sys.modules, "learning.courses", package)
    monkeypatch.setitem(sys.modules, "learning.courses.services", module)
    cycle, _files = _scored_cycle(ctx)  # the first tag names the course "evidence-collection"
    services.publish_cycle(ctx.r1, cycle, today=date(2026, 10, 5))
    assert calls == [("evidence-collection", ["a1", "a2"], date(2026, 10, 20))]


def test_without_courses_no_training_is_assigned(ctx):
    """Without the courses feature publishing still works (and nothing is called)."""
    cycle, _files = _scored_cycle(ctx)
    services.publish_cycle(ctx.r1, cycle)
    assert cycle.is_published


# --- contracts ------------------------------------------------------------------------------------

def test_review_scores_weigh_lead_1_and_co_handler_half(ctx):
    """a1 leads a 100 file and co-handles a 0 file: (100·1 + 0·0.5) / 1.5; unpublished months don't count."""
    make_case("A-1", ctx.sq1, ctx.a1, [ctx.a2])
    make_case("A-2", ctx.sq1, ctx.a2, [ctx.a1])
    cycle, files = _cycle_with(ctx, None)
    rubric = _rubric(cycle)
    for file in files:
        assignment = file.assignments[0]
        vetoed = file.case.case_number == "A-2"
        services.submit_score(assignment.reviewer, assignment, ScoreInput(
            failed_veto_ids=[rubric.veto_items[0].id] if vetoed else []))
    period = (date(2026, 9, 1), date(2026, 9, 30))
    assert services.review_scores([ctx.a1.id, ctx.b1.id], *period) == {ctx.a1.id: None, ctx.b1.id: None}
    services.publish_cycle(ctx.r1, cycle)
    scores = services.review_scores([ctx.a1.id, ctx.a2.id, ctx.b1.id], *period)
    assert scores[ctx.a1.id] == pytest.approx(100 / 1.5, abs=0.01)
    assert scores[ctx.a2.id] == pytest.approx(50 / 1.5, abs=0.01)
    assert scores[ctx.b1.id] is None
    assert services.review_scores([ctx.a1.id], date(2026, 10, 1), date(2026, 12, 31)) == {ctx.a1.id: None}
    record = services.officer_record(ctx.a1.id)
    assert {(r["case_number"], r["month"], r["score"], r["grade"]) for r in record} == {
        ("A-1", "2026-09", 100, "excellent"), ("A-2", "2026-09", 0, "unqualified")}


# --- command line ---------------------------------------------------------------------------------

def test_cli_imports_prints_the_rubric_and_opens_a_cycle(app, world, tmp_path):
    """`flask reviews import` reports rows; `rubric` prints the current one; `open-cycle` draws the sample."""
    path = tmp_path / "cases.csv"
    path.write_text(CSV_HEADER + "K-1,某某案,other,general,sq2,b1,b2,,,,,,,2026-09-01,2026-09-05,\n"
                    "K-2,,other,general,sq2,b1,,,,,,,,,,\n", encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reviews", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "created 1" in result.output and "rejected 1" in result.output
    assert "veto_items" in runner.invoke(args=["reviews", "rubric"]).output
    result = runner.invoke(args=["reviews", "open-cycle", "2026-09", "--seed", "9", "--by", "r1"])
    assert result.exit_code == 0 and "1 files (seed 9)" in result.output
    assert runner.invoke(args=["reviews", "open-cycle", "2026-09"]).exit_code != 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x00")
    assert runner.invoke(args=["reviews", "import", str(bad)]).exit_code != 0


_months = iter(range(10_000))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.tuples(names, id_numbers, phones, plates, addresses), st.sampled_from([" ", "-", ""]))
def test_no_party_datum_reaches_a_published_bulletin_whatever_it_is(ctx, party, separator):
    """Whatever the party's data, typed into a finding (phone split by spaces or dashes), the stored and
    shown bulletin hold none of it."""
    index = next(_months)
    month_start = date(2000 + index // 12, index % 12 + 1, 1)
    name, id_number, phone, plate, address = party
    make_case(f"H-{index}", ctx.sq1, ctx.a1, [ctx.a2], filed_on=month_start, closed_on=month_start,
              parties=[services.PartyData(name, id_number, phone, address, plate)], title=f"{name}违法建设案")
    cycle = services.open_cycle(ctx.r1, month_start.strftime("%Y-%m"), 3, 1, seed=index)
    rubric = _rubric(cycle)
    assignment = cycle.files[0].assignments[0]
    typed_phone = separator.join([phone[:3], phone[3:7], phone[7:]])
    services.submit_score(assignment.reviewer, assignment, ScoreInput(
        findings=[(rubric.problem_tags[0].id, f"当事人{name}，身份证{id_number}，电话{typed_phone}")],
        summary=f"车辆{plate}停放于{address}"))
    services.publish_cycle(ctx.r1, cycle)
    services.add_erratum(ctx.r1, cycle, f"补充：{name}的车牌为{plate}", "补充")
    for text in (cycle.bulletin, str(services.bulletin_data(cycle))):
        for term in (name, id_number, phone, typed_phone, plate, address):
            assert term not in text


def test_import_reads_xlsx(ctx):
    """An .xlsx workbook imports like a CSV, dates as real cells included."""
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["案号", "案由", "案件类型", "程序", "中队", "主办人", "协办人", "立案日期", "结案日期"])
    sheet.append(["X-1", "某某垃圾分类案", "垃圾分类", "快办", "sq2", "b1", "b2", date(2026, 9, 1), date(2026, 9, 2)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = services.import_cases(ctx.r1, buffer.getvalue(), "cases.xlsx")
    assert report.summary["created"] == 1, report.rows
    assert services.find_case("X-1").handling_days == 1


def test_case_types_are_configurable(app, ctx):
    """With REVIEWS_CASE_TYPES set, its codes are accepted and the built-in ones no longer are."""
    app.config["REVIEWS_CASE_TYPES"] = {"noise": "噪声污染", "other": "其他"}
    data = (CSV_HEADER + "N-1,某某噪声案,noise,general,sq1,a1,a2,,,,,,,,2026-09-05,\n"
            "N-2,某某垃圾案,garbage,general,sq1,a1,a2,,,,,,,,2026-09-05,\n").encode()
    report = services.import_cases(ctx.r1, data, "cases.csv")
    assert [row.status for row in report.rows] == ["created", "rejected"]
    assert services.case_type_label("noise") == "噪声污染"


def test_scores_publishing_and_rescoring_are_audited(ctx):
    """Each score, each change of a score and the publication land in the audit log with before and after."""
    make_case("A-1", ctx.sq1, ctx.a1, [ctx.a2])
    cycle, files = _cycle_with(ctx, None)
    criterion = _criterion(_rubric(cycle))
    assignment = files[0].assignments[0]
    services.submit_score(assignment.reviewer, assignment, ScoreInput())
    services.submit_score(assignment.reviewer, assignment, ScoreInput(deductions=[(criterion.id, 2, "缺页码")]))
    services.publish_cycle(ctx.r1, cycle)
    events = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    actions = [event.action for event in events]
    assert {"cycle.opened", "review.scored", "review.rescored", "cycle.published"} <= set(actions)
    rescored = next(event for event in events if event.action == "review.rescored")
    assert rescored.before_data["total"] == 100 and rescored.after_data["total"] == 98
