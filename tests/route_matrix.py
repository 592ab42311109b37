"""The route-by-role matrix: what each demo role gets from every route of the app.

Each feature's rows live beside its tests in ``tests/<area>/route_matrix.py`` as a ``ROUTES`` list;
``tests/test_route_matrix.py`` gathers them and fails when a URL rule of the app has no row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from learning.extensions import db

# The demo accounts, one per kind of user, and a visitor who is not signed in.
ROLES = ("anonymous", "cadre", "auxiliary", "mentor", "instructor", "reviewer", "hr", "admin")
STAFF = ROLES[1:]


class World:
    """Looks up the demo objects that a route's URL needs."""

    def user(self, username: str):
        """The demo account ``username``."""
        from learning.people.models import User

        return db.session.execute(sa.select(User).where(User.username == username)).scalar_one()

    def first(self, model, *where):
        """The first row of ``model`` (by id) matching ``where``."""
        row = db.session.execute(sa.select(model).where(*where).order_by(model.id).limit(1)).scalar_one_or_none()
        assert row is not None, f"the demo data has no {model.__name__} matching {where}"
        return row


@dataclass
class Route:
    """One URL rule and method, with the status each role gets.

    ``allowed`` maps roles to their status; every other signed-in role gets ``denied``, and a visitor
    who is not signed in gets ``anonymous`` (302: sent to the sign-in page).
    """

    endpoint: str
    url: str | Callable[[World], str]
    allowed: dict[str, int]
    method: str = "GET"
    denied: int = 403
    anonymous: int = 302
    data: dict | Callable[[World], dict] = field(default_factory=dict)

    def expected(self, role: str) -> int:
        """The status ``role`` must get."""
        if role in self.allowed:
            return self.allowed[role]
        return self.anonymous if role == "anonymous" else self.denied

    @property
    def id(self) -> str:
        """A readable test id."""
        return f"{self.method} {self.endpoint}"


def everyone(status: int = 200, anonymous: int | None = None) -> dict[str, int]:
    """Every staff role gets ``status`` (and the visitor too, when ``anonymous`` is given)."""
    allowed = {role: status for role in STAFF}
    if anonymous is not None:
        allowed["anonymous"] = anonymous
    return allowed


def only(*roles: str, status: int = 200) -> dict[str, int]:
    """Only ``roles`` get ``status``."""
    return {role: status for role in roles}


def _edit_cadre(world: World) -> str:
    return f"/admin/users/{world.user('cadre').id}/edit"


def _department(world: World) -> str:
    from learning.people.models import Department

    return f"/admin/departments/{world.first(Department).id}/edit"


ROUTES = [
    Route("core.dashboard", "/", everyone()),
    Route("core.healthz", "/healthz", everyone(anonymous=200)),
    Route("core.set_language", "/language", everyone(302, anonymous=302), method="POST",
          data={"language": "en"}),
    Route("core.audit_log", "/admin/audit", only("admin")),
    Route("people.confirm_password", "/account/confirm", everyone()),
    Route("people.confirm_password", "/account/confirm", everyone(), method="POST", data={"password": ""}),
    Route("people.login", "/login", everyone(302, anonymous=200)),
    Route("people.login", "/login", everyone(302, anonymous=200), method="POST",
          data={"username": "", "password": ""}),
    Route("people.logout", "/logout", everyone(302), method="POST"),
    Route("people.change_password", "/account/password", everyone()),
    Route("people.change_password", "/account/password", everyone(), method="POST",
          data={"current_password": "wrong"}),
    Route("people.users", "/admin/users", only("admin")),
    Route("people.create_user", "/admin/users/new", only("admin")),
    Route("people.create_user", "/admin/users/new", only("admin"), method="POST", data={"username": ""}),
    Route("people.edit_user", _edit_cadre, only("admin")),
    Route("people.edit_user", _edit_cadre, only("admin"), method="POST", data={"username": ""}),
    Route("people.deactivate_user", lambda w: f"/admin/users/{w.user('c1001').id}/deactivate",
          only("admin", status=302), method="POST"),
    Route("people.reactivate_user", lambda w: f"/admin/users/{w.user('c1001').id}/reactivate",
          only("admin", status=302), method="POST"),
    Route("people.reset_password", lambda w: f"/admin/users/{w.user('c1002').id}/reset-password",
          only("admin"), method="POST"),
    Route("people.import_users", "/admin/users/import", only("admin")),
    Route("people.import_users", "/admin/users/import", only("admin"), method="POST"),
    Route("people.department_list", "/admin/departments", only("admin")),
    Route("people.edit_department", "/admin/departments/new", only("admin")),
    Route("people.edit_department", "/admin/departments/new", only("admin"), method="POST", data={"code": ""}),
    Route("people.edit_department", _department, only("admin")),
    Route("people.edit_department", _department, only("admin"), method="POST", data={"code": ""}),
]
