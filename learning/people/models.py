"""Departments, accounts, their roles and their signed-in sessions."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit import utcnow
from ..extensions import db


class DepartmentKind(enum.StrEnum):
    """A squad (中队) does enforcement; a section (科室) is an office of the bureau."""

    squad = "squad"
    section = "section"


DEPARTMENT_KIND_LABELS = {DepartmentKind.squad: _l("Squad"), DepartmentKind.section: _l("Section")}


class StaffCategory(enum.StrEnum):
    """Cadres (在编) are established staff; auxiliary staff (辅助人员) are on contract."""

    cadre = "cadre"
    auxiliary = "auxiliary"


STAFF_CATEGORY_LABELS = {StaffCategory.cadre: _l("Cadre"), StaffCategory.auxiliary: _l("Auxiliary staff")}


class Department(db.Model):
    """A squad or section; sections and squads may sit under a parent department."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[DepartmentKind] = mapped_column(sa.Enum(DepartmentKind, native_enum=False, length=16))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"))

    parent: Mapped[Department | None] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return self.name


class User(UserMixin, db.Model):
    """A staff account; the username is the employee number."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(32), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80))
    staff_category: Mapped[StaffCategory] = mapped_column(
        sa.Enum(StaffCategory, native_enum=False, length=16), default=StaffCategory.cadre
    )
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    preferred_language: Mapped[str | None] = mapped_column(sa.String(16))
    is_active_account: Mapped[bool] = mapped_column("is_active", default=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256), default="")
    must_change_password: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column()

    department: Mapped[Department | None] = relationship(lazy="joined")
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    # The session token of the request that loaded this user (set by the login manager).
    session_token = None

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_active(self) -> bool:  # Flask-Login's name
        return self.is_active_account

    @property
    def is_cadre(self) -> bool:
        """Established staff (在编)."""
        return self.staff_category == StaffCategory.cadre

    @property
    def role_names(self) -> frozenset[str]:
        """The roles this account holds."""
        return frozenset(role.role for role in self.roles)

    def has_role(self, role: str) -> bool:
        """Whether the account holds ``role``."""
        return role in self.role_names

    def set_roles(self, names) -> None:
        """Replace the account's roles with ``names``."""
        wanted = set(names) | {"learner"}
        self.roles = [role for role in self.roles if role.role in wanted]
        for name in sorted(wanted - {role.role for role in self.roles}):
            self.roles.append(UserRole(role=name))

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (Werkzeug's default method)."""
        from flask import current_app, has_app_context

        method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
        self.password_hash = generate_password_hash(password, **({"method": method} if method else {}))
        self.password_changed_at = utcnow()

    def check_password(self, password: str) -> bool:
        """Whether ``password`` matches the stored hash."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def get_id(self) -> str | None:  # Flask-Login stores the session token, never the user id
        return self.session_token


class UserRole(db.Model):
    """One role held by one account."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(16), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")


class LoginSession(db.Model):
    """A signed-in session, kept on the server so that it can be ended there.

    The browser holds only the random token; signing out, deactivation and a password change revoke
    rows here, and the next request carrying a revoked token is signed out.
    """

    __tablename__ = "login_session"

    token: Mapped[str] = mapped_column(sa.String(64), primary_key=True, default=lambda: secrets.token_urlsafe(32))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(256))

    user: Mapped[User] = relationship()
