"""Contact list exports (a django-import-export resource) and the preview results of an import.

Imports do not go through django-import-export (see `campaigns.spreadsheets` for what it is
for): the admin preview, the confirm step, the background job and the command all call
`campaigns.contacts.importing.import_contacts`. This module turns its per-row results into
django-import-export's vocabulary for the preview page, and writes lists back out as CSV
or XLSX through `campaigns.spreadsheets`.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import FileResponse, StreamingHttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources

from audit.actors import Actor
from audit.downloads import counted
from campaigns import spreadsheets
from campaigns.contacts import importing
from campaigns.contacts.contact_hours import CALL_AFTER, CALL_BEFORE
from campaigns.contacts.variables import variable_names_of
from campaigns.models import Contact, ContactList


def outcome_label(outcome: str) -> str:
    """The human label of a row outcome, as django-import-export names them (new, update...)."""
    labels = {
        importing.NEW: _("new"),
        importing.UPDATE: _("update"),
        importing.SKIP: _("skip"),
        importing.INVALID: _("rejected"),
    }
    return labels[outcome]


# A contact's own hours under a worded header the importer reads back (one of its aliases).
HOURS_HEADERS = {CALL_AFTER: gettext_lazy("call after"), CALL_BEFORE: gettext_lazy("call before")}


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
        return [phone, name, *(str(HOURS_HEADERS.get(v, v)) for v in self.variables), dnc]

    def export_resource(self, instance: Contact, selected_fields=None, **kwargs) -> list[str]:
        phone, name, dnc = super().export_resource(instance, selected_fields, **kwargs)
        values = instance.variables or {}
        return [phone, name, *(_text(values.get(k)) for k in self.variables), dnc]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def export_rows(contact_list: ContactList) -> Iterator[list[str]]:
    """The header, then one row per contact, streamed from the database."""
    resource = ContactResource(variable_names_of([contact_list.pk]))
    yield resource.get_export_headers()
    contacts = contact_list.contacts.order_by("pk").only("phone", "name", "variables", "do_not_call")
    for contact in contacts.iterator(chunk_size=2000):
        yield resource.export_resource(contact)


def _audited(contact_list: ContactList, actor: Actor) -> Iterator[list]:
    return counted(export_rows(contact_list), actor, "download.list", contact_list)


def export_filename(contact_list: ContactList, ext: str) -> str:
    """The list's name as a file name: letters (Chinese too), digits and dashes only, so no
    slash, quote or control character of a staff-typed name reaches the download header."""
    return f"{slugify(contact_list.name, allow_unicode=True) or f'list-{contact_list.pk}'}.{ext}"


def csv_response(contact_list: ContactList, actor: Actor) -> StreamingHttpResponse:
    return spreadsheets.csv_response(_audited(contact_list, actor), export_filename(contact_list, "csv"))


def xlsx_response(contact_list: ContactList, actor: Actor) -> FileResponse:
    """Raises spreadsheets.TooWide for a list with more variables than a sheet has columns."""
    rows = _audited(contact_list, actor)
    return spreadsheets.xlsx_response(rows, export_filename(contact_list, "xlsx"), _("Contacts"))
