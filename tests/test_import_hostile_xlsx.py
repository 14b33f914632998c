"""A broken or hostile workbook is a file-level error on the import page, never a 500."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

pytestmark = pytest.mark.django_db

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10))
    + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
)
UNCLOSED = (
    '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>13900139000'
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def with_sheet(xml: str) -> bytes:
    book = Workbook()
    book.active.append(["phone"])
    good = io.BytesIO()
    book.save(good)
    out = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = xml.encode() if item.filename == "xl/worksheets/sheet1.xml" else src.read(item)
            dst.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("xml", [UNCLOSED, LAUGHS], ids=["unclosed-token", "entity-expansion"])
def test_a_broken_workbook_is_refused_with_a_message(staff_client, contact_list, xml):
    url = reverse("admin:campaigns_contactlist_import", args=[contact_list.pk])
    response = staff_client.post(url, {"file": SimpleUploadedFile("坏.xlsx", with_sheet(xml))})
    assert response.status_code == 200
    assert "workbook" in response.content.decode()
    assert contact_list.contacts.count() == 5
