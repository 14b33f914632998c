"""Writing CSV and XLSX downloads: the one place a cell is made safe for a spreadsheet.

What django-import-export is for here. Its `Resource` classes declare the columns of our
own exports, their headers and how each value is dehydrated
(`campaigns.contacts.resources.ContactResource`, `results.exports.ResultResource`), which
stream through the writers below (tablib would build the whole dataset in memory). And it
is the admin's import/export of the small reference tables, with its preview and confirm
(`campaigns.reference_resources`: do-not-call list, caller numbers, no-call days): those
small downloads are written by tablib, every cell and header through `xlsx_cell` first.
It does not read contact files: its row-by-row loop ran at about 500 rows/s and would be a
second merge path; `campaigns.contacts.importing` is the one contact import path, and only
borrows its outcome names new, update, skip, invalid.

Every other export writes through `csv_response` / `xlsx_response` below, header row included, so
no path can forget to:
- clean XLSX cells: control characters XML cannot hold are dropped, text is capped at
  Excel's 32,767 characters per cell;
- then neutralise formulas: a text cell starting with = + - @, tab or CR gets an apostrophe.
  Cleaning comes first: a cell "\\x01=HYPERLINK(...)" is no formula until its control
  character is dropped, and would be written as one if neutralised before.
- stay inside Excel's 16,384 columns (`TooWide`, a clear message, instead of a 500).

Cells keep their types: numbers stay numbers, and an aware datetime becomes a real date cell in
XLSX (its wall-clock time in its own zone: the column's header names the zone) and, in CSV,
`2026-11-02 10:01:00 +08:00`. A download's file name may be Chinese (`attachment(...)`: an ASCII
`filename` for old clients, the real one as RFC 5987 `filename*`).
Which variable columns a list has is `campaigns.contacts.variables.variable_names_of`.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

# A cell starting with one of these is a formula to Excel/LibreOffice/WPS (tab and CR too).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_COLUMNS = 16_384
XLSX_MAX_CELL_CHARS = 32_767
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TooWide(ValueError):
    """More columns than an XLSX sheet holds; the message is for staff."""


def neutralise(value: object) -> object:
    """The cell with an apostrophe in front if a spreadsheet would run it as a formula.
    Text only: numbers, dates and booleans are typed cells, never formulas; None is blank."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_cell(value: object) -> object:
    """A neutralised CSV cell; an aware time with its offset (`2026-11-02 10:01:00 +08:00`)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        text = value.strftime("%z")
        return f"{value:%Y-%m-%d %H:%M:%S} {text[:3]}:{text[3:]}"
    return neutralise(value)


def xlsx_cell(value: object) -> object:
    """A cleaned, then neutralised cell openpyxl can write and Excel can open. An aware time is
    written as its wall-clock time (Excel has no zones: the header says which)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    value = neutralise(value)
    if isinstance(value, str):
        value = value[:XLSX_MAX_CELL_CHARS]
    return value


def check_width(columns: int) -> None:
    if columns > XLSX_MAX_COLUMNS:
        raise TooWide(
            _("This export has %(columns)d columns; an XLSX sheet holds at most %(max)d. Download it as CSV instead.")
            % {"columns": columns, "max": XLSX_MAX_COLUMNS}
        )


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    """A streamed CSV download, UTF-8 with a BOM (Excel then reads Chinese right)."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[bytes]:
        yield "\ufeff".encode()
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row]).encode()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment(filename)
    return response


def attachment(filename: str) -> str:
    """The Content-Disposition of a download: `filename*=utf-8''…` (RFC 5987) for a name that is
    not ASCII, after a plain `filename` of its ASCII letters for clients that read only that."""
    if filename.isascii():
        return content_disposition_header(True, filename) or ""
    stem, dot, ext = filename.rpartition(".")
    fallback = "-".join(
        part for part in "".join(c if c.isascii() and c.isalnum() else "-" for c in stem).split("-") if part
    )
    fallback = f"{fallback or 'download'}{dot}{ext}"
    return f"attachment; filename=\"{fallback}\"; filename*=utf-8''{quote(filename)}"


def xlsx_response(rows: Iterable[list], filename: str, sheet_title: str) -> FileResponse:
    """An XLSX download written row by row (openpyxl write-only: memory flat in the row count)
    to a temporary file, then sent from it. Raises TooWide before writing anything."""
    from openpyxl import Workbook

    rows = iter(rows)
    header = next(rows)
    check_width(len(header))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([xlsx_cell(value) for value in header])
    for row in rows:
        sheet.append([xlsx_cell(value) for value in row])
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # FileResponse closes it
    workbook.save(spool)
    spool.seek(0)
    response = FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    response["Content-Disposition"] = attachment(filename)
    return response
