"""Hostile text: the XSS corpus written through every free-text field, then every page showing it opened.

The corpus (tests/security/xss_corpus.py, plus variants calling ``hx()``) goes through the services and
content loaders into lessons, questions, answers, case files, findings, talks, notes, letters, reflections,
evaluation notes, appeals, display names and department names (tests/security/hostile_seed.py). Each
signed-in role then fetches every GET page of the site; every page is parsed for surviving handlers,
foreign scripts and script URLs, and every page that shows hostile text is opened in headless Chromium
with the CSP switched off (so the sanitiser alone must stop the script), failing on any dialog, page error
or ``window.__xss`` count. The exports are checked for formula injection.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from learning.extensions import db

from ..security.hostile_seed import ALL_PAYLOADS, seed
from .conftest import sign_in

pytestmark = pytest.mark.browser

MARKER = re.compile(r"HX\d{3}")
SITE_SCRIPTS = ("/static/", "/bootstrap/static/", "/quizzes/attempt.js")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster", "srcset",
                  "lowsrc", "dynsrc", "codebase", "cite", "longdesc", "ping"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
FOREIGN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}
SKIPPED_ENDPOINTS = {"static", "bootstrap.static", "core.healthz", "quizzes.script", "courses.certificate_download",
                     "people.login"}
EXPORT_ENDPOINTS = {"appraisal.export_evaluations", "appraisal.export_ranking", "appraisal.export_registry",
                    "courses.export_attendance", "courses.export_my_hours", "courses.export_ledger",
                    "quizzes.export", "reviews.bulletin_export"}
# The roles who see the fields: writers, readers, managers (and the people the records are about).
VIEWERS = ("admin", "hr", "reviewer", "instructor", "mentor", "cadre", "c1001", "c1005")
INIT_SCRIPT = """
window.__xss = 0;
window.__xssWhere = [];
window.hx = function () { window.__xss += 1; window.__xssWhere.push("hx " + new Error().stack); };
for (const name of ["alert", "confirm", "prompt", "print"]) {
  const original = window[name];
  window[name] = function () {
    window.__xss += 1;
    window.__xssWhere.push(name + " " + new Error().stack);
    return original.apply(this, arguments);
  };
}
"""


class _Inspector(HTMLParser):
    """Collects script-capable leftovers of a page, each placed after the last hostile-text marker seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.marker = "(before any hostile text)"
        self.inline_script: list[str] | None = None

    def handle_data(self, data):
        if self.inline_script is not None:
            self.inline_script.append(data)
            return
        found = MARKER.findall(data)
        if found:
            self.marker = found[-1]

    def _problem(self, what: str) -> None:
        self.problems.append(f"{what} at line {self.getpos()[0]}, after {self.marker}")

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self._problem(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and value:
                squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                if squeezed.startswith(BAD_SCHEMES):
                    self._problem(f"<{tag} {name}={value!r}>")
            if name == "srcdoc":
                self._problem(f"<{tag} srcdoc>")
        if tag == "script":
            src = re.sub(r"^https?://[^/]+", "", values.get("src") or "")
            if not values.get("src"):
                self.inline_script = []
            elif not src.startswith(SITE_SCRIPTS):
                self._problem(f"<script src={values.get('src')!r}>")
        if tag in FOREIGN_TAGS:
            self._problem(f"<{tag}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self._problem("<meta http-equiv=refresh>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script" and self.inline_script is not None:
            text = "".join(self.inline_script)
            self.inline_script = None
            self._problem(f"<script>{text[:80]!r}")


def page_problems(html: str) -> list[str]:
    """Handlers, foreign scripts and script URLs surviving in ``html``."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def test_inspector_finds_what_it_looks_for():
    """The parser check itself catches each kind of leftover (so a clean page means something)."""
    assert page_problems('<img src=x onerror="alert(1)">')
    assert page_problems('<a href=" java\tscript:alert(1)">x</a>')
    assert page_problems('<a href="data:text/html,x">x</a>')
    assert page_problems("<script>alert(1)</script>")
    assert page_problems('<script src="//evil.example/x.js"></script>')
    assert page_problems('<iframe srcdoc="x"></iframe>')
    assert page_problems("<svg><script>window.pygal = {};alert(1)</script></svg>")
    assert not page_problems('<script src="/static/js/app.js"></script><a href="/courses">x</a>'
                             "<p>&lt;img src=x onerror=alert(1)&gt;</p>")


def test_browser_check_sees_script_that_runs(browser):
    """The browser harness notices a handler that runs, by dialog and by window.__xss."""
    context = browser.new_context(bypass_csp=True)
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_content('<img src="data:," onerror="alert(1)"><img src="data:," onerror="hx()">')
    page.wait_for_function("window.__xss >= 2")
    context.close()
    assert dialogs == ["1"]


def _urls(app, ids: dict) -> list[str]:
    """Every GET page of the app, with its arguments filled from the objects the seed wrote."""
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS | EXPORT_ENDPOINTS:
                continue
            arguments = sorted(rule.arguments)
            if any(name not in ids for name in arguments):
                continue
            for values in itertools.product(*(ids[name] for name in arguments)):
                urls.append(url_for(rule.endpoint, **dict(zip(arguments, values, strict=True))))
    return list(dict.fromkeys(urls))


def _context(browser, live_server):
    """A browser context with the CSP switched off, failing on dialogs and page errors."""
    context = browser.new_context(locale="en-US", bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.add_init_script(INIT_SCRIPT)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{page.url}: page error {error}"))
    page.on("dialog", lambda dialog: (errors.append(f"{page.url}: dialog {dialog.message!r}"), dialog.dismiss()))
    page.base_url = live_server.url
    return context, page, errors


def test_hostile_text_never_runs_or_survives(browser, live_server, tmp_path):
    """Every page that shows a free-text field, opened by everyone who sees it: no script, no handler."""
    seeded = seed(live_server.app, tmp_path / "content")
    ids = dict(seeded.ids)
    viewers = list(dict.fromkeys(VIEWERS + tuple(ids.pop("handler")) + tuple(ids.pop("appraised"))))
    urls = _urls(live_server.app, ids)
    problems: list[str] = []
    shown: dict[str, set[str]] = {}  # field -> pages where its text was rendered in the browser
    rendered: dict[str, set[str]] = {}  # url -> markers already seen rendered there
    failures: list[str] = []
    errors_seen: list[str] = []
    for username in viewers:
        context, page, errors = _context(browser, live_server)
        own = {seeded.own[username]} if username in seeded.own else set()
        try:
            sign_in(page, username)
            for url in urls:
                response = page.request.get(live_server.url + url, max_redirects=0)
                if response.status >= 500:
                    failures.append(f"{username} {url}: HTTP {response.status}")
                if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
                    continue
                html = response.text()
                problems += [f"{username} {url}: {p}" for p in page_problems(html)]
                markers = set(MARKER.findall(html))
                # the viewer's own name is in every page's header: open it once, on the dashboard
                known = rendered.get(url, set()) | (own if url != "/" else set())
                if not markers or markers <= known:
                    continue
                browser_response = page.goto(live_server.url + url)
                page.wait_for_load_state("load")
                if page.evaluate("window.__xss") != 0:
                    failures.append(f"{username} {url}: script ran: {page.evaluate('window.__xssWhere')}")
                problems += [f"{username} {url} (browser): {p}" for p in page_problems(browser_response.text())]
                rendered.setdefault(url, set()).update(markers)
                for marker in markers:
                    shown.setdefault(seeded.fields[marker], set()).add(url)
        finally:
            context.close()
            errors_seen += errors
    assert not failures, failures
    assert not errors_seen, errors_seen
    assert not problems, problems[:40]
    # every field was found on some page, and every payload was in a text that was shown
    assert seeded.field_names() - set(shown) == set(), sorted(seeded.field_names() - set(shown))
    # (a payload's own marker may be swallowed by the payload before it, e.g. an unclosed <style>, so a
    # payload counts as shown when a field that holds it was shown)
    unseen = [ALL_PAYLOADS[index] for index, markers in seeded.payload_use.items()
              if not any(seeded.fields[marker] in shown for marker in markers)]
    assert not unseen, unseen


# --- exports: formula injection -------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+SUM(1,2)", "-2+3+cmd|' /C calc'!A0", "@SUM(1,1)",
            "=1+1", "\t=1+1"]


def _cells(response) -> list[str]:
    """Every text cell of an exported .xlsx or .csv."""
    if response.mimetype.startswith("text/csv"):
        text = response.get_data().decode("utf-8-sig")
        return [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    workbook = load_workbook(io.BytesIO(response.get_data()))
    cells = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cells.append(f"FORMULA {cell.value}")
                elif isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells


def test_exports_neutralise_formulas(demo_app):
    """Names and texts that look like formulas come out of every .xlsx and .csv export as plain text."""
    import sqlalchemy as sa

    from learning.appraisal.models import AuxiliaryStaff, ScorecardPeriod
    from learning.courses.models import ClassSession
    from learning.integrity.models import LetterVersion
    from learning.people import services as people
    from learning.people.models import Department, User
    from learning.quizzes.models import Attempt, Test
    from learning.reviews.models import ReviewCycle

    with demo_app.app_context():
        admin = people.find_user("admin")
        users = db.session.execute(sa.select(User).order_by(User.id)).scalars().all()
        for user, formula in zip(users, itertools.cycle(FORMULAS), strict=False):
            people.update_account(admin, user, display_name=formula)
        for department, formula in zip(db.session.execute(sa.select(Department)).scalars(), itertools.cycle(FORMULAS),
                                       strict=False):
            department.name = formula  # as the department form saves it (there is no rename service)
        for record, formula in zip(db.session.execute(sa.select(AuxiliaryStaff)).scalars(), itertools.cycle(FORMULAS),
                                   strict=False):
            record.name, record.emergency_contact = formula, formula
        for session, formula in zip(db.session.execute(sa.select(ClassSession)).scalars(), itertools.cycle(FORMULAS),
                                    strict=False):
            session.title, session.place = formula, formula
        # a question text (item analysis) and a finding and case title in a newly published bulletin
        from learning.quizzes.loader import add_version
        from learning.quizzes.models import Question
        from learning.reviews import services as reviews
        from learning.reviews.models import CycleStatus, ReviewAssignment

        for question, formula in zip(db.session.execute(sa.select(Question)).scalars().all(),
                                     itertools.cycle(FORMULAS), strict=False):
            version = question.current_version
            add_version(question, {"type": str(version.type), "difficulty": version.difficulty,
                                   "points": version.points, "tags": json.loads(version.tags_text), "text": formula,
                                   "options": json.loads(version.options_text), "scoring": version.scoring,
                                   "answer": version.answer_bool, "answers": json.loads(version.answers_text),
                                   "rubric": version.rubric, "explanation": version.explanation,
                                   "source": version.source})
        cycle = db.session.execute(sa.select(ReviewCycle).where(
            ReviewCycle.status != CycleStatus.published)).scalar_one()
        for file, formula in zip(reviews.cycle_files(cycle), itertools.cycle(FORMULAS), strict=False):
            file.case.title = formula
        waiting = db.session.execute(sa.select(ReviewAssignment).where(
            ReviewAssignment.submitted_at.is_(None))).scalar_one()
        reviews.submit_score(waiting.reviewer, waiting, reviews.ScoreInput(findings=[(None, FORMULAS[0])],
                                                                           summary=FORMULAS[1]))
        reviews.publish_cycle(waiting.reviewer, cycle)
        year = db.session.execute(sa.select(ClassSession.starts_at)).scalars().first().year
        tests = db.session.execute(sa.select(Attempt.test_id).distinct()).scalars().all()
        periods = db.session.execute(sa.select(ScorecardPeriod.id)).scalars().all()
        months = db.session.execute(sa.select(ReviewCycle.month).where(
            ReviewCycle.bulletin.is_not(None))).scalars().all()
        versions = db.session.execute(sa.select(LetterVersion.id).where(
            LetterVersion.is_current.is_(True))).scalars().all()
        assert db.session.execute(sa.select(sa.func.count(Test.id))).scalar() and periods and months and versions
        db.session.commit()
    exports = {
        "hr": ["/appraisal/evaluations/export?fmt={fmt}", "/appraisal/registry/export?fmt={fmt}",
               "/appraisal/registry/export?full=1&fmt={fmt}", f"/classes/attendance/export?year={year}&fmt={{fmt}}",
               f"/training/ledger/export?year={year}&fmt={{fmt}}", "/training/export?fmt={fmt}",
               "/mentorship/report?fmt={fmt}"]
        + [f"/appraisal/scorecards/periods/{p}/export?fmt={{fmt}}" for p in periods]
        + [f"/integrity/versions/{v}/unsigned?fmt={{fmt}}" for v in versions],
        "instructor": [f"/quizzes/manage/tests/{t}/export/{{fmt}}" for t in tests]
        + [f"/quizzes/manage/tests/{t}/export/{{fmt}}?table=items" for t in tests],
        "cadre": [f"/reviews/{m}/export?fmt={{fmt}}" for m in months] + ["/training/export?fmt={fmt}"],
    }
    hits = {endpoint: 0 for endpoint in EXPORT_ENDPOINTS | {"mentorship.report", "integrity.unsigned"}}
    unsafe = []
    adapter = demo_app.url_map.bind("localhost")
    for username, urls in exports.items():
        client = demo_app.test_client()
        client.login(username)
        if username == "hr":  # the full-data export asks for the password again first
            client.post_form("/account/confirm", {"password": "demo"})
        for url in urls:
            for fmt in ("xlsx", "csv"):
                response = client.get(url.format(fmt=fmt))
                assert response.status_code == 200, (username, url, fmt, response.status_code)
                for cell in _cells(response):
                    if cell.startswith("FORMULA") or cell.startswith(("=", "+", "@", "\t", "\r")) or (
                            cell.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", cell)):
                        unsafe.append((url, fmt, cell))
                    endpoint = adapter.match(url.format(fmt=fmt).partition("?")[0])[0]
                    hits[endpoint] += any(formula.lstrip("\t") in cell for formula in FORMULAS)
    assert not unsafe, unsafe[:20]
    assert all(hits.values()), f"every export shows some planted text: {hits}"
