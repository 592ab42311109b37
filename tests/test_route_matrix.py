"""Every route of the app, as every role: the status each gets is the one the matrix says."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from learning import create_app

from .conftest import BASE_CONFIG
from .route_matrix import ROLES, ROUTES, Route, World

IGNORED_ENDPOINTS = {"static", "bootstrap.static"}


def _all_routes() -> list[Route]:
    routes = list(ROUTES)
    for path in sorted(Path(__file__).parent.glob("*/route_matrix.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.route_matrix")
        routes.extend(module.ROUTES)
    return routes


ALL_ROUTES = _all_routes()


def test_every_rule_has_a_row(tmp_path):
    """A new route that is missing from the matrix fails here."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    covered = {(route.endpoint, route.method) for route in ALL_ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes without a row in the role matrix:\n" + "\n".join(missing)


@pytest.mark.parametrize("route", ALL_ROUTES, ids=[route.id for route in ALL_ROUTES])
def test_route_by_role(demo_app, route: Route):
    """Each role gets exactly the status the matrix gives it."""
    world = World()
    failures = []
    for role in ROLES:
        client = demo_app.test_client()
        if role != "anonymous":
            response = client.login(role)
            assert response.status_code == 302, f"{role} could not sign in"
        with demo_app.app_context():
            url = route.url(world) if callable(route.url) else route.url
            data = route.data(world) if callable(route.data) else route.data
        if route.method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=route.method,
                                   data={**data, "csrf_token": client.csrf_token()})
        if response.status_code != route.expected(role):
            failures.append(f"{role}: {response.status_code}, expected {route.expected(role)}")
    assert not failures, f"{route.method} {route.endpoint}: " + "; ".join(failures)
