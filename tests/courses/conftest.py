"""Fixtures of courses: small course folders written in a temporary directory, and a synced app."""

from __future__ import annotations

from pathlib import Path

import pytest

from learning.courses.loader import sync_courses
from learning.extensions import db


def write_course(root: Path, slug: str, lessons: dict[str, str] | None = None, **meta) -> Path:
    """Write ``root/courses/<slug>/`` with a course.md and lessons ({"01-scope": "body"}); returns the folder."""
    language = meta.pop("language", slug.rsplit("-", 1)[-1])
    fields = {"title": f"Course {slug}", "summary": "A summary.", "category": "law", "audience": "all",
              "credit_hours": 2, "language": language, "group": slug.rsplit("-", 1)[0], **meta}
    folder = root / "courses" / slug
    folder.mkdir(parents=True, exist_ok=True)
    front = "\n".join(f"{key}: {value}" for key, value in fields.items() if value is not None)
    (folder / "course.md").write_text(f"---\n{front}\n---\nIntroduction of {slug}.\n", encoding="utf-8")
    for key, body in (lessons or {"01-scope": "Scope body.", "02-procedure": "Procedure body."}).items():
        write_lesson(folder, key, body)
    return folder


def write_lesson(folder: Path, key: str, body: str, title: str | None = None, minutes: int = 10) -> Path:
    """Write one lesson file ``<key>.md``."""
    path = folder / f"{key}.md"
    path.write_text(f"---\ntitle: {title or 'Lesson ' + key}\nminutes: {minutes}\n---\n{body}\n", encoding="utf-8")
    return path


@pytest.fixture
def content(tmp_path) -> Path:
    """A content folder with a Chinese and an English version of one course, and a cadre-only course."""
    root = tmp_path / "content"
    write_course(root, "basics-zh", {"01-scope": "范围。", "02-procedure": "程序。", "03-delivery": "送达。"},
                 title="基础课程", group="basics")
    write_course(root, "basics-en", {"01-scope": "Scope.", "02-procedure": "Procedure.", "03-delivery": "Delivery."},
                 title="Basics", group="basics")
    write_course(root, "cadre-only-zh", title="干部专题", audience="cadre", credit_hours=1.5, group="cadre-only")
    return root


@pytest.fixture
def ctx(app):
    """A request context (messages of the rules are translated, which needs one) for database work."""
    with app.test_request_context():
        yield


@pytest.fixture
def synced(app, content):
    """A request context whose database holds the ``content`` courses."""
    with app.test_request_context():
        report = sync_courses(content)
        assert not report.errors, report.errors
        db.session.commit()
        yield content
