"""Locustfile of the baseline: the scenario's people (same count, spawn rate, duration and think time)
asking the hello-world app for its one page."""

import os

from locust import FastHttpUser, between, task


class Visitor(FastHttpUser):
    """One simulated person; the think time is the scenario's, passed by the harness."""

    wait_time = between(float(os.environ.get("BENCH_WAIT_MIN", "0")), float(os.environ.get("BENCH_WAIT_MAX", "0")))

    @task
    def hello(self) -> None:
        """GET / on the hello-world app."""
        self.client.get("/", name="hello")
