"""Demo mentorship: two active pairings with talks (one behind its cadence) and a sharing event."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ..audit import utcnow
from ..extensions import db
from ..people.models import User
from . import services
from .models import TalkKind


def _user(username: str) -> User:
    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one()


def load() -> None:
    """mentor → cadre on cadence (one talk awaiting confirmation, a private note); mentor2 → c1002 behind."""
    today = utcnow().date()
    hr, mentor, mentor2 = _user("hr"), _user("mentor"), _user("mentor2")
    cadre, c1002, c1001 = _user("cadre"), _user("c1002"), _user("c1001")

    first = services.create_pairing(
        hr, mentor, cadre, today - timedelta(days=70), today + timedelta(days=295),
        "1. 独立办理简易程序案件\n2. 熟悉占道经营类案件的取证要求\n3. 每月至少一次谈心谈话")
    for person in (mentor, cadre):
        services.sign_agreement(person, first)
    talk = services.log_talk(mentor, first, today - timedelta(days=60), 60, TalkKind.heart_to_heart,
                             "入职适应、工作节奏", "谈了入队以来的感受，约定每周整理一份案件笔记。",
                             private_note="赵磊对夜间巡查有顾虑，下次再谈。")
    services.confirm_talk(cadre, talk)
    talk = services.log_talk(mentor, first, today - timedelta(days=31), 90, TalkKind.case_walkthrough,
                             "占道经营案卷", "一起复盘了一份占道经营案卷，重点看了现场检查笔录和证据链。")
    services.confirm_talk(cadre, talk)
    services.log_talk(mentor, first, today - timedelta(days=5), 45, TalkKind.coaching,
                      "现场执法文书", "现场指导填写《当场处罚决定书》，注意告知陈述申辩权利。")

    second = services.create_pairing(
        hr, mentor2, c1002, today - timedelta(days=120), today + timedelta(days=245),
        "1. 掌握违法建设案件的立案流程\n2. 提高文书制作规范性")
    for person in (mentor2, c1002):
        services.sign_agreement(person, second)
    talk = services.log_talk(mentor2, second, today - timedelta(days=100), 50, TalkKind.heart_to_heart,
                             "岗位职责", "介绍了中队分工和违法建设巡查要点。")
    services.confirm_talk(c1002, talk)
    services.log_talk(mentor2, second, today - timedelta(days=55), 40, TalkKind.coaching,
                      "立案审批表", "指导填写立案审批表。", private_note="文书基础较弱，需多练习。")

    sharing = services.create_sharing_event(
        hr, mentor, "简案快办的经验与体会", today - timedelta(days=20), "第一中队会议室", 1.5,
        "分享了简易程序案件快速办理的做法：现场取证要点、电子送达与缴款。")
    services.record_attendance(hr, sharing, [cadre.username, c1001.username, c1002.username, "a2001"])
    db.session.flush()
