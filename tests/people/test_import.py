"""The roster import: encodings, a report per row, idempotency, and nothing written from a bad file."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning.extensions import db
from learning.people import services
from learning.people.models import StaffCategory, User

ROSTER = """工号,姓名,人员类别,部门,角色,在职
c9001,王某某,在编,sq1,师傅,是
a9002,李某,辅助,第二中队,,是
bad 1,,在编,sq1,,是
c9003,赵某,军人,sq1,,是
c9004,钱某,在编,nowhere,,是
"""


def _usernames(app) -> set[str]:
    with app.app_context():
        return set(db.session.execute(sa.select(User.username)).scalars())


def test_report_says_what_happened_to_every_row(demo_app):
    """Valid rows are created; each bad row is rejected with its line and reason."""
    with demo_app.app_context():
        report = services.import_roster(None, ROSTER.encode("gb18030"), "roster.csv")
        db.session.commit()
        statuses = {row.line: (row.status, " ".join(row.reasons)) for row in report.rows}
        assert statuses[2][0] == statuses[3][0] == "created"
        assert statuses[4] == ("rejected", statuses[4][1]) and "employee number" in statuses[4][1]
        assert "staff category" in statuses[5][1]
        assert "Unknown department" in statuses[6][1]
        created = db.session.execute(sa.select(User).where(User.username == "a9002")).scalar_one()
        assert created.staff_category == StaffCategory.auxiliary and created.department.code == "sq2"
        mentor = db.session.execute(sa.select(User).where(User.username == "c9001")).scalar_one()
        assert mentor.has_role("mentor") and mentor.must_change_password


def test_second_import_changes_nothing(demo_app):
    """Importing the same file again leaves every row unchanged."""
    data = ROSTER.encode("utf-8-sig")
    with demo_app.app_context():
        services.import_roster(None, data, "roster.csv")
        db.session.commit()
        again = services.import_roster(None, data, "roster.csv")
        assert again.summary["created"] == again.summary["updated"] == 0
        assert again.summary["unchanged"] == 2


def test_unreadable_file_writes_nothing(demo_app):
    """A file that is not a table imports nothing and says why."""
    before = _usernames(demo_app)
    with demo_app.app_context():
        report = services.import_roster(None, b"\x00\x01binary", "roster.csv")
        assert report.error and not report.rows
        missing = services.import_roster(None, b"name\nx\n", "roster.csv")
        assert "Missing columns" in missing.error
    assert _usernames(demo_app) == before


def test_upload_form_shows_the_report(demo_client):
    """An admin uploads a roster and sees the per-row outcome."""
    import io

    demo_client.login("admin")
    response = demo_client.post_form("/admin/users/import", {
        "file": (io.BytesIO(ROSTER.encode("gbk")), "花名册.csv")}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Created 2" in page and "Rejected 3" in page


def test_cli_import(demo_app, tmp_path):
    """``flask people import FILE`` prints each row and a summary."""
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.encode("utf-8"))
    result = demo_app.test_cli_runner().invoke(args=["people", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "created 2, updated 0, unchanged 0, rejected 3" in result.output
    assert {"c9001", "a9002"} <= _usernames(demo_app)


NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(rows=st.lists(st.tuples(st.text("abc123 ", max_size=6), NAMES, st.sampled_from(["在编", "辅助", "x", ""])),
                     max_size=6))
def test_any_roster_imports_cleanly_or_reports_each_row(app, rows):
    """Arbitrary rows never crash the import; every row gets an outcome and valid rows exist afterwards."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["工号", "姓名", "人员类别"])
    writer.writerows(rows)
    with app.app_context():
        report = services.import_roster(None, buffer.getvalue().encode("gb18030", errors="replace"), "r.csv")
        if report.error is None:
            assert len(report.rows) == len([row for row in rows if any(cell.strip() for cell in row)])
            for row in report.rows:
                assert row.status in ("created", "updated", "unchanged", "rejected")
        db.session.rollback()


def test_oversized_upload_is_refused_before_it_is_read(demo_client):
    """A file over the upload limit gets 413 with a clear page, and nothing is imported."""
    demo_client.login("admin")
    limit = demo_client.application.config["MAX_CONTENT_LENGTH"]
    body = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n"
    body += ("工号,姓名\n" + "c9999,王某\n" * (limit // 10)).encode("utf-8") + b"\r\n--x--\r\n"
    response = demo_client.post("/admin/users/import", data=body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert "larger than 5 MB" in response.get_data(as_text=True)
    assert "c9999" not in _usernames(demo_client.application)


def test_an_administrator_cannot_lock_themselves_out_by_import(demo_app):
    """A roster row that would deactivate the importing administrator is rejected; others still apply."""
    with demo_app.app_context():
        admin = services.find_user("admin")
        data = "工号,姓名,在职,角色\nadmin,周明,否,管理员\nc9001,王某某,是,\n".encode()
        report = services.import_roster(admin, data, "roster.csv")
        db.session.commit()
        outcome = {row.key: row for row in report.rows}
        assert outcome["admin"].status == "rejected" and "deactivate yourself" in outcome["admin"].reasons[0]
        assert outcome["c9001"].status == "created"
        assert services.find_user("admin").is_active
