"""One benchmark run: a fresh database, the scenario's data, the site and the hello-world baseline served
exactly as ``make serve`` serves the site, the same Locust load against each, and the results.

For each scenario, in order:

1. a fresh temporary database: a SQLite file in a temporary folder, or, when ``DATABASE_URL`` names a
   PostgreSQL server, a new database on it (created here, dropped at the end);
2. ``flask db upgrade``, ``flask content sync`` and the scenario's ``prepare(app_cli)``;
3. ``make serve`` with ``WSGI_APP=bench.hello:app`` (the baseline) on a free loopback port, Locust in
   headless mode from its own process against it, then the server stopped; the same for the site;
4. the scenario's ``check(app_cli)`` on the database;
5. ``bench/results/<scenario>.json`` and a summary on the terminal.

Everything listens on 127.0.0.1 only; every run is bounded (at most MAX_USERS people, MAX_DURATION
seconds, and a timeout on every process the harness starts).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
HELLO_LOCUSTFILE = ROOT / "bench" / "hello_load.py"
MAX_USERS = 5000
MAX_DURATION = 3600
STARTUP_TIMEOUT = 60
CLI_TIMEOUT = 3600

NOTE = ("Two CPU cores are shared by the server (gunicorn) and the load generator (Locust), which run on "
        "the same machine over loopback: the absolute figures understate what the server alone would do. "
        "Compare only the ratios to the hello-world baseline, which is taken in the same run under the "
        "same gunicorn settings and the same load.")
FIGURES = ("rps", "p50_ms", "p95_ms", "p99_ms", "mean_ms")
# Every simulated person comes from 127.0.0.1, where in real use they come from many addresses.
SITE_ENV = {"LEARNING_LOGIN_LIMIT_PER_ADDRESS": "1000000 per minute"}


class BenchError(RuntimeError):
    """A run that could not be carried out (as opposed to one that measured errors)."""


# --- settings and the machine ------------------------------------------------------------------

def makefile_default(name: str) -> str:
    """``NAME ?= value`` from the Makefile: what ``make run`` uses when the environment says nothing."""
    match = re.search(rf"^{name}\s*\?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    if match is None:
        raise BenchError(f"the Makefile has no default for {name}")
    return match.group(1)


def server_settings() -> dict[str, int]:
    """WORKERS and THREADS as ``make run`` reads them: the environment, else the Makefile's default."""
    return {name.lower(): int(os.environ.get(name) or makefile_default(name)) for name in ("WORKERS", "THREADS")}


def machine() -> dict:
    """The machine the figures were taken on."""
    model = ""
    with contextlib.suppress(OSError):
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    memory_gb = None
    with contextlib.suppress(OSError, StopIteration, ValueError):
        line = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    versions = {}
    for package in ("flask", "sqlalchemy", "gunicorn", "locust", "psycopg"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    return {"cpu": model, "cpus": os.cpu_count(), "memory_gb": memory_gb, "system": platform.platform(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "packages": versions}


def git_commit() -> str | None:
    """The commit the run was made from ("+dirty" when the tree has uncommitted changes)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the database and the command line ---------------------------------------------------------

@contextlib.contextmanager
def fresh_database(workdir: Path) -> Iterator[tuple[str, str]]:
    """``(url, kind)`` of an empty database made for this run, removed afterwards.

    SQLite by default; with ``DATABASE_URL`` set, a new database on that PostgreSQL server.
    """
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{workdir / 'bench.sqlite3'}", "sqlite"
        return
    import sqlalchemy as sa

    from learning.config import normalise_database_url

    url = sa.engine.make_url(normalise_database_url(server_url))
    if url.get_backend_name() != "postgresql":
        raise BenchError("DATABASE_URL must name a PostgreSQL server (or be unset for SQLite)")
    name = f"qinglan_bench_{int(time.time())}_{os.getpid()}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False), "postgresql"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


class AppCLI:
    """``flask --app learning ...`` against the run's database; what scenarios' ``prepare`` and ``check`` get."""

    def __init__(self, env: dict[str, str], users: int, log: Path):
        self.env = env
        self.users = users
        self.log = log

    def __call__(self, *args: str) -> str:
        """Run one command; its output goes to the run's log and is returned. Failure raises BenchError."""
        command = [sys.executable, "-m", "flask", "--app", "learning", *args]
        result = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True,
                                timeout=CLI_TIMEOUT, check=False)
        with self.log.open("a") as log:
            log.write(f"$ flask --app learning {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        if result.returncode:
            raise BenchError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def json(self, *args: str):
        """Run a command whose last line of output is JSON, and decode it."""
        return json.loads(self(*args).strip().splitlines()[-1])


# --- servers and load ----------------------------------------------------------------------------

def serve_command(port: int, wsgi_app: str, settings: dict[str, int]) -> list[str]:
    """``make serve``, as ``make run`` ends, on ``port``, for ``wsgi_app``."""
    return ["make", "--no-print-directory", "-s", "serve", f"PORT={port}", f"WSGI_APP={wsgi_app}",
            f"WORKERS={settings['workers']}", f"THREADS={settings['threads']}"]


def gunicorn_command_line(port: int, wsgi_app: str, settings: dict[str, int]) -> str:
    """The gunicorn command ``make serve`` runs (from ``make -n``), for the results file."""
    dry = subprocess.run([*serve_command(port, wsgi_app, settings), "-n"], cwd=ROOT, capture_output=True,
                         text=True, timeout=30, check=True).stdout
    return " ".join(dry.replace("\\\n", " ").split())


def resident_mb(group: int) -> dict[str, float]:
    """Resident memory (MB) of the gunicorn processes in process group ``group`` (Linux /proc)."""
    sizes = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group:  # the process group id is field 5 of /proc/<pid>/stat
                continue
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if "gunicorn" not in command:
                continue
            status = (stat.parent / "status").read_text()
            rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
            sizes[stat.parent.name] = round(rss_kb / 1024, 1)
    return sizes


@contextlib.contextmanager
def served(wsgi_app: str, settings: dict[str, int], env: dict[str, str], log: Path, probe: str,
           memory: dict | None = None) -> Iterator[str]:
    """Serve ``wsgi_app`` with ``make serve`` on a free port; yields its base URL; stops it afterwards.

    ``memory``, when given, receives the largest resident size of a gunicorn process just before the stop.
    """
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(serve_command(port, wsgi_app, settings), cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                raise BenchError(f"{wsgi_app} did not start; see {log}")
            try:
                with urllib.request.urlopen(base + probe, timeout=5) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"{wsgi_app} did not answer within {STARTUP_TIMEOUT} s; see {log}")
            time.sleep(0.3)
        yield base
        if memory is not None:
            memory["max_process_rss_mb"] = max(resident_mb(process.pid).values(), default=None)
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """Stop a server the harness started: its own process group (make, gunicorn and its workers)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def drive(locustfile: Path, host: str, load: dict, csv_prefix: Path, log: Path) -> dict:
    """Run Locust headless from its own process against ``host``; returns the figures it recorded."""
    env = {key: value for key, value in os.environ.items() if key != "LOCUST_SKIP_MONKEY_PATCH"}
    env.update(BENCH_USERS=str(load["users"]), BENCH_WAIT_MIN=str(load["wait_s"][0]),
               BENCH_WAIT_MAX=str(load["wait_s"][1]),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host,
               "--users", str(load["users"]), "--spawn-rate", f"{load['spawn_rate']:g}",
               "--run-time", f"{load['duration_s']}s", "--stop-timeout", "10", "--csv", str(csv_prefix),
               "--json-file", str(csv_prefix),  # Locust adds ".json"
               "--only-summary", "--exit-code-on-error", "0", "--loglevel", "WARNING"]
    with log.open("ab") as output:
        try:
            result = subprocess.run(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                    timeout=load["duration_s"] + 120, check=False)
        except subprocess.TimeoutExpired as error:
            raise BenchError(f"Locust did not finish in time; see {log}") from error
    if result.returncode:
        raise BenchError(f"Locust failed (exit {result.returncode}); see {log}")
    stats = read_stats(csv_prefix)
    stats["load_generator_saturated"] = "CPU usage above" in log.read_text(errors="replace")
    return stats


def percentile(response_times: dict[int, int], count: int, fraction: float) -> float | None:
    """The response time (ms) within which ``fraction`` of the requests finished, as Locust computes it

    (from its histogram: exact below 100 ms, to 10 ms below 1 s, to 100 ms above).
    """
    if not count:
        return None
    allowed_above = int(count * fraction)
    seen = 0
    for milliseconds in sorted(response_times, reverse=True):
        seen += response_times[milliseconds]
        if count - seen <= allowed_above:
            return float(milliseconds)
    return 0.0


def figures(entries: list[dict], window_s: float) -> dict:
    """Requests, errors, requests/s over the run's window, p50/p95/p99 and mean latency of ``entries``."""
    count = sum(entry["num_requests"] for entry in entries)
    histogram: dict[int, int] = {}
    for entry in entries:
        for milliseconds, n in entry["response_times"].items():
            histogram[int(float(milliseconds))] = histogram.get(int(float(milliseconds)), 0) + n
    total_ms = sum(entry["total_response_time"] for entry in entries)
    return {"requests": count, "errors": sum(entry["num_failures"] for entry in entries),
            "rps": significant(count / window_s) if window_s > 0 else 0.0,
            "p50_ms": percentile(histogram, count, 0.50), "p95_ms": percentile(histogram, count, 0.95),
            "p99_ms": percentile(histogram, count, 0.99),
            "mean_ms": round(total_ms / count, 1) if count else None}


def read_stats(csv_prefix: Path) -> dict:
    """Aggregate and per-request figures from Locust's final JSON, and the failure messages from its CSV.

    Requests/s of every line are over the same window: first request to last response of the run.
    """
    entries = json.loads(Path(f"{csv_prefix}.json").read_text())
    if not entries:
        raise BenchError(f"Locust recorded no request ({csv_prefix}.json)")
    window_s = (max(entry["last_request_timestamp"] or 0 for entry in entries)
                - min(entry["start_time"] for entry in entries))
    requests = {f"{entry['method']} {entry['name']}": figures([entry], window_s)
                for entry in sorted(entries, key=lambda entry: (entry["name"], entry["method"]))}
    failures = []
    with contextlib.suppress(FileNotFoundError), open(f"{csv_prefix}_failures.csv", newline="") as handle:
        failures = [{"request": f"{row['Method']} {row['Name']}", "error": row["Error"],
                     "occurrences": int(row["Occurrences"])} for row in csv.DictReader(handle)]
    return {"aggregate": figures(entries, window_s), "requests": requests, "window_s": round(window_s, 1),
            "failures": failures}


def ratios(figures: dict, baseline: dict) -> dict:
    """Each figure divided by the baseline's: rps < 1 means slower than hello world, latency > 1 too.

    Errors have a ratio only when the baseline had errors (it should have none).
    """
    out = {name: (significant(figures[name] / baseline[name]) if figures[name] is not None and baseline[name]
                  else None) for name in FIGURES}
    out["errors"] = significant(figures["errors"] / baseline["errors"]) if baseline["errors"] else None
    return out


def significant(value: float, digits: int = 4) -> float:
    """``value`` to ``digits`` significant figures (a small ratio keeps its digits instead of becoming 0)."""
    return float(f"{value:.{digits}g}")


# --- one scenario --------------------------------------------------------------------------------

def load_scenario(name: str) -> ModuleType:
    """Import a scenario without letting Locust monkey-patch this process (it only runs in Locust's)."""
    os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"
    from . import scenarios

    return scenarios.load(name)


def run_scenario(name: str, users: int | None = None, duration: int | None = None,
                 results_dir: Path = RESULTS_DIR, keep: bool = False) -> dict:
    """Run one scenario end to end and write its results file; returns what was written."""
    scenario = load_scenario(name)
    users = users or scenario.USERS
    duration = duration or scenario.DURATION
    if not 1 <= users <= MAX_USERS or not 1 <= duration <= MAX_DURATION:
        raise BenchError(f"users must be 1..{MAX_USERS} and duration 1..{MAX_DURATION} s")
    settings = server_settings()
    # Everybody starts within the scenario's few seconds, and within the first fifth of a short run.
    spawn_seconds = min(scenario.SPAWN_SECONDS, max(1.0, duration / 5))
    load = {"users": users, "duration_s": duration, "spawn_rate": max(1.0, users / spawn_seconds),
            "wait_s": list(scenario.WAIT_TIME)}
    workdir = Path(tempfile.mkdtemp(prefix=f"qinglan-bench-{name}-"))
    timings: dict[str, float] = {}
    print(f"== {name}: {scenario.DESCRIPTION} ({users} people, {duration} s; work folder {workdir})", flush=True)
    load_before = os.getloadavg()
    with fresh_database(workdir) as (database_url, database_kind):
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(32), **SITE_ENV}
        env.pop("LOCUST_SKIP_MONKEY_PATCH", None)
        app_cli = AppCLI(env, users, workdir / "cli.log")
        started = time.perf_counter()
        app_cli("db", "upgrade")
        app_cli("content", "sync")
        scenario.prepare(app_cli)
        timings["prepare_s"] = round(time.perf_counter() - started, 1)

        runs = {}
        for label, wsgi_app, locustfile, probe in (
                ("baseline", "bench.hello:app", HELLO_LOCUSTFILE, "/"),
                ("site", "learning:create_app()", Path(scenario.__file__), "/healthz")):
            print(f"   {label}: serving {wsgi_app}, {users} people for {duration} s ...", flush=True)
            started = time.perf_counter()
            memory: dict = {}
            with served(wsgi_app, settings, env, workdir / f"{label}-server.log", probe, memory) as host:
                runs[label] = drive(locustfile, host, load, workdir / label, workdir / f"{label}-locust.log")
            runs[label].update(memory)
            timings[f"{label}_s"] = round(time.perf_counter() - started, 1)
        checks = scenario.check(app_cli) if hasattr(scenario, "check") else {}

    site, baseline = runs["site"], runs["baseline"]
    result = {
        "scenario": name,
        "description": scenario.DESCRIPTION,
        "note": NOTE,
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": machine(),
        "machine_load_average": {"before": [round(x, 2) for x in load_before],
                                 "after": [round(x, 2) for x in os.getloadavg()]},
        "settings": {
            **load, "database": database_kind, **settings, "worker_class": "gthread",
            "server_command": gunicorn_command_line(0, "learning:create_app()", settings).replace(
                "127.0.0.1:0", "127.0.0.1:<port>"),
            "server_env": SITE_ENV,
        },
        "baseline": baseline,
        "site": site,
        "ratios": {"aggregate": ratios(site["aggregate"], baseline["aggregate"]),
                   "requests": {request: ratios(figures, baseline["aggregate"])
                                for request, figures in site["requests"].items()}},
        "errors": site["aggregate"]["errors"],
        "checks": checks,
        "passed": site["aggregate"]["errors"] == 0 and baseline["aggregate"]["errors"] == 0
        and all(checks.values()),
        "timings": timings,
    }
    write_json(results_dir / f"{name}.json", result)
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a failed run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)


# --- the summary ---------------------------------------------------------------------------------

def _cell(value, width: int, suffix: str = "") -> str:
    if value is None:
        return "-".rjust(width)
    if isinstance(value, float):
        return f"{value:,.{3 if suffix == 'x' else 1}f}{suffix}".rjust(width)
    return f"{value:,}{suffix}".rjust(width)


def summary(result: dict, path: Path | None = None) -> str:
    """A readable table of one run: baseline, site, each request, and the ratios."""
    settings = result["settings"]
    lines = [
        f"{result['scenario']}: {settings['users']} people, {settings['duration_s']} s, "
        f"{settings['workers']} workers x {settings['threads']} threads, {settings['database']}",
        f"NOTE: {result['note']}",
        f"{'':34}{'requests':>9}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}",
    ]

    def row(label: str, figures: dict) -> str:
        return (f"{label:<34}{_cell(figures['requests'], 9)}{_cell(figures['errors'], 8)}"
                f"{_cell(figures['rps'], 10)}{_cell(figures['p50_ms'], 9)}{_cell(figures['p95_ms'], 9)}"
                f"{_cell(figures['p99_ms'], 9)}")

    def ratio_row(label: str, ratio: dict) -> str:
        return (f"{label:<34}{'':17}{_cell(ratio['rps'], 10, 'x')}{_cell(ratio['p50_ms'], 9, 'x')}"
                f"{_cell(ratio['p95_ms'], 9, 'x')}{_cell(ratio['p99_ms'], 9, 'x')}")

    lines.append(row("hello world (baseline)", result["baseline"]["aggregate"]))
    lines.append(row("site, all requests", result["site"]["aggregate"]))
    lines.append(ratio_row("  ratio to baseline", result["ratios"]["aggregate"]))
    for request, figures in result["site"]["requests"].items():
        lines.append(row(f"  {request}", figures))
        lines.append(ratio_row("    ratio to baseline", result["ratios"]["requests"][request]))
    for failure in result["site"]["failures"][:10]:
        lines.append(f"  failed {failure['occurrences']}x {failure['request']}: {failure['error']}")
    if result["site"].get("load_generator_saturated") or result["baseline"].get("load_generator_saturated"):
        lines.append("  Locust reported its CPU above 90%: the load generator, not only the server, was a limit.")
    lines.append(f"  largest gunicorn process: site {result['site'].get('max_process_rss_mb')} MB, "
                 f"baseline {result['baseline'].get('max_process_rss_mb')} MB resident; machine load average "
                 f"before the run {result['machine_load_average']['before'][0]} on {result['machine']['cpus']} cores")
    for check, passed in result["checks"].items():
        lines.append(f"  check {'passed' if passed else 'FAILED'}: {check}")
    lines.append(f"{'PASSED' if result['passed'] else 'FAILED'}" + (f"; results in {path}" if path else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench [SCENARIO ...] [--users N] [--duration S] [--results DIR] [--keep]``."""
    from . import scenarios

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                        help=f"scenarios to run (default: all of {', '.join(scenarios.available())})")
    parser.add_argument("--users", type=int, help="simulated people (default: the scenario's)")
    parser.add_argument("--duration", type=int, help="seconds of load against each server (default: the scenario's)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="folder for <scenario>.json")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (database and logs)")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("locust") is None:
        parser.error("Locust is not installed: run `make bench`, which installs the bench extra")
    failed = 0
    for name in args.scenarios or scenarios.available():
        try:
            result = run_scenario(name, args.users, args.duration, args.results, args.keep)
        except (BenchError, LookupError) as error:
            print(f"{name}: {error}", file=sys.stderr)
            failed += 1
            continue
        print(summary(result, args.results / f"{name}.json"), flush=True)
        failed += not result["passed"]
    return 1 if failed else 0
