"""Demo departments and accounts (password ``demo``), and the accounts panel of the dashboard."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from .models import Department, DepartmentKind, StaffCategory, User

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo password, accepted only for demo accounts

DEPARTMENTS = [
    ("sq1", "第一中队", DepartmentKind.squad),
    ("sq2", "第二中队", DepartmentKind.squad),
    ("sq3", "第三中队", DepartmentKind.squad),
    ("legal", "法制科", DepartmentKind.section),
    ("personnel", "人事科", DepartmentKind.section),
]

# username, display name, category, department, roles
ACCOUNTS = [
    ("admin", "周明", StaffCategory.cadre, "personnel", {"admin"}),
    ("hr", "李静", StaffCategory.cadre, "personnel", {"hr"}),
    ("reviewer", "陈晓峰", StaffCategory.cadre, "legal", {"reviewer"}),
    ("instructor", "刘洋", StaffCategory.cadre, "legal", {"instructor"}),
    ("mentor", "张国强", StaffCategory.cadre, "sq1", {"mentor"}),
    ("cadre", "赵磊", StaffCategory.cadre, "sq1", set()),
    ("auxiliary", "孙悦", StaffCategory.auxiliary, "sq2", set()),
    # Colleagues who fill the lists, rankings and reviews of the demo.
    ("reviewer2", "吴芳", StaffCategory.cadre, "legal", {"reviewer"}),
    ("mentor2", "郑海涛", StaffCategory.cadre, "sq2", {"mentor"}),
    ("c1001", "钱伟", StaffCategory.cadre, "sq1", set()),
    ("c1002", "冯丽", StaffCategory.cadre, "sq2", set()),
    ("c1003", "何军", StaffCategory.cadre, "sq2", set()),
    ("c1004", "马超", StaffCategory.cadre, "sq3", set()),
    ("c1005", "朱婷", StaffCategory.cadre, "sq3", set()),
    ("a2001", "胡斌", StaffCategory.auxiliary, "sq1", set()),
    ("a2002", "林娜", StaffCategory.auxiliary, "sq3", set()),
]


def load() -> None:
    """Create the demo departments and accounts."""
    departments = {}
    for code, name, kind in DEPARTMENTS:
        departments[code] = Department(code=code, name=name, kind=kind)
        db.session.add(departments[code])
    for username, name, category, department, roles in ACCOUNTS:
        user = User(username=username, display_name=name, staff_category=category,
                    department=departments[department], is_demo=True)
        user.set_roles(roles)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    db.session.flush()


def accounts_panel(_user) -> dict:
    """Active accounts by staff category, and how many are deactivated."""
    rows = db.session.execute(
        sa.select(User.staff_category, User.is_active_account, sa.func.count(User.id))
        .group_by(User.staff_category, User.is_active_account)
    ).all()
    counts = {(category, active): n for category, active, n in rows}
    return {
        "cadres": counts.get((StaffCategory.cadre, True), 0),
        "auxiliaries": counts.get((StaffCategory.auxiliary, True), 0),
        "inactive": sum(n for (_category, active), n in counts.items() if not active),
    }
