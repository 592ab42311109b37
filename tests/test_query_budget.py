"""Every page runs a small, fixed number of SQL statements (at most 15)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from learning.extensions import db

from .route_matrix import STAFF, World
from .test_route_matrix import ALL_ROUTES

BUDGET = 15

PAGES = [route for route in ALL_ROUTES
         if route.method == "GET" and any(route.allowed.get(role) == 200 for role in STAFF)]


def count_statements(app, client, url: str) -> tuple[int, int]:
    """(status, number of SQL statements) of one GET."""
    statements = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return response.status_code, len(statements)


@pytest.mark.parametrize("route", PAGES, ids=[route.id for route in PAGES])
def test_page_stays_within_the_query_budget(demo_app, route):
    """The page, opened by the role that uses it, runs at most 15 statements."""
    role = next(role for role in reversed(STAFF) if route.allowed.get(role) == 200)
    client = demo_app.test_client()
    client.login(role)
    with demo_app.app_context():
        url = route.url(World()) if callable(route.url) else route.url
    status, count = count_statements(demo_app, client, url)
    assert status == 200
    assert count <= BUDGET, f"{url} as {role}: {count} statements"
