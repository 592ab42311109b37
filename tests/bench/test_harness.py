"""The benchmark harness: its arithmetic, its scenario registry, and one tiny run end to end."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from bench import harness, scenarios

ROOT = harness.ROOT


def entry(name: str, method: str, times: dict[int, int], failures: int = 0, start: float = 100.0,
          last: float = 110.0) -> dict:
    """One request line as Locust's final JSON holds it."""
    return {"name": name, "method": method, "num_requests": sum(times.values()), "num_failures": failures,
            "response_times": {str(ms): n for ms, n in times.items()},
            "total_response_time": sum(ms * n for ms, n in times.items()),
            "start_time": start, "last_request_timestamp": last}


def test_percentiles_follow_locusts_histogram():
    """p50/p95/p99 of 100 requests: 90 at 10 ms, 6 at 100 ms, 4 at 1000 ms."""
    histogram = {10: 90, 100: 6, 1000: 4}
    assert harness.percentile(histogram, 100, 0.50) == 10
    assert harness.percentile(histogram, 100, 0.95) == 100
    assert harness.percentile(histogram, 100, 0.99) == 1000
    assert harness.percentile({}, 0, 0.5) is None


def test_read_stats_aggregates_every_request_over_one_window(tmp_path):
    """Requests/s of the whole run and of each request are over the same first-to-last window."""
    entries = [entry("dashboard", "GET", {10: 60}, start=100.0, last=110.0),
               entry("sign in", "POST", {500: 20}, failures=2, start=100.0, last=105.0)]
    (tmp_path / "site.json").write_text(json.dumps(entries))
    stats = harness.read_stats(tmp_path / "site")
    assert stats["window_s"] == 10.0
    assert stats["aggregate"]["requests"] == 80 and stats["aggregate"]["errors"] == 2
    assert stats["aggregate"]["rps"] == 8.0
    assert stats["requests"]["POST sign in"]["rps"] == 2.0
    assert stats["requests"]["GET dashboard"]["p99_ms"] == 10


def test_ratios_divide_each_figure_by_the_baseline():
    """Throughput below 1 and latency above 1 mean slower than hello world; errors only against errors."""
    site = {"requests": 100, "errors": 0, "rps": 50.0, "p50_ms": 8.0, "p95_ms": 30.0, "p99_ms": None, "mean_ms": 9.0}
    baseline = {"requests": 900, "errors": 0, "rps": 200.0, "p50_ms": 2.0, "p95_ms": 5.0, "p99_ms": 9.0,
                "mean_ms": 2.5}
    assert harness.ratios(site, baseline) == {"rps": 0.25, "p50_ms": 4.0, "p95_ms": 6.0, "p99_ms": None,
                                              "mean_ms": 3.6, "errors": None}


def test_server_settings_are_read_as_make_run_reads_them(monkeypatch):
    """The environment wins; otherwise the Makefile's defaults."""
    monkeypatch.delenv("WORKERS", raising=False)
    monkeypatch.setenv("THREADS", "7")
    assert harness.server_settings() == {"workers": int(harness.makefile_default("WORKERS")), "threads": 7}


def test_the_harness_serves_with_the_command_of_make_serve():
    """The gunicorn command is make serve's own, only the application differs for the baseline."""
    settings = {"workers": 2, "threads": 4}
    site = harness.gunicorn_command_line(5999, "learning:create_app()", settings)
    hello = harness.gunicorn_command_line(5999, "bench.hello:app", settings)
    assert "--workers 2 --threads 4 --worker-class gthread --bind 127.0.0.1:5999" in site
    assert site.replace("learning:create_app()", "bench.hello:app") == hello


def test_scenarios_are_the_modules_of_the_folder():
    """Dropping a module into bench/scenarios/ adds a scenario; helper modules start with an underscore."""
    assert "signin" in scenarios.available()
    assert all(not name.startswith("_") for name in scenarios.available())
    with pytest.raises(LookupError):
        scenarios.load("no-such-scenario")


def test_signin_scenario_runs_end_to_end_with_a_tiny_load(tmp_path):
    """``make bench SCENARIO=signin`` with 5 people for 5 s: results file with baseline ratios, no errors."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "MAKEFLAGS", "MAKELEVEL")}
    result = subprocess.run(
        ["make", "--no-print-directory", "bench", "SCENARIO=signin",
         f"BENCH_ARGS=--users 5 --duration 5 --results {tmp_path}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "ratio to baseline" in result.stdout and "Two CPU cores" in result.stdout

    data = json.loads((tmp_path / "signin.json").read_text())
    assert data["passed"] is True and data["errors"] == 0
    assert data["baseline"]["aggregate"]["errors"] == 0 and data["baseline"]["aggregate"]["requests"] > 0
    assert set(data["site"]["requests"]) == {"GET sign-in form", "POST sign in", "GET dashboard", "GET account page"}
    assert data["site"]["requests"]["POST sign in"]["requests"] == 5
    for figure in ("rps", "p50_ms", "p95_ms", "p99_ms"):
        assert data["ratios"]["aggregate"][figure] > 0
        assert all(ratio[figure] > 0 for ratio in data["ratios"]["requests"].values())
    assert data["checks"] == {"one session per person": True, "accounts unchanged": True}
    assert "Two CPU cores" in data["note"]
    assert data["settings"]["database"] == "sqlite" and data["settings"]["users"] == 5
    assert "--worker-class gthread" in data["settings"]["server_command"]
