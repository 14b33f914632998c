"""Contact list exports (django-import-export resource) and the preview results of an import.

Imports do not go through django-import-export's row-by-row loop (about 500 rows/s and a
second merge path): the admin preview, the confirm step, the background job and the
command all call `campaigns.importing.import_contacts`. This module turns its per-row
results into django-import-export's vocabulary for the preview page, and writes lists
back out as CSV (UTF-8 with BOM, so Excel shows Chinese right) or XLSX, with every cell
neutralised against spreadsheet formula injection.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator

from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from import_export import fields, resources

from campaigns import importing
from campaigns.models import Contact, ContactList

# A cell starting with one of these is a formula to Excel/LibreOffice/WPS (tab and CR too).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """The cell as text, prefixed with an apostrophe if a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def outcome_label(outcome: str) -> str:
    """The human label of a row outcome, as django-import-export names them (new, update...)."""
    labels = {
        importing.NEW: _("new"),
        importing.UPDATE: _("update"),
        importing.SKIP: _("skip"),
        importing.INVALID: _("rejected"),
    }
    return labels[outcome]


def variable_names(contact_list: ContactList) -> list[str]:
    """Every variable any contact of the list carries, in a stable order."""
    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT DISTINCT jsonb_object_keys(variables) FROM {table} WHERE contact_list_id = %s",  # noqa: S608
                [contact_list.pk],
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT DISTINCT j.key FROM {table}, json_each({table}.variables) AS j "  # noqa: S608
                "WHERE contact_list_id = %s",
                [contact_list.pk],
            )
        else:
            return sorted(contact_list.variable_names())
        names = [row[0] for row in cursor.fetchall()]
    first = contact_list.contacts.order_by("pk").values_list("variables", flat=True).first() or {}
    order = {name: index for index, name in enumerate(first)}  # the file's column order where known
    return sorted(names, key=lambda name: (order.get(name, len(order)), name))


class ContactResource(resources.ModelResource):
    """Columns of an exported list: phone, name, one per variable, do_not_call."""

    phone = fields.Field(attribute="phone", column_name="phone")
    name = fields.Field(attribute="name", column_name="name")
    do_not_call = fields.Field(attribute="do_not_call", column_name="do_not_call")

    class Meta:
        model = Contact
        fields = ("phone", "name", "do_not_call")
        export_order = ("phone", "name", "do_not_call")

    def __init__(self, variables: list[str] | tuple[str, ...] = (), **kwargs):
        super().__init__(**kwargs)
        self.variables = list(variables)

    def dehydrate_do_not_call(self, contact: Contact) -> str:
        return "yes" if contact.do_not_call else ""

    def get_export_headers(self, selected_fields=None) -> list[str]:
        phone, name, dnc = super().get_export_headers(selected_fields)
        return [phone, name, *self.variables, dnc]

    def export_resource(self, instance: Contact, selected_fields=None, **kwargs) -> list[str]:
        phone, name, dnc = super().export_resource(instance, selected_fields, **kwargs)
        values = instance.variables or {}
        return [neutralise(v) for v in (phone, name, *(values.get(k, "") for k in self.variables), dnc)]


def export_rows(contact_list: ContactList) -> Iterator[list[str]]:
    """The header, then one row per contact, streamed from the database."""
    resource = ContactResource(variable_names(contact_list))
    yield [neutralise(h) for h in resource.get_export_headers()]
    contacts = contact_list.contacts.order_by("pk").only("phone", "name", "variables", "do_not_call")
    for contact in contacts.iterator(chunk_size=2000):
        yield resource.export_resource(contact)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(contact_list: ContactList) -> StreamingHttpResponse:
    """A streamed CSV download, UTF-8 with BOM."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[bytes]:
        yield "\ufeff".encode()
        for row in export_rows(contact_list):
            yield writer.writerow(row).encode()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _disposition(f"{contact_list.name}.csv")
    return response


def xlsx_response(contact_list: ContactList) -> FileResponse:
    """An XLSX download written in openpyxl's write-only mode (memory flat in list size)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Contacts"))
    for row in export_rows(contact_list):
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) for value in row])
    handle = tempfile.TemporaryFile()  # FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{contact_list.name}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _disposition(filename: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(True, filename)
