"""Demo data: about fifty fictional case files over six months, one published cycle (with notices)
and one cycle in progress with one file left in the reviewer's queue."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..people.models import Department, User
from . import services
from .models import AssignmentKind, DeliveryChannel, PaymentChannel, Procedure

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
HANDLERS = {
    "sq1": ["cadre", "mentor", "c1001", "a2001"],
    "sq2": ["mentor2", "c1002", "c1003", "auxiliary"],
    "sq3": ["c1004", "c1005", "a2002"],
}
TYPES = [
    ("road_occupation", "占道经营", "《城市市容和环境卫生管理条例》第十四条"),
    ("garbage", "未按规定分类投放生活垃圾", "《生活垃圾管理条例》第二十六条"),
    ("illegal_construction", "违法建设", "《城乡规划法》第六十四条"),
    ("outdoor_ads", "擅自设置户外广告", "《城市市容和环境卫生管理条例》第十一条"),
    ("other", "其他违法行为", "《行政处罚法》第二十八条"),
]
REASONS = [
    "现场照片未标注拍摄时间和地点", "询问笔录未由当事人逐页签名", "卷内目录与文书顺序不一致",
    "处罚决定书未载明救济途径", "送达回证缺少送达人签名", "裁量理由说明过于简单",
]
MONTHS_BACK = [6, 5, 4, 3, 2, 1]
FILES_PER_MONTH = [7, 7, 7, 9, 10, 10]


def _month_start(today: date, back: int) -> date:
    year, month = today.year, today.month - back
    while month <= 0:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _users() -> dict[str, User]:
    return {user.username: user for user in db.session.execute(sa.select(User)).scalars()}


def _make_cases(rng: random.Random, today: date, users: dict[str, User], squads: dict[str, Department]) -> None:
    number = 0
    for back, count in zip(MONTHS_BACK, FILES_PER_MONTH, strict=True):
        start = _month_start(today, back)
        for index in range(count):
            number += 1
            squad_code = ("sq1", "sq2", "sq3")[index % 3]
            type_code, phrase, basis = TYPES[(number + index) % len(TYPES)]
            procedure = (Procedure.quick, Procedure.simple, Procedure.general)[number % 3]
            closed = start + timedelta(days=rng.randint(2, 26))
            days = {Procedure.simple: 0, Procedure.quick: rng.randint(1, 3),
                    Procedure.general: rng.randint(12, 45)}[procedure]
            filed = closed - timedelta(days=days)
            decided = filed if procedure == Procedure.simple else closed - timedelta(days=min(days, 2))
            party = SURNAMES[number % len(SURNAMES)] + "某某"
            team = HANDLERS[squad_code]
            lead = users[team[number % len(team)]]
            co = [users[name] for name in team if name != lead.username][: 1 if number % 7 else 2]
            if number % 11 == 0:  # an auxiliary as the only co-handler: flagged as fewer than two officers
                co = [users[name] for name in team if name.startswith("a") or name == "auxiliary"][:1]
                if co and co[0].id == lead.id:
                    co = []
            parties = [services.PartyData(
                name=party,
                id_number=f"33010019{80 + number % 20:02d}0101{number:03d}{'X' if number % 5 == 0 else '7'}",
                phone=f"1390000{number:04d}", address=f"某某市某某区示例路{number}号",
                plate=f"浙A{number:05d}" if type_code in ("road_occupation", "outdoor_ads") else "")]
            fine = Decimal(rng.choice([0, 50, 100, 200, 500, 1000, 5000]))
            services.save_case(
                None, None, case_number=f"综执罚〔{closed.year}〕{number:04d}号", squad=squads[squad_code],
                lead=lead, co_handlers=co, parties=parties, title=f"{party}{phrase}案", case_type=type_code,
                procedure=procedure,
                facts=f"{filed.isoformat()}，执法人员巡查发现当事人{party}{phrase}，经调查取证属实。",
                legal_basis=basis, is_warning=fine == 0, fine_amount=fine or None, confiscation="",
                discovered_on=filed - timedelta(days=rng.randint(0, 2)), filed_on=filed, decided_on=decided,
                delivered_on=decided, closed_on=closed,
                delivery_channel=rng.choice(list(DeliveryChannel)),
                payment_channel=rng.choice(list(PaymentChannel)) if fine else None)


def _score_cycle(rng: random.Random, cycle, rubric, leave_open: int | None = None) -> None:
    """Score every assignment of the cycle (but one, when ``leave_open`` names its reviewer's id)."""
    criteria = [c for section in rubric.sections for c in section.criteria]
    tags = {tag.code: tag for tag in rubric.problem_tags}
    left = False
    for position, file in enumerate(services.cycle_files(cycle)):
        base = [(criteria[(position + k) % len(criteria)], float(rng.choice([1, 2, 3, 4, 6])),
                 REASONS[(position + k) % len(REASONS)]) for k in range(rng.randint(0, 5))]
        party = file.case.parties[0]
        for assignment in [a for a in file.assignments if a.kind == AssignmentKind.primary]:
            if leave_open is not None and not left and assignment.reviewer_id == leave_open and position >= 3:
                left = True
                continue
            deductions = [(c.id, points + rng.choice([0, 0, 1]), reason) for c, points, reason in base]
            vetoed = position == 1
            findings = []
            if deductions:
                findings.append((tags["missing_photo"].id, "现场照片无法反映违法行为持续状态"))
            if position % 3 == 2:
                findings.append((tags["late_delivery"].id, ""))
            if position % 4 == 0 and deductions:
                # A reviewer typed the party's data into a finding: the bulletin must mask it.
                findings.append((tags["no_notice_of_rights"].id,
                                 f"告知书未送达当事人{party.name}（电话{party.phone[:3]}-{party.phone[3:7]}-"
                                 f"{party.phone[7:]}），应补正"))
            entry = services.ScoreInput(
                failed_veto_ids=[rubric.veto_items[3].id] if vetoed else [],
                deductions=deductions, findings=findings,
                summary=("主要证据不足，定性依据不充分" if vetoed
                         else "文书规范，证据链完整" if not deductions else ""),
                is_exemplary=not deductions and not vetoed,
                is_rectification_requested=position == 4)
            services.submit_score(assignment.reviewer, assignment, entry)


def load() -> None:
    """Create the demo case files, the rubric, one published cycle and one cycle in progress."""
    # Messages (notice texts) are translated while the data is made: give them a request's locale.
    with current_app.test_request_context():
        _load()


def _load() -> None:
    rng = random.Random(2026)
    today = date.today()
    users = _users()
    squads = {d.code: d for d in db.session.execute(sa.select(Department)).scalars()}
    _make_cases(rng, today, users, squads)
    reviewer = users["reviewer"]
    rubric = services.load_rubric(services.ensure_rubric(reviewer).id)

    published_month = _month_start(today, 2).strftime("%Y-%m")
    cycle = services.open_cycle(reviewer, published_month, 3, 2, seed=20260101)
    _score_cycle(rng, cycle, rubric)
    published_on = _month_start(today, 1) + timedelta(days=3)
    services.publish_cycle(reviewer, cycle, today=published_on - timedelta(days=10))
    notices = db.session.execute(services.notices_query()).scalars().all()
    for notice in notices[1:2]:  # one notice answered and waiting for the reviewer; the other overdue
        services.answer_notice(notice.case.lead, notice, "已补充现场照片并重新送达告知书，相关材料已归档。")

    progress_month = _month_start(today, 1).strftime("%Y-%m")
    current = services.open_cycle(reviewer, progress_month, 2, 2, seed=20260202)
    _score_cycle(rng, current, rubric, leave_open=reviewer.id)
    db.session.flush()
