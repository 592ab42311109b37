"""Demo integrity data: a published letter signed by some online and some at a collective signing,
and an integrity book presented with a reflection."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ..audit import utcnow
from ..extensions import db
from ..people.models import User
from . import services
from .models import Audience

LETTER_TEXT = """## {year}年度廉政承诺书

为切实加强党风廉政建设，本人郑重承诺：

1. 严格遵守廉洁自律各项规定，不利用职务之便谋取私利；
2. 依法规范行使行政处罚权，不以罚代管、不选择性执法；
3. 不接受管理服务对象的宴请、礼品礼金和消费卡；
4. 不违规干预、插手案件办理；
5. 自觉接受组织和群众监督。

如有违反，自愿接受组织处理。
"""


def _user(username: str) -> User:
    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one()


def load() -> None:
    """Publish the year's letter; admin, hr and reviewer sign online; squad 1 signs on paper; a book is given."""
    today = utcnow().date()
    hr = _user("hr")
    letter = services.create_letter(hr, f"{today.year}年度廉政承诺书", today.year, Audience.all,
                                    LETTER_TEXT.format(year=today.year))
    version = services.draft_of(letter)
    services.publish_version(hr, version)
    for username, name in (("admin", "周明"), ("hr", "李静"), ("reviewer", "陈晓峰"), ("instructor", "刘洋")):
        services.sign_online(_user(username), version, name)
    signing = services.create_collective_signing(hr, version, today - timedelta(days=3), "第一中队会议室")
    services.record_paper_signatures(hr, signing, ["mentor", "c1001", "a2001", "mentor2"])

    book = services.create_book(hr, "《廉洁从政案例警示读本》（示例）", "某某编写组", "示例出版社",
                                "以基层执法中的典型案例为镜，讲述廉洁用权的底线与红线。")
    services.create_book(hr, "《执法为民 廉洁奉公》（示例）", "王某某", "示例出版社", "")
    made, _unknown = services.present_book(hr, book, ["cadre", "c1001"], today - timedelta(days=10),
                                           "新入职人员廉政谈话")
    services.write_reflection(_user("c1001"), made[1], "读后深受触动：小节不守，大节难保。今后执法中要守住底线。")
    db.session.flush()
