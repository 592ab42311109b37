"""A gunicorn worker killed with SIGKILL in the middle of an exam loses nothing that was acknowledged.

Issue 9, "Faults": against a live server started exactly as ``make serve`` starts it (gunicorn, 2 workers
x 4 threads, gthread, a free port of 127.0.0.1), an instructor opens and assigns the timed test
``penalty-law-quiz-zh`` through the site; thirty seeded learners sign in through the real form, start it,
open each question, save each answer in the background as ``attempt.js`` does (POST ``.../answer`` with
the CSRF token, JSON reply), change two answers, and two in three submit (some after only a few answers,
so submissions come all through the run); the others leave their attempt open. Twice while they are in
flight (at 30 % and 85 % of the saves) the worker holding the most open connections is killed with
SIGKILL; a request cut off by a kill is retried once, as a person would. Afterwards, reading the
database directly:

- every attempt is graded or still open; every acknowledged submission is graded, exactly once;
- every acknowledged answer is stored exactly as sent (a later unacknowledged one may have replaced it);
- nobody got a second attempt from a retried start;
- no response was a 5xx or said "database is locked" (many writers at once on SQLite reach no user);
- the kills cut requests off, saves were acknowledged after them, gunicorn replaced the workers and
  ``/healthz`` answers 200.

Database: under ``make test``, a fresh SQLite file in the test's temporary folder (its write lock and
busy timeout are half of what this proves). With TEST_DATABASE_URL set, a fresh schema created in that
PostgreSQL database and dropped afterwards, so the worker kill is proved on PostgreSQL too. The data comes
from the real command line: ``flask db upgrade``, ``flask content sync``, ``flask bench seed --staff 200``
(the 200th seeded account is an instructor). The one shared password hash of the seed is made cheap
(``LEARNING_PASSWORD_HASH_METHOD``) and the per-address sign-in limit raised, as ``make bench`` does,
because all thirty people come from 127.0.0.1. The whole test is bounded to about 90 s.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from learning.audit import AuditEvent
from learning.benchmark import SEED_PASSWORD, staff_username
from learning.config import DEFAULTS, normalise_database_url
from learning.quizzes.models import Attempt, AttemptQuestion, Test

from ..conftest import TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # .venv/bin under `make test`
TEST_SLUG = "penalty-law-quiz-zh"  # timed (20 min), ten questions: single, multiple, true/false, fill
CONTENT_FILES = ("quizzes/penalty-law.zh.yaml", f"tests/{TEST_SLUG}.yaml")
TAKERS = 30
QUESTIONS = 10  # in the test's file
STAFF = 200
INSTRUCTOR = staff_username(STAFF)  # every 200th seeded account is an instructor
REVISED_POSITIONS = (1, 2)  # answers each taker changes after the first pass
KILLS_AT_SHARE = (0.3, 0.85)  # a worker is killed when these shares of the expected saves are acknowledged:
# first among autosaves, then as the first people submit
BUDGET_S = 87.0  # the whole test, set-up and teardown included, stays under 90 s ...
TEARDOWN_S = 8.0  # ... with this much of it kept for the checks and stopping the server
REQUEST_TIMEOUT_S = 25
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
OPTION = re.compile(r'name="response"\s+id="option-\d+"\s+value="(\d+)"')
POSITION = re.compile(r'data-position="(\d+)"')
LOCKED = "database is locked"


# --- the database, the command line and the server ------------------------------------------------

class Budget:
    """The test's time limit, counted from its first fixture: every wait and timeout is cut to fit in it."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + BUDGET_S

    def left(self, keep: float = TEARDOWN_S) -> float:
        """Seconds left, keeping ``keep`` for the checks and the teardown (negative when over)."""
        return self.deadline - keep - time.monotonic()


@pytest.fixture
def budget() -> Budget:
    """The test's clock (requested first, so set-up counts)."""
    return Budget()


@pytest.fixture
def database_url(budget, tmp_path):
    """A fresh, empty database: a SQLite file in ``tmp_path``, or a new schema on TEST_DATABASE_URL's database.

    On PostgreSQL the site's connections get the new schema as their search path, and the schema is dropped
    afterwards: a schema drops at once, where DROP DATABASE waits for a checkpoint of the whole (shared) server.
    """
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'exam.sqlite3'}"
        return
    server = sa.engine.make_url(normalise_database_url(TEST_DATABASE_URL))
    schema = f"worker_kill_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        yield server.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def flask_cli(budget: Budget, env: dict[str, str], *args: str) -> None:
    """``flask --app learning ARGS`` against the test's database; fails the test when it fails."""
    result = subprocess.run([str(BIN / "flask"), "--app", "learning", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=max(1.0, budget.left()), check=False)
    assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}"


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes(ppid: int | None = None, pgid: int | None = None) -> set[int]:
    """Live processes with parent ``ppid`` or in process group ``pgid``, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()  # state, ppid, pgrp, ...
            if fields[0] != "Z" and (int(fields[1]) == ppid or int(fields[2]) == pgid):
                found.add(int(stat.parent.name))
    return found


def open_connections(pid: int, port: int) -> int:
    """Established client connections to ``port`` that process ``pid`` holds (its requests in flight)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01" and fields[9] in inodes:
            count += 1
    return count


@dataclass
class Site:
    """The running gunicorn: its master process, port, log and the database it serves."""

    process: subprocess.Popen
    port: int
    log: Path
    database_url: str

    def workers(self) -> set[int]:
        return processes(ppid=self.process.pid)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def http_get(port: int, path: str, timeout: float = 5) -> int:
    """The status of a plain GET (no cookies)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.fixture
def site(budget, database_url, tmp_path):
    """The site served as ``make serve`` serves it, on a free port of 127.0.0.1; always stopped afterwards.

    The schema comes first; the workers boot while the content and the 200 seeded staff are loaded (the
    app reads nothing from the database when it starts), and nobody is let in before both are done. Only
    the test's own files are synced (its bank and its definition, copied from content/): syncing all the
    courses would take longer than the exam.
    """
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(32),
           "LEARNING_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
           "LEARNING_LOGIN_LIMIT_PER_ADDRESS": "1000000 per minute"}
    content = tmp_path / "content"
    for name in CONTENT_FILES:
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "content" / name, content / name)
    flask_cli(budget, env, "db", "upgrade")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    command = [str(BIN / "gunicorn"), "--workers", "2", "--threads", "4", "--worker-class", "gthread",
               "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "--no-control-socket",
               "learning:create_app()"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    running = Site(process, port, log, database_url)
    try:
        flask_cli(budget, env, "content", "sync", "--path", str(content))
        flask_cli(budget, env, "bench", "seed", "--staff", str(STAFF))
        while True:
            assert process.poll() is None, f"gunicorn did not start:\n{running.log_tail()}"
            with contextlib.suppress(OSError, http.client.HTTPException):
                if http_get(port, "/healthz") == 200 and len(running.workers()) == 2:
                    break
            assert budget.left() > 0, f"gunicorn did not answer:\n{running.log_tail()}"
            time.sleep(0.2)
        yield running
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (its own process group): quick shutdown, then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    for pid in processes(pgid=process.pid):  # a worker left behind by a master that died first
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# --- simulated people -----------------------------------------------------------------------------

@dataclass
class Reply:
    """What came back: status, redirect target (path and query) and body."""

    status: int
    location: str
    text: str


class Traffic:
    """Everything every person saw, shared by their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acknowledged = 0
        self.killed_at_ack: list[int] = []
        self.requests = 0
        self.cut: list[str] = []  # requests broken off (connection reset, closed): retried once
        self.server_errors: list[str] = []
        self.locked: list[str] = []

    def saw(self, method: str, path: str, reply: Reply) -> None:
        with self.lock:
            self.requests += 1
            if reply.status >= 500:
                self.server_errors.append(f"{method} {path} -> {reply.status}")
            if LOCKED in reply.text.lower():
                self.locked.append(f"{method} {path} -> {reply.status}")

    def broken(self, method: str, path: str, error: Exception) -> None:
        with self.lock:
            self.cut.append(f"{method} {path}: {type(error).__name__}: {error}")

    def ack(self) -> None:
        with self.lock:
            self.acknowledged += 1


class Browser:
    """One person's browser: cookies kept, one new connection per request, one retry when it breaks."""

    def __init__(self, port: int, traffic: Traffic) -> None:
        self.port = port
        self.traffic = traffic
        self.cookies: dict[str, str] = {}

    def _once(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            headers = dict(headers)
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for header in response.msg.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            location = response.getheader("Location") or ""
            if location:
                parts = urlsplit(location)
                location = parts.path + (f"?{parts.query}" if parts.query else "")
            return Reply(response.status, location, text)
        finally:
            connection.close()

    def request(self, method: str, path: str, form=None, headers: dict[str, str] | None = None) -> Reply:
        body = urlencode(form, doseq=True) if form is not None else None
        for attempt in (1, 2):
            try:
                reply = self._once(method, path, body, headers or {})
            except (ConnectionError, http.client.HTTPException) as error:
                self.traffic.broken(method, path, error)
                if attempt == 2:
                    raise
                time.sleep(0.3)
                continue
            self.traffic.saw(method, path, reply)
            return reply
        raise AssertionError("unreachable")

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, form, headers: dict[str, str] | None = None) -> Reply:
        return self.request("POST", path, form, headers)


def csrf_token(reply: Reply) -> str:
    match = CSRF.search(reply.text)
    assert match, f"no CSRF token in a {reply.status} page"
    return match.group(1)


def sign_in(browser: Browser, username: str, password: str) -> None:
    """Sign in through the real form with its CSRF token."""
    form = browser.get("/login")
    reply = browser.post("/login", {"csrf_token": csrf_token(form), "username": username, "password": password})
    assert reply.status == 302 and "/login" not in reply.location, f"{username} could not sign in ({reply.status})"


def answer_for(html: str, taker: int, position: int, revision: int):
    """The form values to send for the question on the page, and the response the server should store."""
    options = OPTION.findall(html)
    turn = taker + position + revision
    if 'type="checkbox" name="response"' in html:
        chosen = {options[(taker + revision) % len(options)], options[(taker + revision + 1) % len(options)]}
        return sorted(chosen), sorted(int(value) for value in chosen)
    if 'id="tf-true"' in html:
        value = "true" if turn % 2 == 0 else "false"
        return [value], value == "true"
    if 'type="radio" name="response"' in html:
        value = options[turn % len(options)]
        return [value], int(value)
    if 'name="response"' in html:  # fill in the blank (input) or short answer (textarea)
        text = f"答案 {taker}-{position}-{revision} ２００元"
        return [text], text
    raise AssertionError("no answer field on the question page")


@dataclass
class Save:
    """One background save: what was sent and whether the server acknowledged it."""

    position: int
    expected: object
    acknowledged: bool = False


@dataclass
class Taker:
    """One person taking the test, and what the server told them."""

    index: int
    username: str
    submits: bool
    answers: int  # how many questions they answer (in order) before they submit or stop
    attempt_id: int | None = None
    saves: list[Save] = field(default_factory=list)
    submitted: bool = False
    finished: bool = False
    failure: str | None = None

    def run(self, port: int, test_id: int, traffic: Traffic) -> None:
        try:
            self._take(Browser(port, traffic), test_id, traffic)
            self.finished = True
        except Exception as error:  # recorded and asserted on by the test
            self.failure = f"{self.username}: {type(error).__name__}: {error}"

    def _take(self, browser: Browser, test_id: int, traffic: Traffic) -> None:
        sign_in(browser, self.username, SEED_PASSWORD)
        detail = browser.get(f"/quizzes/tests/{test_id}")
        assert detail.status == 200, f"test page {detail.status}"
        started = browser.post(f"/quizzes/tests/{test_id}/start", {"csrf_token": csrf_token(detail)})
        match = re.fullmatch(r"/quizzes/attempts/(\d+)", started.location)
        assert started.status == 302 and match, f"start answered {started.status} {started.location!r}"
        self.attempt_id = int(match.group(1))
        base = f"/quizzes/attempts/{self.attempt_id}"
        page = browser.get(f"{base}?q=1")
        assert page.status == 200, f"question page {page.status}"
        token = csrf_token(page)
        count = max(int(position) for position in POSITION.findall(page.text))
        assert count == QUESTIONS, f"{count} questions in the attempt"
        passes = [(position, 0) for position in range(1, self.answers + 1)]
        passes += [(position, 1) for position in REVISED_POSITIONS if position <= self.answers]
        for position, revision in passes:
            if position != 1 or revision:
                page = browser.get(f"{base}?q={position}")
                assert page.status == 200, f"question {position}: {page.status}"
            values, expected = answer_for(page.text, self.index, position, revision)
            save = Save(position, expected)
            self.saves.append(save)
            reply = browser.post(f"{base}/answer",
                                 [("csrf_token", token), ("position", position), *[("response", v) for v in values]],
                                 headers={"X-CSRFToken": token, "Accept": "application/json"})
            assert reply.status == 200 and json.loads(reply.text).get("saved") is True, (
                f"save of question {position} answered {reply.status}: {reply.text[:200]}")
            save.acknowledged = True
            traffic.ack()
        if not self.submits:
            return  # still working on it when the test ends: the attempt stays open
        overview = browser.get(f"{base}?q=0")
        assert overview.status == 200, f"overview {overview.status}"
        reply = browser.post(f"{base}/submit", {"csrf_token": token})
        assert reply.status == 302 and reply.location == f"{base}/result", (
            f"submit answered {reply.status} {reply.location!r}")
        self.submitted = True
        result = browser.get(reply.location)
        assert result.status == 200, f"result page {result.status}"


# --- the test -------------------------------------------------------------------------------------

def open_and_assign(port: int, test_id: int, usernames: list[str], traffic: Traffic) -> None:
    """The instructor opens the test's window (local time) and assigns it to the takers, through the site."""
    browser = Browser(port, traffic)
    sign_in(browser, INSTRUCTOR, SEED_PASSWORD)
    settings = browser.get(f"/quizzes/manage/tests/{test_id}/settings")
    assert settings.status == 200, f"test settings page {settings.status}"
    local_now = datetime.now(ZoneInfo(DEFAULTS["BABEL_DEFAULT_TIMEZONE"])).replace(tzinfo=None)
    window = {"csrf_token": csrf_token(settings),
              "opens_at": (local_now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
              "closes_at": (local_now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")}
    reply = browser.post(f"/quizzes/manage/tests/{test_id}/settings", window)
    assert reply.status == 302, f"saving the window answered {reply.status}"
    form = browser.get(f"/quizzes/manage/tests/{test_id}/assign")
    assert form.status == 200, f"assign page {form.status}"
    reply = browser.post(f"/quizzes/manage/tests/{test_id}/assign", {
        "csrf_token": csrf_token(form), "department_id": "0", "staff_category": "",
        "usernames": " ".join(usernames), "due_on": (local_now + timedelta(days=1)).strftime("%Y-%m-%d"),
        "reason": "月度考试（模拟）"})
    assert reply.status == 302, f"assigning answered {reply.status}"


def kill_a_busy_worker(site: Site, traffic: Traffic, threshold: int, budget: Budget) -> int:
    """Once ``threshold`` saves are acknowledged, SIGKILL the worker holding the most requests in flight."""
    while traffic.acknowledged < threshold:
        assert budget.left() > 1, f"only {traffic.acknowledged} saves acknowledged before the kill"
        time.sleep(0.01)
    settle = time.monotonic() + 3
    while True:
        load = {pid: open_connections(pid, site.port) for pid in site.workers()}
        victim = max(load, key=load.get) if load else None
        if victim is not None and (load[victim] >= 2 or time.monotonic() > settle):
            break
        assert budget.left() > 1, "gunicorn has no worker to kill"
        time.sleep(0.01)
    os.kill(victim, signal.SIGKILL)
    traffic.killed_at_ack.append(traffic.acknowledged)
    return victim


def test_sigkill_of_a_worker_mid_exam_loses_no_acknowledged_answer(budget, site):
    """Thirty people save answers and submit while workers die: everything acknowledged is there, once."""
    began = time.monotonic()
    engine = sa.create_engine(normalise_database_url(site.database_url))
    try:
        with engine.connect() as connection:
            test_id = connection.execute(sa.select(Test.id).where(Test.slug == TEST_SLUG)).scalar_one()
        traffic = Traffic()
        # Two in three submit, some after only a few answers, so that submissions come all through the run.
        takers = [Taker(n, staff_username(n + 2), submits=n % 3 != 2,
                        answers=QUESTIONS if n % 3 == 2 else 3 + n % (QUESTIONS - 2)) for n in range(TAKERS)]
        open_and_assign(site.port, test_id, [taker.username for taker in takers], traffic)
        with engine.connect() as connection:
            window = connection.execute(sa.select(Test.opens_at, Test.closes_at).where(Test.id == test_id)).one()
        assert None not in window, "the instructor's window was not stored"

        threads = [threading.Thread(target=taker.run, args=(site.port, test_id, traffic), daemon=True)
                   for taker in takers]
        for thread in threads:
            thread.start()
        expected_saves = sum(taker.answers + len(REVISED_POSITIONS) for taker in takers)
        victims = {kill_a_busy_worker(site, traffic, int(expected_saves * share), budget) for share in KILLS_AT_SHARE}
        for thread in threads:
            thread.join(timeout=max(0.1, budget.deadline - TEARDOWN_S - time.monotonic()))
        stragglers = [taker.username for taker, thread in zip(takers, threads, strict=True) if thread.is_alive()]
        assert not stragglers, f"still running at the time limit: {stragglers}"

        # The site keeps answering: the master replaced the dead workers and /healthz says 200.
        while True:
            workers = site.workers()
            if len(workers) == 2 and not workers & victims:
                break
            assert budget.left(keep=4) > 0, f"the killed workers were not replaced: {workers}"
            time.sleep(0.1)
        assert http_get(site.port, "/healthz") == 200

        log = site.log.read_text(errors="replace")
        assert not traffic.locked, f"'{LOCKED}' reached people: {traffic.locked}"
        assert LOCKED not in log.lower(), "the server logged 'database is locked'"
        assert not traffic.server_errors, f"server errors: {traffic.server_errors}\n{site.log_tail()}"
        assert not [t.failure for t in takers if t.failure], (
            f"{[t.failure for t in takers if t.failure]}\nbroken off: {traffic.cut}\n{site.log_tail()}")
        assert traffic.cut, "the kill broke off no request: nothing was in flight on the killed worker"
        assert traffic.acknowledged > traffic.killed_at_ack[-1], "no save was acknowledged after the last kill"

        check_database(engine, test_id, takers)
        print(f"requests {traffic.requests}, saves acknowledged {traffic.acknowledged} "
              f"(kills at {traffic.killed_at_ack}), broken off and retried {len(traffic.cut)} "
              f"({sum('/submit' in cut for cut in traffic.cut)} submissions), "
              f"taking {time.monotonic() - began:.1f} s")
    finally:
        engine.dispose()
    assert budget.left(keep=3) > 0, f"over the {BUDGET_S:.0f} s time limit"


def check_database(engine, test_id: int, takers: list[Taker]) -> None:
    """Every attempt graded or open, graded at most once; every acknowledged answer stored as sent."""
    with engine.connect() as connection:
        attempts = connection.execute(
            sa.select(Attempt.id, Attempt.user_id, Attempt.status, Attempt.score, Attempt.submitted_at)
            .where(Attempt.test_id == test_id)).all()
        usernames = dict(connection.execute(sa.text('SELECT id, username FROM "user"')).all())
        items = connection.execute(
            sa.select(AttemptQuestion.attempt_id, AttemptQuestion.position, AttemptQuestion.response_text,
                      AttemptQuestion.score)
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id).where(Attempt.test_id == test_id)).all()
        submissions = dict(connection.execute(
            sa.select(AuditEvent.target_id, sa.func.count(AuditEvent.id))
            .where(AuditEvent.action == "attempt.submitted", AuditEvent.target_type == "Attempt")
            .group_by(AuditEvent.target_id)).all())

    by_user: dict[str, list] = {}
    for row in attempts:
        by_user.setdefault(usernames[row.user_id], []).append(row)
    stored: dict[int, dict[int, tuple]] = {}
    for item in items:
        stored.setdefault(item.attempt_id, {})[item.position] = (item.response_text, item.score)

    problems = []
    for row in attempts:
        status = str(row.status)
        if status not in ("open", "graded"):
            problems.append(f"attempt {row.id} is {status}, neither graded nor open")
        graded_times = submissions.get(str(row.id), 0)
        if status == "graded":
            if graded_times != 1:
                problems.append(f"attempt {row.id} was submitted and graded {graded_times} times")
            scores = [score for _, score in stored[row.id].values()]
            if None in scores or abs(sum(scores) - (row.score or 0)) > 1e-3:
                problems.append(f"attempt {row.id}: score {row.score} is not the sum of its answers {scores}")
        elif graded_times or row.submitted_at is not None:
            problems.append(f"attempt {row.id} is open but was submitted")

    for taker in takers:
        rows = by_user.get(taker.username, [])
        if len(rows) != 1 or rows[0].id != taker.attempt_id:
            problems.append(f"{taker.username}: attempts {[r.id for r in rows]}, the site gave {taker.attempt_id}")
            continue
        status = str(rows[0].status)
        if taker.submitted and status != "graded":
            problems.append(f"{taker.username}: submission acknowledged but the attempt is {status}")
        if not taker.submits and status != "open":
            problems.append(f"{taker.username}: never submitted but the attempt is {status}")
        answers = stored[taker.attempt_id]
        for position in sorted(answers):
            text = answers[position][0]
            value = None if text is None else json.loads(text)
            sent = [save for save in taker.saves if save.position == position]
            acked = [index for index, save in enumerate(sent) if save.acknowledged]
            # The last acknowledged answer, or one sent after it whose reply was lost, must be stored.
            allowed = [save.expected for save in sent[acked[-1]:]] if acked else [None, *[s.expected for s in sent]]
            if json.dumps(value) not in [json.dumps(option) for option in allowed]:
                problems.append(f"{taker.username} question {position}: stored {value!r}, expected one of {allowed!r}")
    assert not problems, "\n".join(problems)
