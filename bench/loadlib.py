"""Helpers for scenario locustfiles: sign in through the real form, open a page and check it."""

from __future__ import annotations

import re

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str | None:
    """The CSRF token of the first form on a page."""
    match = CSRF_PATTERN.search(html)
    return match.group(1) if match else None


def sign_in(client, username: str, password: str) -> bool:
    """Open the sign-in form, then post it with its CSRF token; a redirect away from /login is success.

    Recorded as two requests, "sign-in form" and "sign in", so the password check's cost shows apart.
    """
    with client.get("/login", name="sign-in form", catch_response=True, allow_redirects=False) as response:
        token = csrf_token(response.text or "") if response.status_code == 200 else None
        if token is None:
            response.failure(f"no sign-in form (status {response.status_code})")
            return False
        response.success()
    with client.post("/login", name="sign in", catch_response=True, allow_redirects=False,
                     data={"csrf_token": token, "username": username, "password": password}) as response:
        location = response.headers.get("Location", "") if response.status_code == 302 else ""
        if not location or "/login" in location:
            response.failure(f"sign-in refused for {username} (status {response.status_code})")
            return False
        response.success()
    return True


def get_page(client, path: str, name: str, expect: str | None = None) -> bool:
    """GET ``path``; anything but a 200 (a redirect to the sign-in page included) is a failure.

    ``expect``, when given, must occur in the page (a cheap check that it is the page we asked for).
    """
    with client.get(path, name=name, catch_response=True, allow_redirects=False) as response:
        if response.status_code != 200:
            response.failure(f"status {response.status_code}")
            return False
        if expect is not None and expect not in (response.text or ""):
            response.failure(f"{expect!r} missing from the page")
            return False
        response.success()
    return True
