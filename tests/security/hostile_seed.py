"""Hostile text written through the services (and content files) into every free-text field of the site.

``seed(app, content_dir)`` spreads the XSS corpus over the fields, each text carrying markers
(``HX001`` …) that say which field it came from, and returns the markers and the ids of the objects
written, so that a test can find the pages that show them. Used by tests/browser/test_hostile_text.py.
"""

from __future__ import annotations

import itertools
import json
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from learning.audit import utcnow
from learning.extensions import db

from .xss_corpus import PAYLOADS

REPO = Path(__file__).resolve().parents[2]

# Each payload that calls alert(1) also comes as a variant calling hx(), which the browser test defines to
# count into window.__xss: a script that runs is caught even where no dialog would open.
VARIANTS = [payload.replace("alert(1)", "hx()") for payload in PAYLOADS if "alert(1)" in payload]
ALL_PAYLOADS = PAYLOADS + VARIANTS
SHORT_PAYLOADS = [payload for payload in ALL_PAYLOADS if len(payload) <= 36 and "\n" not in payload]


@dataclass
class Seeded:
    """What was written: marker -> field, and the ids the pages need."""

    fields: dict[str, str] = field(default_factory=dict)  # marker -> field name
    payload_use: dict[int, list[str]] = field(default_factory=dict)  # payload index -> markers
    ids: dict[str, list] = field(default_factory=dict)  # url argument name -> values
    own: dict[str, str] = field(default_factory=dict)  # username -> the marker of their display name

    def field_names(self) -> set[str]:
        """Every field that received hostile text."""
        return set(self.fields.values())


class _Writer:
    """Hands out hostile texts, tagging each with a fresh marker."""

    def __init__(self, seeded: Seeded):
        self.seeded = seeded
        self.counter = itertools.count(1)
        self.long_cycle = itertools.cycle(range(len(ALL_PAYLOADS)))
        self.short_cycle = itertools.cycle(SHORT_PAYLOADS)

    def _marker(self, field_name: str, index: int) -> str:
        marker = f"HX{next(self.counter):03d}"
        self.seeded.fields[marker] = field_name
        self.seeded.payload_use.setdefault(index, []).append(marker)
        return marker

    def long(self, field_name: str, count: int = 6) -> str:
        """A Markdown text with ``count`` payloads in turn from the whole corpus, each after its marker."""
        parts = [f"Ordinary *text* of {field_name}."]
        for _ in range(count):
            index = next(self.long_cycle)
            parts.append(f"{self._marker(field_name, index)}\n\n{ALL_PAYLOADS[index]}")
        return "\n\n".join(parts)

    def short(self, field_name: str, limit: int = 80) -> str:
        """A one-line text (a name, a title) with one short payload, within ``limit`` characters."""
        payload = next(self.short_cycle)
        while len(payload) + 6 > limit:
            payload = next(self.short_cycle)
        return f"{self._marker(field_name, ALL_PAYLOADS.index(payload))} {payload}"


def _user(username: str):
    from learning.people.models import User

    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one()


def _write_content(writer: _Writer, content_dir: Path) -> None:
    """A course and a question bank with a test, as content files beside copies of the real ones."""
    shutil.copytree(REPO / "content" / "courses", content_dir / "courses")
    course = content_dir / "courses" / "hostile-text-en"
    course.mkdir()
    front = {"title": writer.short("course title", 200), "summary": writer.short("course summary", 200),
             "category": "integrity", "audience": "all", "credit_hours": 1, "language": "en",
             "group": "hostile-text"}
    (course / "course.md").write_text("---\n" + "".join(f"{key}: {json.dumps(value)}\n" for key, value in front.items())
                                      + "---\n" + writer.long("course intro") + "\n", encoding="utf-8")
    for number in (1, 2):
        (course / f"0{number}-lesson.md").write_text(
            f"---\ntitle: {json.dumps(writer.short('lesson title', 200))}\nminutes: 5\n---\n"
            + writer.long("lesson body", 8) + "\n", encoding="utf-8")
    (content_dir / "quizzes").mkdir()
    bank = {"bank": "hostile", "language": "en", "title": "Hostile bank", "questions": [
        {"key": "hx-short", "type": "short", "text": writer.long("question text"),
         "rubric": writer.long("question rubric"), "explanation": writer.long("question explanation"),
         "source": writer.short("question source", 200), "points": 10},
        {"key": "hx-single", "type": "single", "text": writer.long("question text"),
         "options": [{"text": writer.long("question option", 2), "correct": True},
                     {"text": writer.long("question option", 2)}],
         "explanation": writer.long("question explanation")},
        {"key": "hx-fill", "type": "fill", "text": writer.long("question text", 3),
         "answers": [writer.short("fill-in accepted answer", 200)],
         "explanation": writer.long("question explanation", 3)},
    ]}
    (content_dir / "quizzes" / "hostile.en.yaml").write_text(json.dumps(bank, ensure_ascii=False), encoding="utf-8")
    (content_dir / "tests").mkdir()
    test = {"slug": "hostile-en", "title": writer.short("test title", 200), "language": "en",
            "description": writer.long("test description"), "mode": "fixed",
            "questions": ["hostile/hx-short", "hostile/hx-single", "hostile/hx-fill"], "attempts_allowed": 0,
            "pass_mark": 50, "review": "after_submit", "audience": "all"}
    (content_dir / "tests" / "hostile-en.yaml").write_text(json.dumps(test, ensure_ascii=False), encoding="utf-8")


def _courses(writer: _Writer, seeded: Seeded, content_dir: Path) -> None:
    from learning.courses import loader
    from learning.courses import services as courses
    from learning.courses.models import Audience, Course, Lesson

    report = loader.sync_courses(content_dir)
    assert not report.errors, report.errors
    course = db.session.execute(sa.select(Course).where(Course.slug == "hostile-text-en")).scalar_one()
    lessons = db.session.execute(sa.select(Lesson).where(Lesson.course_id == course.id)).scalars().all()
    cadre = _user("cadre")
    courses.enrol(cadre, course)
    courses.mark_lesson_done(cadre, lessons[0])
    instructor = _user("instructor")
    starts = utcnow().replace(microsecond=0) + timedelta(days=3)
    session = courses.create_session(
        instructor, title=writer.short("class title", 200), description=writer.long("class description"),
        course_id=course.id, starts_at=starts, ends_at=starts + timedelta(hours=2),
        place=writer.short("class place", 200), instructor_id=instructor.id, capacity=30, audience=Audience.all,
        credit_hours=2.0)
    courses.register(cadre, session)
    seeded.ids.update(slug=[course.slug], key=[lesson.key for lesson in lessons], session_id=[session.id])


def _quizzes(writer: _Writer, seeded: Seeded, content_dir: Path) -> None:
    from learning.content import SyncReport
    from learning.quizzes import loader
    from learning.quizzes import services as quizzes
    from learning.quizzes.models import AttemptQuestion, Question, QuestionType, Test

    report = SyncReport()
    loader.sync_bank(content_dir / "quizzes" / "hostile.en.yaml", report)
    known = {tuple(row) for row in db.session.execute(sa.select(Question.bank, Question.key, Question.language))}
    fields = loader.parse_test(content_dir / "tests" / "hostile-en.yaml", known)
    test = Test(content_hash=loader._hash(fields), **fields)  # as loader.sync_tests creates a new test
    db.session.add(test)
    db.session.flush()
    attempts = {}
    for username in ("cadre", "c1001", "c1005"):
        user = _user(username)
        attempt = quizzes.start_attempt(user, test)
        for item in attempt.items:
            kind = item.version.type
            if kind == QuestionType.short:
                raw = [writer.long("short answer given", 4)]
            elif kind == QuestionType.fill:
                raw = [writer.short("fill-in answer given", 200)]
            else:
                raw = ["0"]
            assert quizzes.save_answer(attempt, item, raw), (username, kind)
        attempts[username] = attempt
    # cadre's attempt stays open (its saved answers re-shown in the form); c1001's waits for grading;
    # c1005's is graded with feedback.
    instructor = _user("instructor")
    for username in ("c1001", "c1005"):
        assert quizzes.submit_attempt(attempts[username])
    db.session.flush()
    item = db.session.execute(sa.select(AttemptQuestion).where(
        AttemptQuestion.attempt_id == attempts["c1005"].id, AttemptQuestion.needs_grading.is_(True))).scalar_one()
    quizzes.grade_answer(instructor, item, 5, writer.long("grader feedback", 4))
    waiting = db.session.execute(sa.select(AttemptQuestion.id).where(
        AttemptQuestion.attempt_id == attempts["c1001"].id, AttemptQuestion.needs_grading.is_(True))).scalar_one()
    question_ids = db.session.execute(sa.select(Question.id).where(Question.bank == "hostile")).scalars().all()
    seeded.ids.update(test_id=[test.id], attempt_id=[a.id for a in attempts.values()], item_id=[waiting],
                      question_id=list(question_ids))


def _reviews(writer: _Writer, seeded: Seeded) -> None:
    from learning.reviews import services as reviews
    from learning.reviews.models import RectificationNotice, ReviewAssignment, ReviewCycle

    reviewer = _user("reviewer")
    assignment = db.session.execute(sa.select(ReviewAssignment).where(
        ReviewAssignment.reviewer_id == reviewer.id, ReviewAssignment.submitted_at.is_(None))).scalar_one()
    case = assignment.file.case
    lead = next(handler.user for handler in case.handlers if handler.is_lead)
    co = [handler.user for handler in case.handlers if not handler.is_lead]
    parties = [reviews.PartyData(name=writer.short("party name", 120), id_number="110101199001011234",
                                 phone="13900000000", address=writer.short("party address", 200)),
               reviews.PartyData(name=writer.short("party name", 120)),
               reviews.PartyData(name=writer.short("party name", 120), plate=writer.short("party plate", 32))]
    reviews.save_case(reviewer, case, case_number=case.case_number, squad=case.squad, lead=lead, co_handlers=co,
                      parties=parties, title=writer.short("case title", 200), facts=writer.long("case facts", 8),
                      legal_basis=writer.long("case legal basis", 4),
                      confiscation=writer.short("case confiscation", 200))
    rubric = reviews.load_rubric(assignment.file.cycle.rubric_id)
    criterion = rubric.sections[0].criteria[0]
    tags = rubric.problem_tags
    entry = reviews.ScoreInput(deductions=[(criterion.id, 4, writer.long("deduction reason", 2))],
                               findings=[(tags[0].id, writer.long("finding", 4)), (None, writer.long("finding", 4))],
                               summary=writer.long("review summary", 4), is_rectification_requested=True)
    reviews.submit_score(reviewer, assignment, entry)
    cycle = assignment.file.cycle
    reviews.publish_cycle(reviewer, cycle)
    reviews.add_erratum(reviewer, cycle, writer.long("erratum text", 3), writer.long("erratum reason", 3))
    notice = db.session.execute(sa.select(RectificationNotice).where(
        RectificationNotice.case_id == case.id)).scalars().first()
    assert notice is not None, "publishing with rectification requested sends a notice"
    reviews.answer_notice(lead, notice, writer.long("notice response", 4))
    reviews.decide_notice(reviewer, notice, False, writer.long("notice decision note", 4))
    cycles = db.session.execute(sa.select(ReviewCycle)).scalars().all()
    seeded.ids.update(case_id=[case.id], assignment_id=[assignment.id], cycle_id=[c.id for c in cycles],
                      month=[c.month for c in cycles], notice_id=[notice.id], handler=[lead.username])


def _mentorship(writer: _Writer, seeded: Seeded) -> None:
    from learning.mentorship import services as mentorship
    from learning.mentorship.models import Pairing, TalkKind

    mentor = _user("mentor")
    pairing = db.session.execute(sa.select(Pairing).where(Pairing.mentor_id == mentor.id)).scalars().first()
    talk = mentorship.log_talk(mentor, pairing, date.today(), 45, TalkKind.coaching, writer.short("talk topics", 200),
                               writer.long("talk summary"), private_note=writer.long("private note"))
    mentorship.log_talk(mentor, pairing, date.today(), 30, TalkKind.case_walkthrough, writer.short("talk topics", 200),
                        writer.long("talk summary"))
    note = mentorship.add_private_note(mentor, talk, writer.long("private note"))
    event = mentorship.create_sharing_event(_user("hr"), mentor, writer.short("sharing topic", 200), date.today(),
                                            place=writer.short("sharing place", 120),
                                            summary=writer.long("sharing summary"))
    mentorship.record_attendance(_user("hr"), event, ["cadre", "c1001"])
    seeded.ids.update(pairing_id=[pairing.id], talk_id=[talk.id], note_id=[note.id], event_id=[event.id])


def _integrity(writer: _Writer, seeded: Seeded) -> None:
    from learning.integrity import services as integrity
    from learning.integrity.models import Audience, BookPresentation

    hr = _user("hr")
    letter = integrity.create_letter(hr, writer.short("letter title", 200), date.today().year, Audience.all,
                                     writer.long("letter version text", 8))
    version = integrity.draft_of(letter)
    integrity.publish_version(hr, version)
    cadre = _user("cadre")
    signature = integrity.sign_online(cadre, version, cadre.display_name)
    signing = integrity.create_collective_signing(hr, version, date.today(),
                                                  writer.short("collective signing place", 120))
    integrity.record_paper_signatures(hr, signing, ["c1001"])
    book = integrity.create_book(hr, writer.short("book title", 200), writer.short("book author", 120),
                                 writer.short("book publisher", 120), writer.long("book description"))
    presentations, _unknown = integrity.present_book(hr, book, ["cadre", "c1001"], date.today(),
                                                     writer.short("presentation occasion", 200))
    for presentation in presentations:
        integrity.write_reflection(presentation.recipient, presentation, writer.long("book reflection"))
    old = db.session.execute(sa.select(BookPresentation).where(
        BookPresentation.recipient_id == cadre.id, BookPresentation.reflection_at.is_(None))).scalars().all()
    for presentation in old:
        integrity.write_reflection(cadre, presentation, writer.long("book reflection"))
    seeded.ids.update(letter_id=[letter.id], version_id=[version.id], signature_id=[signature.id],
                      signing_id=[signing.id], book_id=[book.id] + [p.book_id for p in old],
                      presentation_id=[p.id for p in presentations + old])


def _appraisal(writer: _Writer, seeded: Seeded) -> None:
    from learning.appraisal import services as appraisal
    from learning.appraisal.models import CriterionKind, Evaluation, EvaluationStatus, Scorecard, ScorecardPeriod

    hr = _user("hr")
    draft = db.session.execute(sa.select(Evaluation).where(
        Evaluation.status == EvaluationStatus.draft)).scalars().first()
    entries = {row.id: (row.max_points / 2, writer.long("evaluation manual-score note", 3))
               for row in draft.scores if row.kind == CriterionKind.manual}
    assert appraisal.save_manual_scores(hr, draft, entries) == []
    appraisal.finalise(hr, draft)
    appraisal.file_appeal(draft.user, draft, writer.long("appeal reason"))  # left open for HR's list
    cadre = _user("cadre")
    finalised = db.session.execute(sa.select(Evaluation).where(
        Evaluation.user_id == cadre.id, Evaluation.status == EvaluationStatus.finalised)).scalars().first()
    answered = appraisal.file_appeal(cadre, finalised, writer.long("appeal reason"))
    new_version = appraisal.answer_appeal(hr, answered, True, writer.long("appeal answer"))
    cards = db.session.execute(sa.select(Scorecard.id).where(Scorecard.user_id == cadre.id)).scalars().all()
    periods = db.session.execute(sa.select(ScorecardPeriod.id)).scalars().all()
    seeded.ids.update(evaluation_id=[draft.id, finalised.id] + ([new_version.id] if new_version else []),
                      card_id=list(cards), period_id=list(periods),
                      scheme_id=[draft.scheme_id] if draft.scheme_id else [],
                      appraised=[draft.user.username])


def _people(writer: _Writer, seeded: Seeded) -> None:
    from learning.people import services as people
    from learning.people.models import DepartmentKind

    admin = _user("admin")
    departments = [people.create_department(admin, f"hx{number}", writer.short("department name", 120),
                                            DepartmentKind.squad) for number in (1, 2, 3)]
    moved = {"c1002": departments[0], "a2001": departments[1], "c1003": departments[2]}
    renamed = ["cadre", "c1001", "c1002", "c1005", "mentor", "reviewer2", "a2001", "mentor2", "c1003"]
    for username in renamed:
        changes = {"display_name": writer.short("account display name", 80)}
        seeded.own[username] = changes["display_name"].split()[0]
        if username in moved:
            changes["department"] = moved[username]
        people.update_account(admin, _user(username), **changes)
    seeded.ids.update(department_id=[department.id for department in departments],
                      user_id=[_user(name).id for name in ("cadre", "c1002")])


def seed(app, content_dir: Path) -> Seeded:
    """Write the corpus through every feature's services; commit; return what was written where."""
    seeded = Seeded()
    writer = _Writer(seeded)
    with app.app_context():
        _write_content(writer, content_dir)
        _people(writer, seeded)
        _courses(writer, seeded, content_dir)
        _quizzes(writer, seeded, content_dir)
        _reviews(writer, seeded)
        _mentorship(writer, seeded)
        _integrity(writer, seeded)
        _appraisal(writer, seeded)
        db.session.commit()
        db.session.remove()
    missing = [index for index in range(len(ALL_PAYLOADS)) if index not in seeded.payload_use]
    assert not missing, f"payloads never written: {missing}"
    return seeded
