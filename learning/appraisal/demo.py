"""Demo appraisal data (registry, a recruitment round, schemes, last quarter's evaluations with one open
appeal, and scorecards for the demo cadres)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..people.models import Department, User
from . import recruitment, registry, scorecard, services, sources
from .models import (
    Audience,
    CriterionKind,
    Education,
    Evaluation,
    EvaluationStatus,
    PeriodType,
    RuleKind,
    StaffStatus,
)

PATROL = "巡查辅助员"
SORTING = "垃圾分类督导员"
BANDS = (("优秀", 90), ("称职", 75), ("基本称职", 60), ("不称职", 0))


def fictional_id(birth: date, sequence: int, region: str = "330106") -> str:
    """A checksum-valid but fictional resident ID number."""
    first17 = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + registry.id_check_char(first17)


def _number(seed: str, low: float, high: float) -> float:
    """A stable pseudo-random number for ``seed`` (the demo looks the same every time)."""
    digest = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16)
    return round(low + (high - low) * digest / 0xFFFFFFFF, 1)


def _users() -> dict[str, User]:
    return {user.username: user for user in db.session.execute(sa.select(User)).scalars()}


def _departments() -> dict[str, Department]:
    return {d.code: d for d in db.session.execute(sa.select(Department)).scalars()}


def load() -> None:
    """Create the demo appraisal data on top of the people demo."""
    users, departments = _users(), _departments()
    hr, reviewer = users["hr"], users["reviewer"]
    today = date.today()
    _registry(hr, users, departments, today)
    _recruitment(hr, departments, today)
    _evaluations(hr, users, today)
    _scorecards(hr, reviewer, today)


def _registry(hr, users, departments, today) -> None:
    registry.add_rule(hr, RuleKind.min_education, Education.senior.value)
    registry.add_rule(hr, RuleKind.min_age, "18")
    registry.add_rule(hr, RuleKind.max_age, "50")
    people = [
        ("auxiliary", "孙悦", "female", date(1995, 3, 14), PATROL, "sq2", date(2021, 4, 1), 400, Education.associate),
        ("a2001", "胡斌", "male", date(1990, 8, 2), PATROL, "sq1", date(2019, 7, 1), 200, Education.senior),
        ("a2002", "林娜", "female", date(1998, 11, 20), SORTING, "sq3", date(2022, 3, 1), 45,
         Education.vocational),
        (None, "王某某", "male", date(1988, 1, 9), SORTING, "sq2", date(2020, 1, 1), 25, Education.junior),
        (None, "张某", "male", date(1992, 6, 30), PATROL, "sq3", date(2018, 5, 1), -100, Education.senior),
    ]
    for index, (username, name, gender, birth, position, squad, hired, days_left, education) in enumerate(people):
        left = days_left < 0
        registry.register(
            hr, user=users.get(username) if username else None, name=name, gender=gender,
            id_number=fictional_id(birth, 100 + index), phone=f"1380000{index + 1:04d}", position=position,
            department=departments[squad], hired_on=hired, contract_ends_on=today + timedelta(days=days_left),
            education=education, emergency_contact=f"家属 1390000{index + 1:04d}",
            status=StaffStatus.left if left else StaffStatus.active,
            left_on=today + timedelta(days=days_left) if left else None,
            left_reason="合同到期不再续签" if left else None)


def _recruitment(hr, departments, today) -> None:
    round_ = recruitment.create_round(hr, title=f"{today.year}年度辅助人员招聘", opens_on=today - timedelta(days=20),
                                      closes_on=today + timedelta(days=10), written_weight=0.6,
                                      interview_weight=0.4, retention_days=90)
    patrol = recruitment.add_position(hr, round_, PATROL, 2, departments["sq1"])
    sorting = recruitment.add_position(hr, round_, SORTING, 1, departments["sq3"])
    registry.add_rule(hr, RuleKind.min_education, Education.senior.value, round_)
    registry.add_rule(hr, RuleKind.max_age, "40", round_)
    applicants = [
        ("赵某", "male", date(1999, 2, 1), patrol, Education.associate, 82, 88),
        ("钱某某", "female", date(2000, 5, 9), patrol, Education.senior, 76, 80),
        ("孙某", "male", date(1997, 12, 12), patrol, Education.bachelor, 90, 71),
        ("李某某", "female", date(2001, 7, 7), sorting, Education.junior, 88, 90),
        ("周某", "female", date(1996, 4, 4), sorting, Education.vocational, 79, 85),
    ]
    for index, (name, gender, birth, position, education, written, interview) in enumerate(applicants):
        applicant = recruitment.add_applicant(
            hr, round_, position, name=name, gender=gender, id_number=fictional_id(birth, 500 + index, "330105"),
            phone=f"1370000{index + 1:04d}", education=education, emergency_contact="")
        recruitment.set_scores(hr, applicant, written, interview)


def _scheme(hr, name, audience, position, manual) -> object:
    scheme = services.save_scheme(hr, None, name=name, audience=audience, position=position,
                                  period_type=PeriodType.quarterly, gate_cap="称职")
    for criterion, points, guidance in manual:
        services.add_criterion(hr, scheme, name=criterion, max_points=points, kind=CriterionKind.manual,
                               guidance=guidance)
    if sources.is_available("training_hours"):
        services.add_criterion(hr, scheme, name="学习培训", max_points=10, kind=CriterionKind.computed,
                               source="training_hours", target=8, guidance="按培训学时与目标之比计分")
    if sources.is_available("signed_current_letters"):
        services.add_criterion(hr, scheme, name="廉政承诺", max_points=0, kind=CriterionKind.gate,
                               source="signed_current_letters", guidance="未签订廉政承诺书的，等次最高为称职")
    for band, low in BANDS:
        services.add_band(hr, scheme, band, low)
    return scheme


def _evaluations(hr, users, today) -> None:
    schemes = [
        _scheme(hr, "巡查辅助员季度考核细则", Audience.auxiliary, PATROL, [
            ("出勤与纪律", 30, "无迟到早退得满分；每次迟到扣 2 分。"),
            ("巡查任务完成", 40, "按巡查台账核定完成率。"),
            ("群众评价", 30, "依据投诉与表扬记录。")]),
        _scheme(hr, "垃圾分类督导员季度考核细则", Audience.auxiliary, SORTING, [
            ("督导点位覆盖", 50, "按督导台账核定覆盖率。"),
            ("宣传引导", 30, "入户宣传与活动记录。"),
            ("出勤与纪律", 20, "无迟到早退得满分。")]),
        _scheme(hr, "干部季度考核细则", Audience.cadre, None, [
            ("工作实绩", 50, "对照岗位职责与年度目标。"),
            ("工作作风", 30, "依据考勤与督查通报。"),
            ("群众满意度", 20, "依据回访记录。")]),
    ]
    year, quarter = services.previous_period(PeriodType.quarterly, today)
    for scheme in schemes:
        services.open_evaluations(hr, scheme, year, quarter)
    drafts = db.session.execute(sa.select(Evaluation).where(Evaluation.status == EvaluationStatus.draft)
                                .order_by(Evaluation.id)).scalars().all()
    for evaluation in drafts:
        username = evaluation.user.username
        entries = {}
        for row in evaluation.scores:
            if row.kind == CriterionKind.manual:
                points = round(row.max_points * _number(f"{username}{row.name}", 0.7, 1.0))
                entries[row.id] = (points, "依据台账核定。" if points < row.max_points else "表现突出。")
        if username == "c1005":
            continue  # left as a draft: one evaluation for HR to finish
        services.save_manual_scores(hr, evaluation, entries)
        services.finalise(hr, evaluation)
    by_user = {e.user.username: e for e in drafts}
    if "a2001" in by_user:
        services.acknowledge(by_user["a2001"].user, by_user["a2001"])
    if "auxiliary" in by_user:
        services.file_appeal(by_user["auxiliary"].user, by_user["auxiliary"],
                             "本季度我参加了两次夜间联合整治，巡查任务完成分未计入，请复核。")


def _month_start(today: date, back: int) -> date:
    """The first day of the month ``back`` months before ``today``'s month."""
    year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
    return date(year, month + 1, 1)


def _scorecards(hr, reviewer, today) -> None:
    """Two three-month scorecard periods: the earlier one published, the latest one (up to this month)
    computed from the other features' demo data (reviews, courses, tests, mentorship), which is recent."""
    cadres = db.session.execute(scorecard.cadres_query()).scalars().all()
    end_of_month = _month_start(today, -1) - timedelta(days=1)
    windows = ((_month_start(today, 5), _month_start(today, 2) - timedelta(days=1)),
               (_month_start(today, 2), end_of_month))
    for index, (start, end) in enumerate(windows):
        label = f"{start:%Y-%m}–{end:%Y-%m}"
        period = scorecard.create_period(hr, label, start, end)
        for user in cadres:
            rubric = {key: round(maximum * _number(f"{label}{user.username}{key}", 0.65, 1.0))
                      for key, _label, maximum in scorecard.RUBRIC}
            scorecard.rate_legal(reviewer, period, user, rubric, "案卷程序规范，法律适用基本准确。")
        scorecard.compute_period(hr, period)
        if index == 0:
            scorecard.publish(hr, period)
