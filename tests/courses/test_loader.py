"""``content sync`` of courses: idempotent, strict about bad files, and never losing progress."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from learning.courses import services
from learning.courses.loader import sync_courses
from learning.courses.models import Course, Lesson, LessonProgress
from learning.extensions import db
from tests.conftest import make_user

from .conftest import write_course, write_lesson

REPO_CONTENT = Path(__file__).resolve().parents[2] / "content"


def _statuses(report) -> dict[str, str]:
    return {f"{item.kind}:{item.key}": item.status for item in report.items}


def test_first_sync_creates_and_second_changes_nothing(app, content):
    """A second run reports every course and lesson unchanged."""
    with app.app_context():
        first = sync_courses(content)
        db.session.commit()
        assert first.count("created") == 3 + 3 + 3 + 2
        second = sync_courses(content)
        db.session.commit()
        assert not second.changed
        assert second.count("unchanged") == first.count("created")
        course = services.find_course("basics-zh")
        assert course.group_key == "basics" and course.language == "zh"
        assert [lesson.key for lesson in services.active_lessons(course)] == ["01-scope", "02-procedure",
                                                                                  "03-delivery"]


def test_cli_sync_reports_counts_and_is_idempotent(app, content):
    """``flask content sync --path`` prints the summary; the second run creates and updates nothing."""
    runner = app.test_cli_runner()
    first = runner.invoke(args=["content", "sync", "--path", str(content)])
    assert first.exit_code == 0, first.output
    assert "created 11" in first.output
    second = runner.invoke(args=["content", "sync", "--path", str(content)])
    assert "created 0, updated 0, unchanged 11, archived 0" in second.output


def test_malformed_course_file_is_rejected_with_path_and_line_and_nothing_loaded(app, content):
    """Invalid YAML in course.md: the error names the file and line; the course is not loaded at all."""
    folder = write_course(content, "broken-zh")
    (folder / "course.md").write_text("---\ntitle: Broken\ncategory: [law\n---\nText\n", encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["content", "sync", "--path", str(content)])
    assert result.exit_code == 1
    assert f"{folder / 'course.md'}:" in result.output
    assert "rejected files 1" in result.output
    with app.app_context():
        assert services.find_course("broken-zh") is None
        assert services.find_course("basics-zh") is not None  # the good courses still load


def test_bad_values_are_reported_at_their_line(app, content):
    """An unknown category is reported at the category line."""
    folder = write_course(content, "oddity-en", category="cooking")
    with app.app_context():
        report = sync_courses(content)
        error = next(e for e in report.errors if "oddity-en" in e.path)
        assert error.line == 4 and "category" in error.reason
        assert services.find_course("oddity-en") is None
    assert folder.exists()


def test_a_bad_lesson_file_keeps_the_whole_course_as_it_was(app, synced):
    """A lesson without a title rejects the course folder; the stored course is left untouched."""
    folder = synced / "courses" / "basics-zh"
    (folder / "02-procedure.md").write_text("---\nminutes: 5\n---\nNew text\n", encoding="utf-8")
    write_lesson(folder, "04-extra", "Extra")
    report = sync_courses(synced)
    db.session.commit()
    assert [e.path for e in report.errors] == [str(folder / "02-procedure.md")]
    course = services.find_course("basics-zh")
    assert len(services.active_lessons(course)) == 3
    lesson = db.session.execute(sa.select(Lesson).where(Lesson.key == "02-procedure",
                                                        Lesson.course_id == course.id)).scalar_one()
    assert lesson.body == "程序。"


def test_badly_named_lesson_file_is_rejected(app, content):
    """Lesson files are numbered: ``scope.md`` is refused with its path."""
    write_lesson(content / "courses" / "basics-en", "scope", "No number")
    with app.app_context():
        report = sync_courses(content)
        assert any(e.path.endswith("scope.md") for e in report.errors)
        assert services.find_course("basics-en") is None


def test_removed_lesson_is_archived_and_progress_kept(app, synced):
    """Deleting a lesson file archives the lesson; the learner's progress on it stays; restoring revives it."""
    user = make_user("learner1")
    course = services.find_course("basics-zh")
    first = services.active_lessons(course)[0]
    services.mark_lesson_done(user, first)
    db.session.commit()
    (synced / "courses" / "basics-zh" / "01-scope.md").unlink()
    report = sync_courses(synced)
    db.session.commit()
    assert _statuses(report)["lesson:basics-zh/01-scope"] == "archived"
    assert db.session.get(Lesson, first.id).is_archived
    assert db.session.execute(sa.select(sa.func.count(LessonProgress.id))).scalar_one() == 1
    assert [lesson.key for lesson in services.active_lessons(course)] == ["02-procedure", "03-delivery"]
    write_lesson(synced / "courses" / "basics-zh", "01-scope", "范围。")
    again = sync_courses(synced)
    assert _statuses(again)["lesson:basics-zh/01-scope"] == "updated"
    assert services.done_lesson_ids(user.id, course) == {first.id}


def test_edited_lesson_is_updated_and_renamed_file_is_a_new_lesson(app, synced):
    """A changed body updates the lesson; a renamed file creates a new lesson and archives the old key."""
    folder = synced / "courses" / "basics-en"
    write_lesson(folder, "02-procedure", "Procedure, revised.")
    (folder / "03-delivery.md").rename(folder / "03-service.md")
    report = _statuses(sync_courses(synced))
    assert report["lesson:basics-en/02-procedure"] == "updated"
    assert report["lesson:basics-en/03-service"] == "created"
    assert report["lesson:basics-en/03-delivery"] == "archived"
    assert report["course:basics-en"] == "unchanged"


def test_removed_course_is_archived_not_deleted(app, synced):
    """A course folder that disappears is archived and leaves the catalog."""
    import shutil

    shutil.rmtree(synced / "courses" / "cadre-only-zh")
    report = _statuses(sync_courses(synced))
    assert report["course:cadre-only-zh"] == "archived"
    assert db.session.execute(sa.select(Course.is_archived).where(Course.slug == "cadre-only-zh")).scalar_one()


def test_folder_name_must_end_in_the_language(app, content):
    """``something-zh`` must say ``language: zh``."""
    write_course(content, "mismatch-zh", language="en")
    with app.app_context():
        report = sync_courses(content)
        assert any("must end in -en" in e.reason for e in report.errors)


def test_the_shipped_content_syncs_without_errors_and_twice_changes_nothing(app):
    """content/courses: eight courses (four in two languages), each with four lessons or more."""
    with app.app_context():
        first = sync_courses(REPO_CONTENT)
        db.session.commit()
        assert not first.errors, [str(e) for e in first.errors]
        courses = db.session.execute(sa.select(Course)).scalars().all()
        assert len(courses) >= 8
        groups = {}
        for course in courses:
            groups.setdefault(course.group_key, set()).add(course.language)
            assert len(services.active_lessons(course)) >= 4, course.slug
        assert all(languages == {"zh", "en"} for languages in groups.values()), groups
        second = sync_courses(REPO_CONTENT)
        assert not second.changed and not second.errors


def test_two_folders_for_the_same_group_and_language_are_refused(app, content):
    """A second Chinese version of a group is rejected, naming the folder that has it already."""
    write_course(content, "basics2-zh", group="basics")
    with app.app_context():
        report = sync_courses(content)
        assert [e.path for e in report.errors] == [str(content / "courses" / "basics2-zh" / "course.md")]
        assert "basics-zh" in report.errors[0].reason
