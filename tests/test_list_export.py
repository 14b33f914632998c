"""Exports of a list: CSV (UTF-8 BOM) and XLSX, Chinese intact, formula cells neutralised, re-importable."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.contacts.importing import import_contacts
from campaigns.models import Contact, ContactList
from campaigns.spreadsheets import neutralise


@pytest.fixture
def export_list(db):
    contact_list = ContactList.objects.create(name="导出名单")
    Contact.objects.create(contact_list=contact_list, phone="13800138000", name="张三", variables={"产品": "宽带"})
    Contact.objects.create(
        contact_list=contact_list,
        phone="13900139000",
        name='=HYPERLINK("http://evil","点我")',
        variables={"产品": "+1+1", "备注": "@SUM(A1)"},
        do_not_call=True,
    )
    Contact.objects.create(contact_list=contact_list, phone="13700137000", name="-2+3", variables={"备注": "\tx"})
    return contact_list


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("张三", "张三"),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_export(staff_client, export_list):
    response = staff_client.get(reverse("admin:campaigns_contactlist_export", args=[export_list.pk, "csv"]))
    assert response.status_code == 200
    assert "filename*=utf-8''%E5%AF%BC" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["phone", "name", "产品", "备注", "do_not_call"]
    assert rows[1] == ["13800138000", "张三", "宽带", "", ""]
    assert rows[2] == ["13900139000", '\'=HYPERLINK("http://evil","点我")', "'+1+1", "'@SUM(A1)", "yes"]
    assert rows[3] == ["13700137000", "'-2+3", "", "'\tx", ""]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


def test_xlsx_export(staff_client, export_list):
    response = staff_client.get(reverse("admin:campaigns_contactlist_export", args=[export_list.pk, "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["phone", "name", "产品", "备注", "do_not_call"]
    assert rows[1][:3] == ["13800138000", "张三", "宽带"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert rows[2][1] == '\'=HYPERLINK("http://evil","点我")'


def test_export_round_trips_through_import(staff_client, export_list):
    response = staff_client.get(reverse("admin:campaigns_contactlist_export", args=[export_list.pk, "csv"]))
    copy = ContactList.objects.create(name="副本")
    summary = import_contacts(copy, io.BytesIO(b"".join(response.streaming_content)), "副本.csv")
    assert summary.created == 3
    assert copy.contacts.get(phone="13800138000").variables == {"产品": "宽带", "备注": ""}


def test_export_needs_a_staff_login(client, export_list):
    response = client.get(reverse("admin:campaigns_contactlist_export", args=[export_list.pk, "csv"]))
    assert response.status_code == 302


def test_the_export_file_name_is_the_lists_name_slugified(staff_client, db):
    from urllib.parse import unquote

    contact_list = ContactList.objects.create(name='../客户 "名单"\r\nX-Evil: 1')
    Contact.objects.create(contact_list=contact_list, phone="13800138000")
    for fmt in ("csv", "xlsx"):
        response = staff_client.get(reverse("admin:campaigns_contactlist_export", args=[contact_list.pk, fmt]))
        header = unquote(response["Content-Disposition"])
        assert header.endswith(f"客户-名单-x-evil-1.{fmt}"), header
        assert "/" not in header.split("filename", 1)[1] and '"' not in header.split("filename*", 1)[1]
