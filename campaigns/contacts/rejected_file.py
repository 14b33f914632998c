"""Rejected rows of an import as a file to fix and upload again: the same format as the file
(CSV stays CSV, XLSX stays XLSX), the same columns, and one more saying why each row was
rejected, in the reader's language. Written through `campaigns.spreadsheets` (formula-safe)."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from audit.actors import Actor
from audit.downloads import counted
from campaigns import reasons, spreadsheets
from campaigns.models import ContactList


def rejected_rows(header: list[str], rejected: list[dict]) -> Iterator[list]:
    """The header plus a reason column, then each rejected row's cells (as read) and its reason."""
    width = len(header)
    yield [*header, _("Rejection reason")]
    for entry in rejected:
        cells = list(entry.get("cells") or [])[:width]
        cells += [""] * (width - len(cells))
        yield [*cells, reasons.describe(entry["reason"])]


def rejected_response(
    contact_list: ContactList, original_name: str, header: list[str], rejected: list[dict], actor: Actor
) -> HttpResponse:
    """The download; XLSX when the file was one, else CSV (UTF-8 with a BOM)."""
    stem = original_name.rsplit(".", 1)[0] if "." in original_name else original_name
    base = slugify(f"{stem}-{_('rejected')}", allow_unicode=True) or f"list-{contact_list.pk}-rejected"
    rows = counted(rejected_rows(header, rejected), actor, "download.rejected_rows", contact_list)
    if original_name.lower().endswith((".xlsx", ".xlsm")):
        return spreadsheets.xlsx_response(rows, f"{base}.xlsx", _("Rejected rows"))
    return spreadsheets.csv_response(rows, f"{base}.csv")
