"""Accounts and departments: sign-in, sessions, passwords, roles and the roster import."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..audit import utcnow
from ..extensions import db
from ..permissions import ROLES
from ..tables import Table, TableError, read_table, require_columns
from .models import Department, DepartmentKind, LoginSession, StaffCategory, User, UserRole

MIN_PASSWORD_LENGTH = 10
SESSION_LIFETIME = timedelta(hours=12)
REMEMBER_LIFETIME = timedelta(days=14)


# --- passwords -----------------------------------------------------------------------------------

@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password: str, username: str = "") -> list[str]:
    """What is wrong with ``password`` as a new password (an empty list when it is acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        problems.append(_("This password is too common; choose another."))
    elif username and username.lower() in lowered:
        problems.append(_("The password must not contain your employee number."))
    return problems


def temporary_password() -> str:
    """A random password for a new or reset account, to be changed at first sign-in."""
    return secrets.token_urlsafe(9)


# --- sign-in and sessions ----------------------------------------------------------------------

def find_user(username: str) -> User | None:
    """The account with this employee number (case and surrounding space ignored)."""
    return db.session.execute(
        sa.select(User).where(sa.func.lower(User.username) == username.strip().lower())
    ).scalar_one_or_none()


def authenticate(username: str, password: str) -> User | None:
    """The active account with these credentials, else None (the caller says nothing more)."""
    user = find_user(username)
    if user is None or not user.is_active or not user.check_password(password):
        return None
    return user


def start_session(user: User, remember: bool, address: str | None, user_agent: str | None) -> LoginSession:
    """Open a server-side session for ``user`` and make it the user's current one."""
    lifetime = REMEMBER_LIFETIME if remember else SESSION_LIFETIME
    row = LoginSession(user=user, expires_at=utcnow() + lifetime, address=address,
                       user_agent=(user_agent or "")[:256])
    db.session.add(row)
    db.session.flush()
    user.session_token = row.token
    return row


def end_session(token: str | None) -> None:
    """Revoke one session (signing out)."""
    if token:
        db.session.execute(
            sa.update(LoginSession).where(LoginSession.token == token, LoginSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def end_other_sessions(user: User, keep_token: str | None = None) -> int:
    """Revoke every session of ``user`` but ``keep_token``; returns how many were open."""
    query = sa.update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
    if keep_token:
        query = query.where(LoginSession.token != keep_token)
    return db.session.execute(query.values(revoked_at=utcnow())).rowcount


def change_password(user: User, new_password: str, keep_token: str | None) -> None:
    """Set a new password chosen by the user; their other sessions end."""
    user.set_password(new_password)
    user.must_change_password = False
    end_other_sessions(user, keep_token)
    audit.record(user, "account.password_changed", user)


def reset_password(actor: User, user: User) -> str:
    """Give ``user`` a temporary password that must be changed at next sign-in; returns it."""
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    end_other_sessions(user)
    audit.record(actor, "account.password_reset", user)
    return password


# --- accounts ------------------------------------------------------------------------------------

def account_snapshot(user: User) -> dict:
    """The audited fields of an account."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "staff_category": str(user.staff_category),
        "department": user.department.code if user.department else None,
        "roles": sorted(user.role_names),
        "active": user.is_active_account,
        "preferred_language": user.preferred_language,
    }


def create_account(actor: User | None, *, username: str, display_name: str, staff_category: StaffCategory,
                   department: Department | None, roles, password: str | None = None,
                   preferred_language: str | None = None) -> tuple[User, str | None]:
    """Create an account; without ``password`` a temporary one is returned, to be changed at sign-in."""
    temporary = None
    user = User(username=username.strip(), display_name=display_name.strip(), staff_category=staff_category,
                department=department, preferred_language=preferred_language)
    user.set_roles(roles)
    if password:
        user.set_password(password)
    else:
        temporary = temporary_password()
        user.set_password(temporary)
        user.must_change_password = True
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "account.created", user, after=account_snapshot(user))
    return user, temporary


class AccountError(ValueError):
    """A change to an account that is not allowed; the message is for the user."""


def update_account(actor: User | None, user: User, **changes) -> bool:
    """Apply changes to an account; role and activation changes are audited. Returns whether anything changed.

    Raises ``AccountError`` before changing anything when an administrator would lock themselves out
    (remove their own administrator role or deactivate themselves), whether by form, import or code.
    """
    roles = changes.get("roles")
    if actor is not None and actor.id == user.id and user.has_role("admin") and (
            (roles is not None and "admin" not in roles) or changes.get("is_active_account") is False):
        raise AccountError(_("You cannot remove your own administrator role or deactivate yourself."))
    before = account_snapshot(user)
    roles = changes.pop("roles", None)
    for name, value in changes.items():
        setattr(user, name, value)
    if roles is not None:
        user.set_roles(roles)
    db.session.flush()
    after = account_snapshot(user)
    if before == after:
        return False
    if not user.is_active_account and before["active"]:
        end_other_sessions(user)
    action = "account.roles_changed" if before["roles"] != after["roles"] else "account.updated"
    audit.record(actor, action, user, before=before, after=after)
    return True


def set_active(actor: User, user: User, active: bool) -> None:
    """Activate or deactivate an account; deactivation ends all of its sessions at once."""
    update_account(actor, user, is_active_account=active)


def users_query(search: str = "", department_id: int | None = None, role: str | None = None,
                include_inactive: bool = True):
    """The account list as the admin screen filters it."""
    query = sa.select(User).order_by(User.username)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.username).like(pattern),
                                   sa.func.lower(User.display_name).like(pattern)))
    if department_id:
        query = query.where(User.department_id == department_id)
    if role:
        query = query.where(User.roles.any(UserRole.role == role))
    if not include_inactive:
        query = query.where(User.is_active_account.is_(True))
    return query


def departments() -> list[Department]:
    """All departments, squads first, by name."""
    return list(db.session.execute(sa.select(Department).order_by(Department.kind.desc(), Department.code))
                .scalars())


def find_department(value: str) -> Department | None:
    """A department by code or by name."""
    value = value.strip()
    if not value:
        return None
    return db.session.execute(
        sa.select(Department).where(sa.or_(Department.code == value, Department.name == value))
    ).scalars().first()


# --- roster import ---------------------------------------------------------------------------------

ROSTER_COLUMNS = ("username", "display_name", "staff_category", "department", "roles",
                  "preferred_language", "active", "password")
ROSTER_ALIASES = {
    "工号": "username", "员工编号": "username", "employee number": "username",
    "姓名": "display_name", "name": "display_name",
    "人员类别": "staff_category", "类别": "staff_category", "category": "staff_category",
    "部门": "department", "所在部门": "department",
    "角色": "roles", "role": "roles",
    "语言": "preferred_language", "language": "preferred_language",
    "在职": "active", "状态": "active", "status": "active",
    "密码": "password", "初始密码": "password",
}
_CATEGORY_WORDS = {
    "cadre": StaffCategory.cadre, "在编": StaffCategory.cadre, "干部": StaffCategory.cadre,
    "auxiliary": StaffCategory.auxiliary, "辅助": StaffCategory.auxiliary, "辅助人员": StaffCategory.auxiliary,
    "协管": StaffCategory.auxiliary,
}
_ROLE_WORDS = {
    "学员": "learner", "师傅": "mentor", "导师": "mentor", "教员": "instructor", "讲师": "instructor",
    "评查员": "reviewer", "人事": "hr", "管理员": "admin",
}
_TRUE = {"", "1", "yes", "y", "true", "active", "是", "在职", "启用"}
_FALSE = {"0", "no", "n", "false", "inactive", "否", "离职", "停用"}
_LANGS = {"": None, "zh": "zh_Hans_CN", "zh_hans_cn": "zh_Hans_CN", "zh-cn": "zh_Hans_CN", "中文": "zh_Hans_CN",
          "en": "en", "english": "en", "英文": "en"}


@dataclass
class RowResult:
    """What happened to one row of an import."""

    line: int
    key: str
    status: str  # created | updated | unchanged | rejected
    reasons: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class ImportReport:
    """The per-row outcome of an import."""

    rows: list[RowResult] = field(default_factory=list)
    error: str | None = None

    def count(self, status: str) -> int:
        """How many rows ended with ``status``."""
        return sum(1 for row in self.rows if row.status == status)

    @property
    def summary(self) -> dict[str, int]:
        """Counts per status."""
        return {status: self.count(status) for status in ("created", "updated", "unchanged", "rejected")}


def _split_roles(value: str) -> tuple[set[str], list[str]]:
    roles, unknown = set(), []
    for word in value.replace("、", ";").replace(",", ";").replace("，", ";").replace(" ", ";").split(";"):
        word = word.strip()
        if not word:
            continue
        role = _ROLE_WORDS.get(word, word.lower())
        if role in ROLES:
            roles.add(role)
        else:
            unknown.append(word)
    return roles, unknown


def _parse_roster_row(cells: dict[str, str]) -> tuple[dict, list[str]]:
    """Validate one roster row; returns the account fields and the reasons it is rejected."""
    reasons = []
    username = cells.get("username", "").strip()
    if not username:
        reasons.append(_("The employee number is empty."))
    elif len(username) > 32 or any(ch.isspace() for ch in username):
        reasons.append(_("The employee number must be at most 32 characters without spaces."))
    display_name = cells.get("display_name", "").strip()
    if not display_name:
        reasons.append(_("The name is empty."))
    elif len(display_name) > 80:
        reasons.append(_("The name is longer than 80 characters."))
    category_word = cells.get("staff_category", "").strip().lower()
    category = _CATEGORY_WORDS.get(category_word or "cadre")
    if category is None:
        reasons.append(_("Unknown staff category “%(value)s” (use cadre or auxiliary).", value=category_word))
    department = None
    if cells.get("department", "").strip():
        department = find_department(cells["department"])
        if department is None:
            reasons.append(_("Unknown department “%(value)s”.", value=cells["department"].strip()))
    roles, unknown = _split_roles(cells.get("roles", ""))
    if unknown:
        reasons.append(_("Unknown roles: %(roles)s", roles=", ".join(unknown)))
    active_word = cells.get("active", "").strip().lower()
    if active_word not in _TRUE | _FALSE:
        reasons.append(_("Active must be yes or no, not “%(value)s”.", value=active_word))
    language_word = cells.get("preferred_language", "").strip().lower()
    if language_word not in _LANGS:
        reasons.append(_("Unknown language “%(value)s” (use zh or en).", value=language_word))
    password = cells.get("password", "")
    if password:
        reasons.extend(password_problems(password, username))
    fields = {
        "username": username, "display_name": display_name, "staff_category": category,
        "department": department, "roles": roles, "active": active_word not in _FALSE,
        "preferred_language": _LANGS.get(language_word), "password": password,
    }
    return fields, reasons


def import_roster(actor: User | None, data: bytes, filename: str) -> ImportReport:
    """Create or update accounts from a roster file, row by row; idempotent by employee number.

    A file that cannot be read, or lacks the required columns, writes nothing and says why.
    """
    try:
        table: Table = read_table(data, filename, ROSTER_ALIASES)
        require_columns(table, ("username", "display_name"))
    except TableError as exc:
        return ImportReport(error=str(exc))
    report = ImportReport()
    seen: set[str] = set()
    for line, cells in table.rows:
        fields, reasons = _parse_roster_row(cells)
        key = fields["username"]
        if key.lower() in seen:
            reasons.append(_("The employee number appears twice in the file."))
        seen.add(key.lower())
        if reasons:
            report.rows.append(RowResult(line, key, "rejected", reasons))
            continue
        report.rows.append(_apply_roster_row(actor, line, fields))
    return report


def _apply_roster_row(actor, line: int, fields: dict) -> RowResult:
    user = find_user(fields["username"])
    if user is None:
        user, temporary = create_account(
            actor, username=fields["username"], display_name=fields["display_name"],
            staff_category=fields["staff_category"], department=fields["department"],
            roles=fields["roles"], password=fields["password"] or None,
            preferred_language=fields["preferred_language"])
        user.is_active_account = fields["active"]
        note = _("Temporary password: %(password)s", password=temporary) if temporary else ""
        return RowResult(line, user.username, "created", note=note)
    changes = {
        "display_name": fields["display_name"], "staff_category": fields["staff_category"],
        "is_active_account": fields["active"],
    }
    if fields["department"] is not None:
        changes["department"] = fields["department"]
    if fields["roles"]:
        changes["roles"] = fields["roles"] | (user.role_names & {"learner"})
    if fields["preferred_language"]:
        changes["preferred_language"] = fields["preferred_language"]
    try:
        changed = update_account(actor, user, **changes)
    except AccountError as error:
        return RowResult(line, user.username, "rejected", [str(error)])
    return RowResult(line, user.username, "updated" if changed else "unchanged")


def create_department(actor: User | None, code: str, name: str, kind: DepartmentKind,
                      parent: Department | None = None) -> Department:
    """Add a department."""
    department = Department(code=code.strip(), name=name.strip(), kind=kind, parent=parent)
    db.session.add(department)
    db.session.flush()
    audit.record(actor, "department.created", department, after={"code": code, "name": name})
    return department
