"""Access control, proven object by object: every route that names an object in its URL.

For each URL rule with an argument (an id, a code, a month, a slug) a case names a demo object, the
user related to it (who may see it or act on it) and signed-in users with no relation to it (who may
not). Refused users get 403 or 404, never a trace of the object's content, and nothing changes in the
database; the related user gets the page with the content, or the download. A route that takes an
argument and has neither a case nor a documented exception fails ``test_every_object_route_is_covered``.

GETs never change state: the rule table is checked for GET routes named like actions, every rule that
takes GET and POST is a listed form page (and its GET renders a POST form), and every GET of a case
leaves every table as it was: the same row count and the same rows (the audit log may gain read events
only). Refused requests are held to the same standard.

The cases share one demo database (loaded once for the module, as the ``demo_app`` fixture loads it):
that is sound because every case asserts that it changed nothing. What a related user's POST does is
the route matrix's business (tests/*/route_matrix.py), not this module's.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from learning.extensions import db
from tests.conftest import make_app
from tests.route_matrix import World

REFUSED = (403, 404)
IGNORED_ENDPOINTS = {"static", "bootstrap.static"}  # files of the app itself, no object behind them
# Audit events that a request may add without changing anything: refusals and reads.
READ_ACTIONS = {"permission.refused"}
READ_ACTION_SUFFIXES = (".viewed", ".exported", ".exported_full")  # reads that are audited (full exports)


# --- the demo objects ----------------------------------------------------------------------------

def _uid(w: World, username: str) -> int:
    return w.user(username).id


def _attempt(w: World, username: str, status: str | None = None):
    from learning.quizzes.models import Attempt

    where = [Attempt.user_id == _uid(w, username)]
    if status:
        where.append(Attempt.status == status)
    return db.session.execute(sa.select(Attempt).where(*where).order_by(Attempt.id.desc()).limit(1)).scalar_one()


def _essay_item(w: World):
    """An essay answer of c1003 waiting for a grader."""
    from learning.quizzes.models import AttemptQuestion

    return w.first(AttemptQuestion, AttemptQuestion.needs_grading.is_(True),
                   AttemptQuestion.attempt_id == _attempt(w, "c1003").id)


def _question(w: World):
    from learning.quizzes.models import Question

    return w.first(Question)


def _question_name(w: World) -> str:
    question = _question(w)
    return f"{question.bank}/{question.key}"


def _legal_note(w: World) -> str:
    from learning.appraisal.models import LegalRating

    return w.first(LegalRating, LegalRating.user_id == _uid(w, "c1001"),
                   LegalRating.period_id == _period(w, False).id).note


def _test(w: World, slug: str = "monthly-assessment-zh"):
    from learning.quizzes.models import Test

    return w.first(Test, Test.slug == slug)


def _pairing(w: World):
    from learning.mentorship.models import Pairing

    return w.first(Pairing, Pairing.mentor_id == _uid(w, "mentor"))


def _talk(w: World):
    from learning.mentorship.models import Talk

    return w.first(Talk, Talk.pairing_id == _pairing(w).id, Talk.topics == "现场执法文书")


def _note(w: World):
    from learning.mentorship.models import PrivateNote

    return w.first(PrivateNote, PrivateNote.author_id == _uid(w, "mentor"))


def _cycle(w: World, status: str):
    from learning.reviews.models import ReviewCycle

    return w.first(ReviewCycle, ReviewCycle.status == status)


def _pending_file_case(w: World):
    """The case of the file still waiting for its review in the open cycle."""
    from learning.reviews.models import CaseFile, SampledFile

    sampled = w.first(SampledFile, SampledFile.cycle_id == _cycle(w, "open").id, SampledFile.status == "pending")
    return db.session.get(CaseFile, sampled.case_id), sampled


def _open_assignment(w: World):
    from learning.reviews.models import ReviewAssignment

    _case, sampled = _pending_file_case(w)
    return w.first(ReviewAssignment, ReviewAssignment.file_id == sampled.id,
                   ReviewAssignment.reviewer_id == _uid(w, "reviewer"))


def _case_file(w: World):
    from learning.reviews.models import CaseFile

    return w.first(CaseFile)


def _party_id_number(w: World) -> str:
    from learning.reviews.models import CaseParty

    return w.first(CaseParty, CaseParty.case_id == _case_file(w).id).id_number


def _notice(w: World, answered: bool):
    from learning.reviews.models import RectificationNotice

    if answered:
        return w.first(RectificationNotice, RectificationNotice.response != "")
    return w.first(RectificationNotice, RectificationNotice.response == "")


def _version(w: World):
    from learning.integrity.models import LetterVersion

    return w.first(LetterVersion, LetterVersion.is_current.is_(True))


def _letter(w: World):
    from learning.integrity.models import Letter

    return w.first(Letter)


def _signature(w: World, username: str):
    from learning.integrity.models import Signature

    return w.first(Signature, Signature.user_id == _uid(w, username))


def _presentation(w: World, username: str):
    from learning.integrity.models import BookPresentation

    return w.first(BookPresentation, BookPresentation.recipient_id == _uid(w, username))


def _collective(w: World):
    from learning.integrity.models import CollectiveSigning

    return w.first(CollectiveSigning)


def _book(w: World):
    from learning.integrity.models import Book

    return w.first(Book)


def _evaluation(w: World, username: str):
    from learning.appraisal.models import Evaluation

    return w.first(Evaluation, Evaluation.user_id == _uid(w, username), Evaluation.version == 1)


def _appeal(w: World):
    from learning.appraisal.models import Appeal

    return w.first(Appeal)


def _period(w: World, published: bool):
    from learning.appraisal.models import ScorecardPeriod

    return w.first(ScorecardPeriod, ScorecardPeriod.is_published.is_(published))


def _card(w: World, username: str):
    from learning.appraisal.models import Scorecard

    return w.first(Scorecard, Scorecard.user_id == _uid(w, username),
                   Scorecard.period_id == _period(w, False).id)


def _record(w: World, username: str):
    from learning.appraisal.models import AuxiliaryStaff

    return w.first(AuxiliaryStaff, AuxiliaryStaff.user_id == _uid(w, username))


def _round(w: World):
    from learning.appraisal.models import RecruitmentRound

    return w.first(RecruitmentRound)


def _applicant(w: World):
    from learning.appraisal.models import Applicant

    return w.first(Applicant)


def _scheme(w: World):
    from learning.appraisal.models import Scheme

    return w.first(Scheme)


def _first(model_path: str):
    module, name = model_path.rsplit(".", 1)

    def lookup(w: World):
        import importlib

        return w.first(getattr(importlib.import_module(module), name))
    return lookup


_sharing_event = _first("learning.mentorship.models.SharingEvent")
_eligibility_rule = _first("learning.appraisal.models.EligibilityRule")
_criterion = _first("learning.appraisal.models.Criterion")
_band = _first("learning.appraisal.models.Band")


def _legal_of_c1001(w: World) -> str:
    return f"/appraisal/scorecards/periods/{_period(w, False).id}/legal/{_uid(w, 'c1001')}"


def _certificate(w: World, username: str):
    from learning.courses.models import Certificate

    return w.first(Certificate, Certificate.user_id == _uid(w, username))


def _class(w: World, audience: str | None = None, closed: bool = False):
    from learning.courses.models import ClassSession

    where = [ClassSession.closed_at.is_not(None) if closed else ClassSession.closed_at.is_(None)]
    if audience:
        where.append(ClassSession.audience == audience)
    return w.first(ClassSession, *where)


def _department(w: World, code: str):
    from learning.people.models import Department

    return w.first(Department, Department.code == code)


# --- the cases -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One route and method on one demo object: who may, who may not, and what must not leak.

    ``secret`` (text, or a function of the World giving it) is content of the object: a GET shows it to
    ``related`` and never to any of ``refused``. POST cases are tried by the refused users only.
    """

    endpoint: str
    url: Callable[[World], str]
    related: str | None  # None: nobody may (the refused users are then all there is to test)
    refused: tuple[str, ...]
    secret: str | Callable[[World], str] | None = None
    method: str = "GET"
    download: bool = False
    follow: bool = False  # the related user is sent on by a redirect to the page that shows the object
    label: str = ""

    @property
    def id(self) -> str:
        """A readable test id."""
        return f"{self.method} {self.endpoint}" + (f" [{self.label}]" if self.label else "")


def get(endpoint, url, related, refused, secret=None, **kw) -> Case:
    """A page (or download) case."""
    return Case(endpoint, url, related, tuple(refused), secret, **kw)


def post(endpoint, url, related, refused, **kw) -> Case:
    """An action case: the refused users' POSTs are turned away and change nothing."""
    return Case(endpoint, url, related, tuple(refused), None, method="POST", **kw)


def _ev(username, suffix=""):
    return lambda w: f"/appraisal/evaluations/{_evaluation(w, username).id}{suffix}"


def _pa(suffix=""):
    return lambda w: f"/mentorship/pairings/{_pairing(w).id}{suffix}"


def _att(username, suffix="", status=None):
    return lambda w: f"/quizzes/attempts/{_attempt(w, username, status).id}{suffix}"


def _ver(suffix):
    return lambda w: f"/integrity/versions/{_version(w).id}{suffix}"


def _per(suffix="", published=False):
    return lambda w: f"/appraisal/scorecards/periods/{_period(w, published).id}{suffix}"


def _rnd(suffix=""):
    return lambda w: f"/appraisal/recruitment/{_round(w).id}{suffix}"


def _cls(suffix, **kw):
    return lambda w: f"/classes/{_class(w, **kw).id}{suffix}"


def _tst(suffix, slug="monthly-assessment-zh"):
    return lambda w: f"/quizzes/manage/tests/{_test(w, slug).id}{suffix}"


CASES = [
    # --- quizzes: attempts, answers, grading ---------------------------------------------------
    get("quizzes.attempt", _att("auxiliary", status="open"), "auxiliary", ("a2001", "cadre"), "综合练习",
        label="open attempt"),
    post("quizzes.save", _att("auxiliary", "/save", "open"), "auxiliary", ("a2001", "cadre", "instructor")),
    post("quizzes.save_answer", _att("auxiliary", "/answer", "open"), "auxiliary", ("a2001", "cadre", "instructor")),
    post("quizzes.submit", _att("auxiliary", "/submit", "open"), "auxiliary", ("a2001", "cadre", "instructor")),
    get("quizzes.result", _att("c1003", "/result"), "c1003", ("c1004", "cadre", "mentor"),
        "两名执法人员调查取证并出示证件", label="essay answer"),
    get("quizzes.grade_item", lambda w: f"/quizzes/grading/{_essay_item(w).id}", "instructor",
        ("c1003", "cadre", "reviewer"), "两名执法人员调查取证并出示证件"),
    post("quizzes.grade_item", lambda w: f"/quizzes/grading/{_essay_item(w).id}", "instructor",
         ("c1003", "cadre", "reviewer")),
    get("quizzes.edit_question", lambda w: f"/quizzes/manage/questions/{_question(w).id}/edit", "instructor",
        ("cadre", "reviewer"), _question_name),
    post("quizzes.edit_question", lambda w: f"/quizzes/manage/questions/{_question(w).id}/edit", "instructor",
         ("cadre", "reviewer")),
    get("quizzes.regrade", lambda w: f"/quizzes/manage/questions/{_question(w).id}/regrade", "instructor",
        ("cadre", "reviewer"), _question_name),
    post("quizzes.regrade", lambda w: f"/quizzes/manage/questions/{_question(w).id}/regrade", "instructor",
         ("cadre", "reviewer")),
    get("quizzes.test_settings", _tst("/settings"), "instructor", ("cadre", "hr"), "月度法制考核"),
    post("quizzes.test_settings", _tst("/settings"), "instructor", ("cadre", "hr")),
    get("quizzes.assign", _tst("/assign"), "instructor", ("cadre", "hr"), "月度法制考核"),
    post("quizzes.assign", _tst("/assign"), "instructor", ("cadre", "hr")),
    get("quizzes.overrides", _tst("/overrides"), "instructor", ("cadre", "hr"), "月度法制考核"),
    post("quizzes.overrides", _tst("/overrides"), "instructor", ("cadre", "hr")),
    get("quizzes.test_statistics", _tst("/statistics"), "instructor", ("cadre", "mentor"), "月度法制考核"),
    get("quizzes.export", _tst("/export/csv"), "instructor", ("cadre", "mentor", "hr"), "钱伟", download=True),
    # --- mentorship: pairings, talk logs, private notes ------------------------------------------
    get("mentorship.pairing", _pa(), "cadre", ("mentor2", "c1002", "c1001"), "每周整理一份案件笔记",
        label="talk log"),
    get("mentorship.pairing", _pa(), "mentor", ("mentor2", "c1002", "auxiliary"), "熟悉占道经营类案件的取证要求",
        label="goals"),
    post("mentorship.sign_agreement", _pa("/sign"), "cadre", ("mentor2", "c1002", "c1001")),
    get("mentorship.log_talk", _pa("/talks/new"), "mentor", ("mentor2", "cadre", "hr"), "赵磊"),
    post("mentorship.log_talk", _pa("/talks/new"), "mentor", ("mentor2", "cadre", "hr")),
    post("mentorship.confirm_talk", lambda w: f"/mentorship/talks/{_talk(w).id}/confirm", "cadre",
         ("mentor2", "c1002", "c1001")),
    get("mentorship.add_note", lambda w: f"/mentorship/talks/{_talk(w).id}/notes/new", "mentor",
        ("cadre", "mentor2", "hr"), "赵磊"),
    post("mentorship.add_note", lambda w: f"/mentorship/talks/{_talk(w).id}/notes/new", "mentor",
         ("cadre", "mentor2", "hr")),
    get("mentorship.note", lambda w: f"/mentorship/notes/{_note(w).id}", "mentor",
        ("cadre", "hr", "admin", "mentor2"), "夜间巡查有顾虑", label="private note"),
    get("mentorship.evaluate", _pa("/evaluate"), "cadre", ("mentor2", "c1002", "hr"), "张国强"),
    post("mentorship.evaluate", _pa("/evaluate"), "cadre", ("mentor2", "c1002", "hr")),
    post("mentorship.close_pairing", _pa("/close"), "hr", ("mentor", "cadre", "mentor2")),
    post("mentorship.record_attendance", lambda w: f"/mentorship/sharing/{_sharing_event(w).id}/attendance",
         "hr", ("cadre", "mentor")),
    # --- reviews: case files, reviews, rectification notices, bulletins ----------------------------
    get("reviews.case_detail", lambda w: f"/reviews/cases/{_case_file(w).id}", "reviewer",
        ("cadre", "c1003", "mentor"), _party_id_number, label="party's ID number; cadre handled it"),
    get("reviews.edit_case", lambda w: f"/reviews/cases/{_case_file(w).id}/edit", "reviewer",
        ("cadre", "c1003"), _party_id_number),
    post("reviews.edit_case", lambda w: f"/reviews/cases/{_case_file(w).id}/edit", "reviewer", ("cadre", "c1003")),
    get("reviews.cycle", lambda w: f"/reviews/cycles/{_cycle(w, 'open').id}", "reviewer",
        ("cadre", "c1002", "hr"), lambda w: _pending_file_case(w)[0].case_number),
    post("reviews.assign", lambda w: f"/reviews/cycles/{_cycle(w, 'open').id}/assign", "reviewer",
         ("cadre", "instructor")),
    post("reviews.publish", lambda w: f"/reviews/cycles/{_cycle(w, 'open').id}/publish", "reviewer",
         ("cadre", "instructor", "hr")),
    get("reviews.score", lambda w: f"/reviews/assignments/{_open_assignment(w).id}", "reviewer",
        ("reviewer2", "c1002", "cadre"), lambda w: _pending_file_case(w)[0].case_number,
        label="the other blind reviewer and the handler are refused"),
    post("reviews.score", lambda w: f"/reviews/assignments/{_open_assignment(w).id}", "reviewer",
         ("reviewer2", "c1002", "cadre")),
    get("reviews.notice", lambda w: f"/reviews/notices/{_notice(w, False).id}", "cadre",
        ("c1001", "mentor2", "auxiliary"), "Missing evidence photo", label="rectification"),
    post("reviews.notice", lambda w: f"/reviews/notices/{_notice(w, False).id}", "cadre",
         ("c1001", "mentor2", "auxiliary")),
    post("reviews.decide_notice", lambda w: f"/reviews/notices/{_notice(w, True).id}/decide", "reviewer",
         ("auxiliary", "mentor2", "c1002", "cadre"), label="its own handlers may not decide"),
    get("reviews.bulletin", lambda w: f"/reviews/{_cycle(w, 'open').month}/", "reviewer", ("cadre", "hr"),
        lambda w: _pending_file_case(w)[0].case_number, follow=True, label="unpublished month"),
    get("reviews.bulletin_print", lambda w: f"/reviews/{_cycle(w, 'open').month}/print", None,
        ("cadre", "hr", "reviewer"), lambda w: _pending_file_case(w)[0].case_number, label="unpublished: nobody"),
    get("reviews.bulletin_print", lambda w: f"/reviews/{_cycle(w, 'published').month}/print", "cadre", (),
        "综执罚", label="published: every staff member"),
    get("reviews.bulletin_export", lambda w: f"/reviews/{_cycle(w, 'open').month}/export?fmt=csv", None,
        ("cadre", "hr", "reviewer"), lambda w: _pending_file_case(w)[0].case_number, label="unpublished: nobody"),
    get("reviews.bulletin_export", lambda w: f"/reviews/{_cycle(w, 'published').month}/export?fmt=csv", "cadre",
        (), "综执罚", download=True, label="published: every staff member"),
    post("reviews.add_erratum", lambda w: f"/reviews/{_cycle(w, 'published').month}/errata", "reviewer",
         ("cadre", "hr", "instructor")),
    # --- integrity: signatures, letters, book presentations ----------------------------------------
    get("integrity.signature", lambda w: f"/integrity/signatures/{_signature(w, 'instructor').id}", "instructor",
        ("reviewer", "cadre", "c1001"), "刘洋"),
    get("integrity.signature", lambda w: f"/integrity/signatures/{_signature(w, 'c1001').id}", "c1001",
        ("cadre", "mentor", "a2001"), "钱伟", label="signed on paper at a collective signing"),
    get("integrity.letter", lambda w: f"/integrity/letters/{_letter(w).id}", "hr", ("cadre", "reviewer"),
        "第一中队会议室", label="its collective signings"),
    get("integrity.edit_draft", lambda w: f"/integrity/letters/{_letter(w).id}/draft", "hr", ("cadre", "reviewer"),
        "严格遵守"),
    post("integrity.edit_draft", lambda w: f"/integrity/letters/{_letter(w).id}/draft", "hr", ("cadre", "reviewer")),
    post("integrity.publish", _ver("/publish"), "hr", ("cadre", "reviewer", "instructor")),
    get("integrity.unsigned", _ver("/unsigned"), "hr", ("cadre", "auxiliary"), "马超", label="who has not signed"),
    get("integrity.new_collective", _ver("/collective/new"), "hr", ("cadre", "mentor"), "2026年度廉政承诺书"),
    post("integrity.new_collective", _ver("/collective/new"), "hr", ("cadre", "mentor")),
    get("integrity.collective", lambda w: f"/integrity/collective/{_collective(w).id}", "hr",
        ("mentor", "c1001", "cadre"), "第一中队会议室"),
    post("integrity.collective", lambda w: f"/integrity/collective/{_collective(w).id}", "hr",
         ("mentor", "c1001", "cadre")),
    get("integrity.reflection", lambda w: f"/integrity/presentations/{_presentation(w, 'c1001').id}/reflection",
        "c1001", ("cadre", "auxiliary", "mentor"), "小节不守，大节难保"),
    post("integrity.reflection", lambda w: f"/integrity/presentations/{_presentation(w, 'c1001').id}/reflection",
         "c1001", ("cadre", "auxiliary", "mentor")),
    post("integrity.present_book", lambda w: f"/integrity/books/{_book(w).id}/present", "hr", ("cadre", "mentor")),
    # --- appraisal: evaluations, appeals, scorecards, registry, recruitment --------------------------
    get("appraisal.evaluation", _ev("auxiliary"), "auxiliary", ("a2001", "a2002", "cadre", "mentor2"),
        "两次夜间联合整治", label="appeal reason"),
    post("appraisal.acknowledge", _ev("cadre", "/acknowledge"), "cadre", ("c1001", "mentor", "hr")),
    post("appraisal.appeal", _ev("cadre", "/appeal"), "cadre", ("c1001", "mentor", "hr")),
    get("appraisal.evaluation", _ev("c1005"), "hr", ("c1005", "c1004", "cadre"), "朱婷",
        label="draft: not even its subject"),
    get("appraisal.score", _ev("c1005", "/score"), "hr", ("c1005", "c1004", "admin"), "朱婷",
        label="draft: not even its subject"),
    post("appraisal.score", _ev("c1005", "/score"), "hr", ("c1005", "c1004", "admin")),
    post("appraisal.answer_appeal", lambda w: f"/appraisal/appeals/{_appeal(w).id}/answer", "hr",
         ("auxiliary", "a2001", "cadre"), label="not the appellant"),
    get("appraisal.scorecard_view", lambda w: f"/appraisal/scorecards/{_card(w, 'cadre').id}", "cadre",
        ("c1001", "mentor", "reviewer"), lambda w: f"{round(_card(w, 'cadre').total, 2):g}"),
    get("appraisal.period", _per(), "hr", ("cadre", "reviewer"), "钱伟"),
    post("appraisal.period_weights", _per("/weights"), "hr", ("cadre", "reviewer")),
    post("appraisal.compute_period", _per("/compute"), "hr", ("cadre", "reviewer")),
    post("appraisal.publish_period", _per("/publish"), "hr", ("cadre", "reviewer", "admin")),
    get("appraisal.export_ranking", _per("/export?fmt=csv"), "hr", ("cadre", "reviewer"), "钱伟", download=True),
    get("appraisal.notice", lambda w: f"/appraisal/notices/{_period(w, False).id}", None,
        ("cadre", "c1001", "hr"), "钱伟", label="unpublished: nobody"),
    get("appraisal.notice", lambda w: f"/appraisal/notices/{_period(w, True).id}", "cadre", (), "钱伟",
        label="published: every staff member"),
    get("appraisal.legal_ratings", _per("/legal"), "reviewer", ("cadre", "hr"), "钱伟"),
    get("appraisal.rate_legal", _legal_of_c1001,
        "reviewer", ("c1001", "cadre", "hr"), _legal_note, label="its subject refused"),
    post("appraisal.rate_legal", _legal_of_c1001,
         "reviewer", ("c1001", "cadre", "hr")),
    get("appraisal.record", lambda w: f"/appraisal/registry/{_record(w, 'auxiliary').id}", "auxiliary",
        ("a2001", "a2002", "cadre"), "家属 13900000001"),
    get("appraisal.edit_record", lambda w: f"/appraisal/registry/{_record(w, 'a2001').id}/edit", "hr",
        ("a2001", "auxiliary", "cadre"), "330106199008021019"),
    post("appraisal.edit_record", lambda w: f"/appraisal/registry/{_record(w, 'a2001').id}/edit", "hr",
         ("a2001", "auxiliary", "cadre")),
    get("appraisal.round_detail", _rnd(), "hr", ("cadre", "auxiliary"), lambda w: _applicant(w).name),
    post("appraisal.add_position", _rnd("/positions"), "hr", ("cadre", "auxiliary")),
    post("appraisal.add_round_rule", _rnd("/rules"), "hr", ("cadre", "auxiliary")),
    post("appraisal.add_applicant", _rnd("/applicants"), "hr", ("cadre", "auxiliary")),
    get("appraisal.import_applicants", _rnd("/import"), "hr", ("cadre", "auxiliary"), lambda w: _round(w).title),
    post("appraisal.import_applicants", _rnd("/import"), "hr", ("cadre", "auxiliary")),
    post("appraisal.hire", _rnd("/hire"), "hr", ("cadre", "auxiliary")),
    post("appraisal.close_round", _rnd("/close"), "hr", ("cadre", "auxiliary")),
    post("appraisal.applicant_scores", lambda w: f"/appraisal/applicants/{_applicant(w).id}/scores", "hr",
         ("cadre", "auxiliary")),
    post("appraisal.remove_rule", lambda w: f"/appraisal/rules/{_eligibility_rule(w).id}/remove",
         "hr", ("cadre", "auxiliary")),
    get("appraisal.scheme", lambda w: f"/appraisal/schemes/{_scheme(w).id}", "hr", ("cadre", "reviewer"),
        lambda w: _scheme(w).name),
    get("appraisal.edit_scheme", lambda w: f"/appraisal/schemes/{_scheme(w).id}/edit", "hr", ("cadre", "reviewer"),
        lambda w: _scheme(w).name),
    post("appraisal.edit_scheme", lambda w: f"/appraisal/schemes/{_scheme(w).id}/edit", "hr", ("cadre", "reviewer")),
    post("appraisal.add_criterion", lambda w: f"/appraisal/schemes/{_scheme(w).id}/criteria", "hr", ("cadre",)),
    post("appraisal.add_band", lambda w: f"/appraisal/schemes/{_scheme(w).id}/bands", "hr", ("cadre",)),
    post("appraisal.open_period", lambda w: f"/appraisal/schemes/{_scheme(w).id}/open", "hr", ("cadre", "admin")),
    post("appraisal.remove_criterion", lambda w: f"/appraisal/criteria/{_criterion(w).id}/remove",
         "hr", ("cadre", "admin")),
    post("appraisal.remove_band", lambda w: f"/appraisal/bands/{_band(w).id}/remove",
         "hr", ("cadre", "admin")),
    # --- courses: certificates, classes ---------------------------------------------------------------
    get("courses.certificate", lambda w: f"/certificates/{_certificate(w, 'cadre').code}", "cadre",
        ("c1001", "a2001", "mentor"), lambda w: _certificate(w, "cadre").course_title),
    get("courses.certificate_download", lambda w: f"/certificates/{_certificate(w, 'cadre').code}/pdf", "cadre",
        ("c1001", "a2001", "mentor"), None, download=True),
    get("courses.class_detail", _cls("", audience="auxiliary"), "auxiliary", ("cadre", "c1001"), "面向辅助人员",
        label="class for auxiliaries"),
    get("courses.edit_class", _cls("/edit", audience="all"), "instructor", ("cadre", "mentor2"),
        lambda w: _class(w, audience="all").title),
    post("courses.edit_class", _cls("/edit", audience="all"), "instructor", ("cadre", "mentor2")),
    post("courses.register", _cls("/register", audience="auxiliary"), "auxiliary", ("cadre", "c1001"),
         label="not in the class's audience"),
    post("courses.cancel_registration", _cls("/cancel", audience="auxiliary"), "auxiliary", ("cadre", "c1001")),
    post("courses.take_attendance", _cls("/attendance", closed=True), "instructor", ("cadre", "mentor")),
    post("courses.open_checkin", _cls("/checkin-code", audience="all"), "instructor", ("cadre", "mentor")),
    post("courses.close_class", _cls("/close", audience="all"), "instructor", ("cadre", "mentor")),
    # --- people: accounts and departments ------------------------------------------------------------
    get("people.edit_user", lambda w: f"/admin/users/{_uid(w, 'c1004')}/edit", "admin", ("cadre", "hr"), "c1004"),
    post("people.edit_user", lambda w: f"/admin/users/{_uid(w, 'c1004')}/edit", "admin", ("cadre", "hr", "c1004")),
    post("people.deactivate_user", lambda w: f"/admin/users/{_uid(w, 'c1004')}/deactivate", "admin",
         ("cadre", "hr")),
    post("people.reactivate_user", lambda w: f"/admin/users/{_uid(w, 'c1004')}/reactivate", "admin",
         ("cadre", "hr")),
    post("people.reset_password", lambda w: f"/admin/users/{_uid(w, 'c1004')}/reset-password", "admin",
         ("cadre", "hr", "c1004")),
    get("people.edit_department", lambda w: f"/admin/departments/{_department(w, 'sq3').id}/edit", "admin",
        ("cadre", "hr"), "第三中队"),
    post("people.edit_department", lambda w: f"/admin/departments/{_department(w, 'sq3').id}/edit", "admin",
         ("cadre", "hr")),
]

# Routes that take an argument yet have no object that some signed-in user may not see: each says why.
EXCEPTIONS = {
    ("/courses/<slug>", "GET"): "a course of the catalogue; every demo course is open to all staff "
                                "(the audience rule is tested in tests/courses/test_permissions.py)",
    ("/courses/<slug>/enrol", "POST"): "enrols the signed-in user in an open course: their own record only",
    ("/courses/<slug>/lessons/<key>", "GET"): "a lesson of an open course; the progress shown is always the "
                                              "signed-in user's own (no URL names another person's progress)",
    ("/courses/<slug>/lessons/<key>/done", "POST"): "writes the signed-in user's own lesson progress only",
    ("/verify/<code>", "GET"): "public by design: anyone holding a certificate's code may verify it",
    ("/integrity/books/<int:book_id>", "GET"): "the reading list is open to all staff",
    ("/integrity/versions/<int:version_id>/sign", "GET"): "the current letter's audience is everyone in the demo; "
                                                          "a signature is always the signed-in user's own",
    ("/integrity/versions/<int:version_id>/sign", "POST"): "signs as the signed-in user only (see GET)",
    ("/mentorship/sharing/<int:event_id>", "GET"): "experience-sharing events are open to every participant",
    ("/quizzes/tests/<int:test_id>", "GET"): "every demo test is open to all staff; an attempt is the "
                                             "signed-in user's own (attempt routes are covered above)",
    ("/quizzes/tests/<int:test_id>/start", "POST"): "starts the signed-in user's own attempt (see GET)",
}

# Rules that take both GET and POST: each GET renders the form its POST submits.
FORM_PAGES = {
    "people.login", "people.confirm_password", "people.change_password", "people.create_user", "people.edit_user",
    "people.import_users", "people.edit_department",
    "appraisal.score", "appraisal.periods", "appraisal.rate_legal", "appraisal.edit_record",
    "appraisal.import_registry", "appraisal.rules", "appraisal.new_round", "appraisal.import_applicants",
    "appraisal.edit_scheme",
    "courses.check_in", "courses.assignments", "courses.new_class", "courses.edit_class",
    "integrity.sign", "integrity.new_letter", "integrity.edit_draft", "integrity.new_collective",
    "integrity.collective", "integrity.new_book", "integrity.reflection",
    "mentorship.new_pairing", "mentorship.log_talk", "mentorship.add_note", "mentorship.evaluate",
    "mentorship.new_sharing",
    "quizzes.grade_item", "quizzes.edit_question", "quizzes.regrade", "quizzes.test_settings", "quizzes.assign",
    "quizzes.overrides",
    "reviews.edit_case", "reviews.import_cases", "reviews.new_rubric", "reviews.new_cycle", "reviews.score",
    "reviews.notice",
}
# Words that name a change of state: no endpoint that answers GET (other than a form page) may use one.
MUTATING_WORDS = {
    "delete", "remove", "publish", "close", "submit", "approve", "decide", "hire", "deactivate", "reactivate",
    "reset", "enrol", "register", "cancel", "sign", "acknowledge", "appeal", "compute", "answer", "confirm",
    "save", "start", "grade", "regrade", "present", "record", "logout", "add", "open", "done", "mark", "take",
    "assign", "create", "update", "edit", "import", "set", "weights", "scores",
}
SAFE_GET_ENDPOINTS = {
    "courses.verify_form": "the form to type a certificate code (GET, read only)",
    "appraisal.record": "a registry record (a noun): the page of one person's record",
    "integrity.signature": "a signature (a noun): the page of one signature",
    "reviews.my_record": "the signed-in user's review record (a noun), read only",
}


# --- fixtures and helpers --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world_app(tmp_path_factory, schema_template):
    """The demo app (as the ``demo_app`` fixture builds it), loaded once for this module's cases."""
    app = make_app(tmp_path_factory.mktemp("object-access"), schema_template)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def clients(world_app):
    """One signed-in client per demo account, made on first use (signing in once each)."""
    made = {}

    def client_for(username: str):
        if username not in made:
            client = world_app.test_client()
            response = client.login(username)
            assert response.status_code == 302, f"{username} could not sign in"
            made[username] = client
        return made[username]
    return client_for


def _resolve(app, case: Case) -> tuple[str, str | None]:
    with app.app_context():
        world = World()
        url = case.url(world)
        secret = case.secret(world) if callable(case.secret) else case.secret
        db.session.remove()
    return url, secret


def _fingerprints(app) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows: an insert, update or delete changes one."""
    with app.app_context():
        found = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            digest = hashlib.sha256(repr(sorted(repr(tuple(row)) for row in rows)).encode()).hexdigest()
            found[table.name] = (len(rows), digest)
        db.session.remove()
    return found


def _audit_actions_since(app, last_id: int) -> list[str]:
    from learning.audit import AuditEvent

    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.id > last_id)))
        db.session.remove()
    return actions


def _last_audit_id(app) -> int:
    from learning.audit import AuditEvent

    with app.app_context():
        last = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
        db.session.remove()
    return last


class Unchanged:
    """Every table's rows (count and content) and the audit log's tail, compared before and after a request."""

    def __init__(self, app):
        self.app = app
        self.before = _fingerprints(app)
        self.audit_id = _last_audit_id(app)

    def problems(self) -> list[str]:
        """What changed, other than read events in the audit log."""
        after = _fingerprints(self.app)
        found = []
        for table in sorted(after):
            if table == "audit_event" or after[table] == self.before.get(table):
                continue
            (n_before, _), (n_after, _) = self.before[table], after[table]
            found.append(f"{table}: {n_before} -> {n_after} rows" if n_before != n_after
                         else f"{table}: rows updated")
        writes = [action for action in _audit_actions_since(self.app, self.audit_id)
                  if action not in READ_ACTIONS and not action.endswith(READ_ACTION_SUFFIXES)]
        if writes:
            found.append(f"audit events written: {writes}")
        return found


def _display_name(app, username: str) -> str:
    with app.app_context():
        name = World().user(username).display_name
        db.session.remove()
    return name


def _text(response) -> str:
    return response.get_data(as_text=True)


def _request(client, case: Case, url: str, follow: bool = False):
    if case.method == "GET":
        return client.get(url, follow_redirects=follow)
    return client.open(url, method=case.method, data={"csrf_token": client.csrf_token()})


# --- tests -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_unrelated_user_is_refused_and_learns_nothing(world_app, clients, case: Case):
    """Each signed-in user with no relation to the object gets 403 or 404, no trace of it, and no change."""
    url, secret = _resolve(world_app, case)
    failures = []
    for username in case.refused:
        client = clients(username)
        own_name = _display_name(world_app, username)
        unchanged = Unchanged(world_app)
        response = _request(client, case, url)
        body = _text(response)
        if response.status_code not in REFUSED:
            failures.append(f"{username} got {response.status_code} from {case.method} {url}")
        if secret and secret != own_name and secret in body:  # one's own name is on every page
            failures.append(f"{username} saw {secret!r} at {url}")
        changed = unchanged.problems()
        if changed:
            failures.append(f"{username}'s refused {case.method} {url} changed the database: {changed}")
    assert not failures, f"{case.id}: " + "; ".join(failures)


GET_CASES = [case for case in CASES if case.method == "GET" and case.related]


@pytest.mark.parametrize("case", GET_CASES, ids=[case.id for case in GET_CASES])
def test_related_user_gets_it_and_nothing_changes(world_app, clients, case: Case):
    """The related user gets the page with the object's content (or the download); the GET writes nothing."""
    url, secret = _resolve(world_app, case)
    client = clients(case.related)
    unchanged = Unchanged(world_app)
    response = _request(client, case, url, follow=case.follow)
    assert response.status_code == 200, f"{case.related} got {response.status_code} from {url}"
    if case.download:
        disposition = response.headers.get("Content-Disposition", "")
        assert "filename=" in disposition, f"{url} is not a download: {response.headers}"
        if url.endswith("/pdf"):
            assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF"), f"{url}: no PDF"
        if secret:
            text = response.data.decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
            assert any(secret in cell for row in rows for cell in row), f"{secret!r} not in the download of {url}"
    elif secret:
        assert secret in _text(response), f"{case.related} does not see {secret!r} at {url}"
    changed = unchanged.problems()
    assert not changed, f"GET {url} as {case.related} changed the database: {changed}"


def _id_rules(app) -> list:
    return [rule for rule in app.url_map.iter_rules()
            if rule.arguments and rule.endpoint not in IGNORED_ENDPOINTS]


def test_every_object_route_is_covered(world_app):
    """A route that takes an id (or code, month, slug) needs a case above, or an exception with a reason."""
    adapter = world_app.url_map.bind("localhost")
    covered = set()
    for case in CASES:
        url, _secret = _resolve(world_app, case)
        rule, _args = adapter.match(url.split("?")[0], method=case.method, return_rule=True)
        covered.add((rule.rule, case.method))
    for (rule, method), reason in EXCEPTIONS.items():
        assert reason.strip(), f"the exception for {method} {rule} gives no reason"
    missing = []
    for rule in _id_rules(world_app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.rule, method) not in covered and (rule.rule, method) not in EXCEPTIONS:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, ("routes that take an id but have no object-access case in "
                         "tests/security/test_object_access.py (add a case, or an exception with its reason):\n"
                         + "\n".join(missing))
    stale = [f"{method} {rule}" for rule, method in EXCEPTIONS
             if not any(r.rule == rule and method in r.methods for r in _id_rules(world_app))]
    assert not stale, f"exceptions for routes that no longer exist: {stale}"


def test_get_never_names_an_action(world_app):
    """No rule that answers GET is an action (by its name), unless it is a listed form page."""
    offenders = []
    both = set()
    for rule in world_app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS or "GET" not in rule.methods:
            continue
        if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            both.add(rule.endpoint)
            continue
        if rule.endpoint in SAFE_GET_ENDPOINTS:
            continue
        words = set(rule.endpoint.split(".")[-1].split("_")) | {
            part for part in rule.rule.strip("/").split("/") if not part.startswith("<")}
        verbs = words & MUTATING_WORDS
        if verbs:
            offenders.append(f"GET {rule.rule} ({rule.endpoint}): {sorted(verbs)}")
    assert not offenders, "GET routes named like actions (state changes only by POST):\n" + "\n".join(offenders)
    unlisted = sorted(both - FORM_PAGES)
    assert not unlisted, f"rules taking both GET and POST that are not listed form pages: {unlisted}"
    stale = sorted(FORM_PAGES - both)
    assert not stale, f"listed form pages that no longer take both GET and POST: {stale}"


FORM_CASES = [case for case in GET_CASES if case.endpoint in FORM_PAGES]


@pytest.mark.parametrize("case", FORM_CASES, ids=[case.id for case in FORM_CASES])
def test_form_page_get_renders_a_form(world_app, clients, case: Case):
    """A rule that takes GET and POST shows on GET the form that the POST submits, and does nothing else."""
    url, _secret = _resolve(world_app, case)
    response = clients(case.related).get(url)
    assert response.status_code == 200
    body = _text(response).lower()
    assert 'method="post"' in body or "method='post'" in body, f"GET {url} renders no POST form"


def test_private_note_never_shown_beyond_its_author(world_app, clients):
    """The pairing and its talk pages never carry the mentor's private note to the apprentice or to HR."""
    with world_app.app_context():
        world = World()
        note, pairing = _note(world), _pairing(world)
        body, url = note.body, f"/mentorship/pairings/{pairing.id}"
        db.session.remove()
    for username in ("cadre", "hr", "admin", "mentor2"):
        response = clients(username).get(url)
        assert body not in _text(response), f"{username} reads the private note on {url}"
    assert clients("mentor").get(f"/mentorship/notes/{note.id}").status_code == 200
