"""Sign-in: N people sign in through the real form (CSRF token included) within a few seconds, then
browse their dashboard and their account page without pause. The template for the other scenarios."""

from __future__ import annotations

import itertools

from locust import FastHttpUser, between, task

from bench import loadlib
from learning.benchmark import SEED_PASSWORD, staff_username

DESCRIPTION = "N people sign in with the real form, then browse the dashboard and their account page"
USERS = 50
DURATION = 60
SPAWN_SECONDS = 5
WAIT_TIME = (0.0, 0.0)  # no think time: the run measures how much the server can do

_numbers = itertools.count(1)


def prepare(app_cli) -> None:
    """One seeded account per simulated person (s000001, s000002, ...)."""
    app_cli("bench", "seed", "--staff", str(app_cli.users))


def check(app_cli) -> dict[str, bool]:
    """Every person signed in exactly once: one server-side session each, and no account was added."""
    counts = app_cli.json("bench", "counts")
    return {
        "one session per person": counts["login_session"] == app_cli.users,
        "accounts unchanged": counts["user"] == app_cli.users,
    }


class Person(FastHttpUser):
    """A seeded staff member: signs in once, then alternates between the dashboard and the account page."""

    wait_time = between(*WAIT_TIME)

    def on_start(self) -> None:
        """Take the next seeded account and sign in with it."""
        self.username = staff_username(next(_numbers))
        if not loadlib.sign_in(self.client, self.username, SEED_PASSWORD):
            self.stop()

    @task(3)
    def dashboard(self) -> None:
        """The start page, with the panels this person may see."""
        loadlib.get_page(self.client, "/", name="dashboard", expect="signed-in-as")

    @task(1)
    def account(self) -> None:
        """The own-account page (change password form)."""
        loadlib.get_page(self.client, "/account/password", name="account page", expect="csrf_token")
