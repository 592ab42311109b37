"""Loading ``content/courses/<slug>/`` into courses and lessons (the ``courses`` step of ``content sync``).

A course folder holds ``course.md`` (front matter and an introduction) and its lessons as numbered
Markdown files (``01-scope.md``). Every file of a folder is checked before anything of it is written,
so a bad file leaves the course as it was. Lessons and courses whose files are gone are archived,
never deleted: learners keep their progress.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..audit import utcnow
from ..content import ContentError, SyncReport, split_front_matter
from ..extensions import db
from .models import CATEGORIES, Audience, Course, Lesson

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LESSON_FILE = re.compile(r"^(\d{2,})-[a-z0-9][a-z0-9-]*\.md$")
LANGUAGES = ("zh", "en")
COURSE_FIELDS = ("title", "summary", "category", "audience", "credit_hours", "language", "group")


@dataclass
class ParsedLesson:
    """A lesson file, read and checked."""

    key: str
    position: int
    title: str
    minutes: int
    body: str


@dataclass
class ParsedCourse:
    """A course folder, read and checked."""

    slug: str
    fields: dict
    lessons: list[ParsedLesson] = field(default_factory=list)


def _line_of(path: Path, name: str) -> int | None:
    """The line of front-matter field ``name`` in ``path`` (for error messages)."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith(f"{name}:"):
                return number
    except (OSError, UnicodeDecodeError):
        return None
    return None


def parse_course(folder: Path) -> ParsedCourse:
    """Read and check one course folder; raises ``ContentError`` for the first problem found."""
    slug = folder.name
    course_file = folder / "course.md"
    if not SLUG_PATTERN.match(slug):
        raise ContentError(folder, "the folder name must be a slug: lower-case letters, digits and '-'")
    if not course_file.is_file():
        raise ContentError(course_file, "course.md is missing")
    meta, intro, _body_line = split_front_matter(course_file)
    missing = [name for name in COURSE_FIELDS if meta.get(name) in (None, "")]
    if missing:
        raise ContentError(course_file, f"missing front matter: {', '.join(missing)}", 2)
    unknown = sorted(set(meta) - set(COURSE_FIELDS) - {"test"})
    if unknown:
        raise ContentError(course_file, f"unknown front matter: {', '.join(unknown)}",
                           _line_of(course_file, unknown[0]))

    def fail(name: str, reason: str):

        """Raise a ContentError at the line of front-matter field ``name``."""
        raise ContentError(course_file, reason, _line_of(course_file, name))

    if str(meta["category"]) not in CATEGORIES:
        fail("category", f"category must be one of {', '.join(CATEGORIES)}, not {meta['category']!r}")
    if str(meta["audience"]) not in {a.value for a in Audience}:
        fail("audience", f"audience must be all, cadre or auxiliary, not {meta['audience']!r}")
    if str(meta["language"]) not in LANGUAGES:
        fail("language", f"language must be zh or en, not {meta['language']!r}")
    hours = meta["credit_hours"]
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 200:
        fail("credit_hours", f"credit_hours must be a number of hours above 0, not {hours!r}")
    if not slug.endswith(f"-{meta['language']}"):
        fail("language", f"the folder name must end in -{meta['language']} (the course's language)")
    group = str(meta["group"])
    if not SLUG_PATTERN.match(group):
        fail("group", "group must be a slug: lower-case letters, digits and '-'")
    test = meta.get("test")
    if test is not None and (not isinstance(test, str) or not SLUG_PATTERN.match(test)):
        fail("test", "test must be the slug of a test")
    for name in ("title", "summary"):
        if not isinstance(meta[name], str):
            fail(name, f"{name} must be text")
    if len(meta["title"]) > 200:
        fail("title", "title is longer than 200 characters")
    parsed = ParsedCourse(slug=slug, fields={
        "group_key": group, "language": str(meta["language"]), "title": meta["title"].strip(),
        "summary": meta["summary"].strip(), "intro": intro.strip(), "category": str(meta["category"]),
        "audience": Audience(str(meta["audience"])), "credit_hours": float(hours), "test_slug": test,
    })
    for position, path in enumerate(sorted(p for p in folder.iterdir() if p.name != "course.md"), start=1):
        if path.is_dir() or path.name.startswith("."):
            continue
        if not LESSON_FILE.match(path.name):
            raise ContentError(path, "a lesson file is named like 01-scope.md (number, '-', name, '.md')")
        parsed.lessons.append(parse_lesson(path, position))
    if not parsed.lessons:
        raise ContentError(folder, "the course has no lessons (01-name.md, 02-name.md, …)")
    return parsed


def parse_lesson(path: Path, position: int) -> ParsedLesson:
    """Read and check one lesson file."""
    meta, body, body_line = split_front_matter(path)
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ContentError(path, "missing front matter: title", 2)
    if len(title) > 200:
        raise ContentError(path, "title is longer than 200 characters", _line_of(path, "title"))
    minutes = meta.get("minutes", 0)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise ContentError(path, f"minutes must be a whole number, not {minutes!r}", _line_of(path, "minutes"))
    unknown = sorted(set(meta) - {"title", "minutes"})
    if unknown:
        raise ContentError(path, f"unknown front matter: {', '.join(unknown)}", _line_of(path, unknown[0]))
    if not body.strip():
        raise ContentError(path, "the lesson has no text", body_line)
    return ParsedLesson(key=path.stem, position=position, title=title.strip(), minutes=minutes, body=body.strip())


def _apply(obj, values: dict) -> bool:
    """Set ``values`` on ``obj``; whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _store(parsed: ParsedCourse, course: Course | None, report: SyncReport) -> None:


    """Write one checked course and its lessons; lessons no longer in the folder are archived."""
    now = utcnow()
    if course is None:
        course = Course(slug=parsed.slug, created_at=now, updated_at=now, **parsed.fields)
        db.session.add(course)
        db.session.flush()
        report.add("course", parsed.slug, "created")
        existing = {}
    else:
        changed = _apply(course, {**parsed.fields, "is_archived": False})
        if changed:
            course.updated_at = now
        report.add("course", parsed.slug, "updated" if changed else "unchanged")
        existing = {lesson.key: lesson for lesson in db.session.execute(
            sa.select(Lesson).where(Lesson.course_id == course.id)).scalars()}
    seen = set()
    for item in parsed.lessons:
        seen.add(item.key)
        values = {"position": item.position, "title": item.title, "minutes": item.minutes, "body": item.body,
                  "is_archived": False}
        lesson = existing.get(item.key)
        key = f"{parsed.slug}/{item.key}"
        if lesson is None:
            db.session.add(Lesson(course_id=course.id, key=item.key, created_at=now, updated_at=now, **values))
            report.add("lesson", key, "created")
        elif _apply(lesson, values):
            lesson.updated_at = now
            report.add("lesson", key, "updated")
        else:
            report.add("lesson", key, "unchanged")
    for key, lesson in existing.items():
        if key not in seen and not lesson.is_archived:
            lesson.is_archived = True
            lesson.updated_at = now
            report.add("lesson", f"{parsed.slug}/{key}", "archived")


def sync_courses(content_dir: Path) -> SyncReport:
    """Load ``content_dir/courses``: create, update or archive courses and lessons; flush, never commit."""
    report = SyncReport()
    root = Path(content_dir) / "courses"
    courses = {course.slug: course for course in db.session.execute(sa.select(Course)).scalars()}
    found: set[str] = set()
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if root.is_dir() else []
    versions: dict[tuple[str, str], str] = {}
    for folder in folders:
        found.add(folder.name)
        try:
            parsed = parse_course(folder)
            version = (parsed.fields["group_key"], parsed.fields["language"])
            if version in versions:
                raise ContentError(folder / "course.md", f"group {version[0]!r} has a {version[1]!r} version "
                                   f"already: {versions[version]}", _line_of(folder / "course.md", "group"))
            versions[version] = parsed.slug
        except ContentError as error:
            report.errors.append(error)
            report.add("course", folder.name, "rejected", error.reason)
            continue
        _store(parsed, courses.get(parsed.slug), report)
    for slug, course in courses.items():
        if slug not in found and not course.is_archived:
            course.is_archived = True
            course.updated_at = utcnow()
            report.add("course", slug, "archived")
    db.session.flush()
    return report
