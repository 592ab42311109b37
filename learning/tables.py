"""Spreadsheets in and out: reading uploaded CSV/.xlsx, and exporting tables as .xlsx and .csv.

Every importer and every export of the site goes through here, so that encodings, size limits and
formula injection are handled once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask import Response
from flask_babel import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class TableError(ValueError):
    """The file could not be read as a table at all; nothing is imported from it."""


@dataclass
class Table:
    """Rows read from an uploaded file: the header and each row as a dict, with its line number."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def _decode(data: bytes) -> str:
    """Decode CSV bytes as UTF-8 (with or without BOM), else GB18030 (which covers GBK and GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise TableError(_("The file is neither UTF-8 nor GB18030 text.")) from exc


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, filename: str, aliases: dict[str, str] | None = None) -> Table:
    """Read a CSV or .xlsx upload into a ``Table``.

    ``aliases`` maps accepted header spellings (for example Chinese column names) to the canonical
    column names. Raises ``TableError`` with a message for the user when the file cannot be read.
    """
    aliases = {key.strip().lower(): value for key, value in (aliases or {}).items()}
    if filename.lower().endswith(".xlsx"):
        raw_rows = _xlsx_rows(data)
    else:
        text = _decode(data)
        if "\x00" in text:
            raise TableError(_("The file contains binary data and is not a CSV file."))
        try:
            raw_rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise TableError(_("The CSV file could not be read: %(error)s", error=str(exc))) from exc
    raw_rows = [row for row in raw_rows if any(cell.strip() for cell in row)]
    if not raw_rows:
        raise TableError(_("The file is empty."))
    header = [aliases.get(cell.strip().lower(), cell.strip().lower()) for cell in raw_rows[0]]
    rows = []
    for number, raw in enumerate(raw_rows[1:], start=2):
        cells = [cell.strip() for cell in raw] + [""] * max(0, len(header) - len(raw))
        rows.append((number, {name: cells[index] for index, name in enumerate(header) if name}))
    return Table(header=header, rows=rows)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TableError(_("The file is not a readable .xlsx workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def require_columns(table: Table, required: Iterable[str]) -> None:
    """Raise ``TableError`` naming the required columns the header lacks."""
    missing = [name for name in required if name not in table.header]
    if missing:
        raise TableError(_("Missing columns: %(columns)s", columns=", ".join(missing)))


def neutralise(value):
    """A cell value that spreadsheet programs will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _export_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (int, float, date, datetime)):
        return value
    return neutralise(str(value))


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """CSV with a UTF-8 BOM, so Excel on a Chinese desktop opens it correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(str(header)) for header in headers])
    for row in rows:
        writer.writerow([_export_value(value) for value in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence], title: str = "Export") -> bytes:
    """An .xlsx workbook with a bold, frozen header row and columns sized to their content."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = title[:31] or "Export"
    sheet.append([str(header) for header in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(header)) for header in headers]
    for row in rows:
        values = [_export_value(value) for value in row]
        sheet.append(values)
        for index, value in enumerate(values):
            if index < len(widths):
                widths[index] = max(widths[index], len(str(value)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, width * 1.3 + 2))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_response(headers: Sequence[str], rows: Iterable[Sequence], basename: str, fmt: str) -> Response:
    """A download of the table as ``fmt`` ('xlsx' or 'csv')."""
    rows = list(rows)
    if fmt == "xlsx":
        body, mimetype = xlsx_bytes(headers, rows, title=basename), XLSX_MIMETYPE
    else:
        fmt, body, mimetype = "csv", csv_bytes(headers, rows), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{basename}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
