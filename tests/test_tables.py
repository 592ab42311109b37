"""Spreadsheets in and out: encodings, damaged files, and formula injection in exports."""

from __future__ import annotations

import functools
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from learning.tables import TableError, csv_bytes, neutralise, read_table, xlsx_bytes


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_is_read_in_every_encoding_excel_writes(encoding):
    """UTF-8 with or without BOM, GB18030 and GBK give the same rows."""
    data = "工号,姓名\nc1,张某\nc2,李某某\n".encode(encoding)
    table = read_table(data, "roster.csv", {"工号": "username", "姓名": "display_name"})
    assert table.header == ["username", "display_name"]
    assert [cells for _line, cells in table.rows] == [
        {"username": "c1", "display_name": "张某"}, {"username": "c2", "display_name": "李某某"}]
    assert [line for line, _cells in table.rows] == [2, 3]


def test_xlsx_is_read_like_csv():
    """A workbook's first sheet reads like a CSV file."""
    data = xlsx_bytes(["username", "display_name"], [["c1", "张某"], [1002, "李某"]])
    table = read_table(data, "roster.xlsx")
    assert [cells["username"] for _line, cells in table.rows] == ["c1", "1002"]


@pytest.mark.parametrize("data,name", [(b"", "x.csv"), (b"\x00\x01\x02", "x.csv"), (b"not a zip", "x.xlsx"),
                                       (b"\xff\xfe\xfa\xfb\xfc" * 3, "x.csv")])
def test_unreadable_files_raise_a_clear_error(data, name, app):
    """Empty, binary or damaged files are refused with a message, never a crash."""
    with app.test_request_context(), pytest.raises(TableError):
        read_table(data, name)


@given(st.binary(max_size=300))
def test_any_bytes_either_read_or_refused_cleanly(data):
    """Whatever the bytes, reading gives a table or a TableError, nothing else."""
    app = _app()
    with app.test_request_context():
        try:
            table = read_table(data, "any.csv")
        except TableError as error:
            assert str(error)  # a message the user can read
        else:
            assert all(isinstance(line, int) and isinstance(cells, dict) for line, cells in table.rows)


@functools.cache
def _app():
    """One app for the property tests, which need a request context (for messages) but no database."""
    from learning import create_app

    from .conftest import BASE_CONFIG

    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@given(st.text(min_size=1, max_size=30))
def test_exported_cells_never_start_a_formula(text):
    """A cell starting with = + - @ is neutralised in CSV and in .xlsx."""
    value = neutralise(text)
    assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert value.lstrip("'") == text or value == text


def test_formula_injection_is_neutralised_in_both_formats(app):
    """=HYPERLINK(...) and friends arrive in the spreadsheet as text."""
    rows = [["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2", "@SUM(A1)", "safe", 42]]
    with app.test_request_context():
        text = csv_bytes(["a", "b", "c", "d", "e", "f"], rows).decode("utf-8-sig")
        workbook = load_workbook(io.BytesIO(xlsx_bytes(["a", "b", "c", "d", "e", "f"], rows)))
    line = text.splitlines()[1]
    assert line.startswith("\"'=HYPERLINK") and ",'+1+1,'-2,'@SUM(A1),safe,42" in line
    values = [cell.value for cell in workbook.active[2]]
    assert values[:4] == ["'=HYPERLINK(\"http://evil\",\"x\")", "'+1+1", "'-2", "'@SUM(A1)"]
    assert values[5] == 42
    assert workbook.active.freeze_panes == "A2"
