"""Loading question banks (``content/quizzes/<bank>.<lang>.yaml``) and tests (``content/tests/*.yaml``).

Idempotent: an unchanged file changes nothing; a changed question gets a new version (attempts keep
the version they showed); a question or test gone from the files is archived, never deleted. A file
with an error is rejected as a whole, with its path and line.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import sqlalchemy as sa
import yaml

from ..content import ContentError, SyncReport, load_yaml_text
from ..extensions import db
from .models import Question, QuestionType, QuestionVersion, Test

LANGUAGES = ("zh", "en")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
QUESTION_FIELDS = {"key", "type", "difficulty", "points", "tags", "text", "options", "scoring", "answer",
                   "answers", "rubric", "explanation", "source"}
TEST_FIELDS = {"slug", "title", "language", "description", "mode", "questions", "draw", "shuffle_questions",
               "shuffle_options", "time_limit_minutes", "attempts_allowed", "pass_mark", "grading", "review",
               "audience"}
GRADINGS = ("highest", "latest", "first", "average")
REVIEWS = ("after_submit", "after_close", "never")
AUDIENCES = ("all", "cadre", "auxiliary")


def _hash(data) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def _read(path: Path) -> tuple[object, yaml.Node | None]:
    """The parsed YAML of ``path`` and its node tree (for line numbers)."""
    try:
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ContentError(path, "the file is not UTF-8 text") from exc
    data = load_yaml_text(text, path)
    return data, yaml.compose(text, Loader=yaml.SafeLoader)


def _key_line(node: yaml.Node | None, key: str) -> int | None:
    """The line of ``key`` in a mapping node (1-based)."""
    if isinstance(node, yaml.MappingNode):
        for key_node, _value in node.value:
            if key_node.value == key:
                return key_node.start_mark.line + 1
        return node.start_mark.line + 1
    return None


def _item_nodes(node: yaml.Node | None, key: str) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if key_node.value == key and isinstance(value, yaml.SequenceNode):
                return list(value.value)
    return []


# --- questions -----------------------------------------------------------------------------------

def validate_question(raw, path, line: int | None) -> dict:
    """A question of a bank file, checked and normalised; raises ``ContentError`` with the line."""

    def fail(reason: str):
        raise ContentError(path, reason, line)

    if not isinstance(raw, dict):
        fail("each question must be a mapping")
    unknown = set(raw) - QUESTION_FIELDS
    if unknown:
        fail(f"unknown fields: {', '.join(sorted(unknown))}")
    key = str(raw.get("key") or "")
    if not KEY_PATTERN.match(key):
        fail("a question needs a key of lower-case letters, digits and dashes")
    try:
        kind = QuestionType(raw.get("type"))
    except ValueError:
        fail(f"question {key}: type must be one of single, multiple, truefalse, fill, short")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        fail(f"question {key}: text is missing")
    difficulty = raw.get("difficulty", 1)
    if difficulty not in (1, 2, 3):
        fail(f"question {key}: difficulty must be 1, 2 or 3")
    points = raw.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points <= 100:
        fail(f"question {key}: points must be a number between 0 and 100")
    tags = raw.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag.strip() for tag in tags):
        fail(f"question {key}: tags must be a list of words")
    data = {
        "key": key, "type": str(kind), "difficulty": difficulty, "points": float(points),
        "tags": [tag.strip() for tag in tags], "text": text.strip(),
        "explanation": str(raw.get("explanation") or "").strip(), "source": str(raw.get("source") or "").strip(),
        "options": [], "scoring": "all_or_nothing", "answer": None, "answers": [], "rubric": "",
    }
    if kind in (QuestionType.single, QuestionType.multiple):
        options = raw.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= 6:
            fail(f"question {key}: single and multiple choice need 2 to 6 options")
        cleaned = []
        for option in options:
            if not isinstance(option, dict) or not str(option.get("text") or "").strip():
                fail(f"question {key}: each option needs a text")
            cleaned.append({"text": str(option["text"]).strip(), "correct": bool(option.get("correct"))})
        right = sum(option["correct"] for option in cleaned)
        if right == 0:
            fail(f"question {key}: at least one option must be correct")
        if kind == QuestionType.single and right != 1:
            fail(f"question {key}: a single-choice question has exactly one correct option")
        data["options"] = cleaned
        if kind == QuestionType.multiple:
            scoring = raw.get("scoring", "all_or_nothing")
            if scoring not in ("all_or_nothing", "partial"):
                fail(f"question {key}: scoring must be all_or_nothing or partial")
            data["scoring"] = scoring
    elif kind == QuestionType.truefalse:
        if not isinstance(raw.get("answer"), bool):
            fail(f"question {key}: a true/false question needs answer: true or false")
        data["answer"] = raw["answer"]
    elif kind == QuestionType.fill:
        answers = raw.get("answers")
        if not isinstance(answers, list) or not answers or not all(str(a).strip() for a in answers):
            fail(f"question {key}: a fill-in question needs a list of accepted answers")
        data["answers"] = [str(answer).strip() for answer in answers]
    else:
        rubric = raw.get("rubric")
        if not isinstance(rubric, str) or not rubric.strip():
            fail(f"question {key}: a short-answer question needs a rubric")
        data["rubric"] = rubric.strip()
    return data


def version_fields(data: dict) -> dict:
    """The QuestionVersion columns for validated question data."""
    return {
        "type": QuestionType(data["type"]), "difficulty": data["difficulty"], "points": data["points"],
        "tags_text": json.dumps(data["tags"], ensure_ascii=False), "text": data["text"],
        "options_text": json.dumps(data["options"], ensure_ascii=False), "scoring": data["scoring"],
        "answer_bool": data["answer"], "answers_text": json.dumps(data["answers"], ensure_ascii=False),
        "rubric": data["rubric"], "explanation": data["explanation"], "source": data["source"],
    }


def add_version(question: Question, data: dict, actor=None) -> QuestionVersion:
    """Give ``question`` a new current version made of ``data`` (flushes)."""
    number = (db.session.execute(sa.select(sa.func.max(QuestionVersion.number))
                                 .where(QuestionVersion.question_id == question.id)).scalar() or 0) + 1
    version = QuestionVersion(question_id=question.id, number=number,
                              created_by_id=getattr(actor, "id", None), **version_fields(data))
    db.session.add(version)
    db.session.flush()
    question.current_version = version
    return version


def parse_bank(path: Path) -> tuple[str, str, str, list[dict]]:
    """``(bank, language, title, questions)`` of a bank file; raises ``ContentError``."""
    data, root = _read(path)
    if not isinstance(data, dict):
        raise ContentError(path, "a question bank must be a mapping with bank, language, title, questions", 1)
    match = re.match(r"^([a-z0-9][a-z0-9_-]*)\.(zh|en)\.ya?ml$", path.name)
    if match is None:
        raise ContentError(path, "the file name must be <bank>.<zh|en>.yaml", 1)
    bank, language = str(data.get("bank") or ""), str(data.get("language") or "")
    if bank != match.group(1):
        raise ContentError(path, f"bank {bank!r} does not match the file name", _key_line(root, "bank"))
    if language != match.group(2):
        raise ContentError(path, f"language {language!r} does not match the file name",
                           _key_line(root, "language"))
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise ContentError(path, "questions must be a non-empty list", _key_line(root, "questions"))
    nodes = _item_nodes(root, "questions")
    cleaned, seen = [], set()
    for index, raw in enumerate(questions):
        line = nodes[index].start_mark.line + 1 if index < len(nodes) else None
        item = validate_question(raw, path, line)
        if item["key"] in seen:
            raise ContentError(path, f"question key {item['key']} appears twice", line)
        seen.add(item["key"])
        cleaned.append(item)
    return bank, language, str(data.get("title") or bank), cleaned


def sync_bank(path: Path, report: SyncReport) -> None:
    """Load one bank file into the database."""
    bank, language, title, questions = parse_bank(path)
    existing = {question.key: question for question in db.session.execute(
        sa.select(Question).where(Question.bank == bank, Question.language == language)).scalars()}
    for data in questions:
        digest = _hash(data)
        question = existing.pop(data["key"], None)
        ref = f"{bank}/{data['key']} ({language})"
        if question is None:
            question = Question(bank=bank, key=data["key"], language=language, bank_title=title,
                                content_hash=digest)
            db.session.add(question)
            db.session.flush()
            add_version(question, data)
            report.add("question", ref, "created")
        elif question.content_hash != digest or question.is_archived:
            question.content_hash, question.is_archived, question.bank_title = digest, False, title
            add_version(question, data)
            report.add("question", ref, "updated")
        else:
            question.bank_title = title
            report.add("question", ref, "unchanged")
    for question in existing.values():
        if not question.is_archived and not question.is_site_authored:
            question.is_archived = True
            report.add("question", f"{bank}/{question.key} ({language})", "archived")


# --- tests ---------------------------------------------------------------------------------------

def parse_test(path: Path, known: set[tuple[str, str, str]]) -> dict:
    """A test file, checked against the questions ``known`` as ``(bank, key, language)``."""
    data, root = _read(path)
    if not isinstance(data, dict):
        raise ContentError(path, "a test must be a mapping of names to values", 1)

    def fail(field: str, reason: str):
        raise ContentError(path, reason, _key_line(root, field))

    unknown = set(data) - TEST_FIELDS
    if unknown:
        fail(sorted(unknown)[0], f"unknown fields: {', '.join(sorted(unknown))}")
    slug = str(data.get("slug") or "")
    if not KEY_PATTERN.match(slug) or slug != path.stem:
        fail("slug", "slug must be lower-case letters, digits and dashes and match the file name")
    if not str(data.get("title") or "").strip():
        fail("title", "title is missing")
    language = data.get("language", "zh")
    if language not in LANGUAGES:
        fail("language", "language must be zh or en")
    mode = data.get("mode", "fixed")
    banks = {bank for bank, _key, lang in known if lang == language}
    questions, draw = [], []
    if mode == "fixed":
        questions = data.get("questions")
        if not isinstance(questions, list) or not questions:
            fail("questions", "a fixed test needs a list of questions (bank/key)")
        for ref in questions:
            bank, _, key = str(ref).partition("/")
            if (bank, key, language) not in known:
                fail("questions", f"question {ref} does not exist in language {language}")
        if len(set(questions)) != len(questions):
            fail("questions", "a question is listed twice")
    elif mode == "random":
        draw = data.get("draw")
        if not isinstance(draw, list) or not draw:
            fail("draw", "a random test needs draw rules")
        for index, item in enumerate(draw):
            nodes = _item_nodes(root, "draw")
            line = nodes[index].start_mark.line + 1 if index < len(nodes) else _key_line(root, "draw")
            if not isinstance(item, dict) or set(item) - {"bank", "tags", "difficulty", "count"}:
                raise ContentError(path, "a draw rule may have bank, tags, difficulty and count", line)
            if "bank" in item and item["bank"] not in banks:
                raise ContentError(path, f"bank {item['bank']} does not exist in language {language}", line)
            count = item.get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 200:
                raise ContentError(path, "count must be a whole number from 1 to 200", line)
            tags = item.get("tags", [])
            if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
                raise ContentError(path, "tags must be a list of words", line)
            if "difficulty" in item and item["difficulty"] not in (1, 2, 3):
                raise ContentError(path, "difficulty must be 1, 2 or 3", line)
    else:
        fail("mode", "mode must be fixed or random")
    limit = data.get("time_limit_minutes")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 600):
        fail("time_limit_minutes", "time_limit_minutes must be a whole number of minutes (1-600)")
    attempts = data.get("attempts_allowed", 1)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
        fail("attempts_allowed", "attempts_allowed must be 0 (unlimited) or more")
    pass_mark = data.get("pass_mark", 60)
    if isinstance(pass_mark, bool) or not isinstance(pass_mark, (int, float)) or not 0 <= pass_mark <= 100:
        fail("pass_mark", "pass_mark must be a percent from 0 to 100")
    for field, allowed in (("grading", GRADINGS), ("review", REVIEWS), ("audience", AUDIENCES)):
        if field in data and data[field] not in allowed:
            fail(field, f"{field} must be one of {', '.join(allowed)}")
    return {
        "slug": slug, "title": str(data["title"]).strip(), "language": language,
        "description": str(data.get("description") or "").strip(), "mode": mode,
        "questions_text": json.dumps(questions, ensure_ascii=False),
        "draw_text": json.dumps(draw, ensure_ascii=False),
        "shuffle_questions": bool(data.get("shuffle_questions", False)),
        "shuffle_options": bool(data.get("shuffle_options", False)),
        "time_limit_minutes": limit, "attempts_allowed": attempts, "pass_mark": float(pass_mark),
        "grading": data.get("grading", "highest"), "review": data.get("review", "after_submit"),
        "audience": data.get("audience", "all"),
    }


def sync_tests(directory: Path, report: SyncReport) -> None:
    """Load every test file of ``directory``."""
    known = {tuple(row) for row in db.session.execute(
        sa.select(Question.bank, Question.key, Question.language).where(Question.is_archived.is_(False)))}
    existing = {test.slug: test for test in db.session.execute(sa.select(Test)).scalars()}
    seen = set()
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        try:
            fields = parse_test(path, known)
        except ContentError as error:
            report.errors.append(error)
            seen.add(path.stem)  # a broken file does not archive its test
            continue
        seen.add(fields["slug"])
        digest = _hash(fields)
        test = existing.get(fields["slug"])
        if test is None:
            db.session.add(Test(content_hash=digest, **fields))
            report.add("test", fields["slug"], "created")
        elif test.content_hash != digest or test.is_archived:
            for name, value in fields.items():
                setattr(test, name, value)
            test.content_hash, test.is_archived = digest, False
            report.add("test", fields["slug"], "updated")
        else:
            report.add("test", fields["slug"], "unchanged")
    for slug, test in existing.items():
        if slug not in seen and not test.is_archived and test.content_hash:
            test.is_archived = True
            report.add("test", slug, "archived")


def load(content_dir: Path) -> SyncReport:
    """The content loader: every bank, then every test (tests refer to the banks' questions)."""
    report = SyncReport()
    content_dir = Path(content_dir)
    for path in sorted((content_dir / "quizzes").glob("*.yaml")) if (content_dir / "quizzes").is_dir() else []:
        try:
            sync_bank(path, report)  # parses the whole file before it writes anything
        except ContentError as error:
            report.errors.append(error)
    sync_tests(content_dir / "tests", report)
    db.session.flush()
    return report
