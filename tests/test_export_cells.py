"""Every export writes its cells through one writer: headers are neutralised like data, the
variable columns are exact (not sampled), and a list too wide for XLSX gets a clear message."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.contacts.importing import import_contacts
from campaigns.models import Call, Contact, ContactList

pytestmark = pytest.mark.django_db

FORMULA_HEADERS = ["=cmd|' /C calc'!A0", "@SUM(9)"]


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def read_xlsx(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


@pytest.fixture
def hostile_headers(running_campaign, contact_list):
    contact = contact_list.contacts.order_by("pk").first()
    contact.variables = dict.fromkeys(FORMULA_HEADERS, "x")
    contact.save()
    Call.objects.create(campaign=running_campaign, contact=contact, phone=contact.phone, status="answered")
    return running_campaign


def test_results_export_neutralises_its_header_row(staff_client, hostile_headers):
    header = read_csv(staff_client.get(reverse("results:export", args=[hostile_headers.pk, "csv"])))[0]
    assert "'=cmd|' /C calc'!A0" in header and "'@SUM(9)" in header
    assert not [cell for cell in header if cell.startswith(("=", "@"))]
    sheet = read_xlsx(staff_client.get(reverse("results:export", args=[hostile_headers.pk, "xlsx"])))
    assert [cell.data_type for cell in sheet[1]].count("f") == 0
    assert "'=cmd|' /C calc'!A0" in [cell.value for cell in sheet[1]]


def test_list_export_neutralises_its_header_row(staff_client, contact_list):
    Contact.objects.create(contact_list=contact_list, phone="13900000001", variables=dict.fromkeys(FORMULA_HEADERS, ""))
    url = reverse("admin:campaigns_contactlist_export", args=[contact_list.pk, "xlsx"])
    sheet = read_xlsx(staff_client.get(url))
    assert [cell.data_type for cell in sheet[1]].count("f") == 0


def test_a_variable_only_late_rows_carry_is_exported(staff_client, running_campaign):
    big = ContactList.objects.create(name="late column")
    Contact.objects.bulk_create(
        Contact(contact_list=big, phone=f"1390000{n:04d}", variables={"a": "1"}) for n in range(300)
    )
    import_contacts(big, io.BytesIO("phone,a,late\n13900000299,1,只在最后\n".encode()), "late.csv")
    running_campaign.contact_lists.add(big)
    Call.objects.bulk_create(Call(campaign=running_campaign, contact=c, phone=c.phone) for c in big.contacts.all())
    assert big.variable_names() == {"a", "late"}
    header = read_csv(staff_client.get(reverse("admin:campaigns_contactlist_export", args=[big.pk, "csv"])))[0]
    assert header == ["phone", "name", "a", "late", "do_not_call"]
    rows = read_csv(staff_client.get(reverse("results:export", args=[running_campaign.pk, "csv"])))
    assert "late" in rows[0] and "只在最后" in rows[-1]


def test_xlsx_export_wider_than_a_sheet_says_so(staff_client, contact_list):
    Contact.objects.create(
        contact_list=contact_list, phone="13900000002", variables={f"v{n}": "" for n in range(16_400)}
    )
    url = reverse("admin:campaigns_contactlist_export", args=[contact_list.pk, "xlsx"])
    response = staff_client.get(url, follow=True)
    assert response.status_code == 200
    assert "16384" in response.content.decode() or "16,384" in response.content.decode()
    assert (
        staff_client.get(reverse("admin:campaigns_contactlist_export", args=[contact_list.pk, "csv"])).status_code
        == 200
    )
