"""XLSX uploads: numeric phone cells, dates, blank rows, Chinese sheet content."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from campaigns.contacts.import_files import ImportFileError
from campaigns.contacts.importing import import_contacts
from campaigns.models import ContactList


def workbook_bytes(rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "客户"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def empty_list(db):
    return ContactList.objects.create(name="表格")


def test_xlsx_with_numeric_phones_and_dates(empty_list):
    data = workbook_bytes(
        [
            ["手机号码", "客户姓名", "到期日", "金额"],
            [13800138000, "张三", dt.date(2026, 12, 31), 99.5],
            ["139-0013-9000", "李四", None, 100],
            [None, None, None, None],
            ["12345", "坏", None, None],
        ]
    )
    summary = import_contacts(empty_list, io.BytesIO(data), "客户.xlsx")
    assert (summary.created, summary.rejected_count) == (2, 1)
    assert summary.rejected[0]["row"] == 5
    zhang = empty_list.contacts.get(phone="13800138000")
    assert (zhang.name, zhang.variables) == ("张三", {"到期日": "2026-12-31", "金额": "99.5"})
    assert empty_list.contacts.get(phone="13900139000").variables == {"到期日": "", "金额": "100"}


def test_xlsx_is_recognised_without_its_extension(empty_list):
    data = workbook_bytes([["phone"], ["13800138000"]])
    assert import_contacts(empty_list, io.BytesIO(data), "upload").created == 1


def test_broken_xlsx_is_a_file_error(empty_list):
    with pytest.raises(ImportFileError):
        import_contacts(empty_list, io.BytesIO(b"PK\x03\x04 not really a zip"), "x.xlsx")


def test_old_xls_is_refused_with_advice(empty_list):
    with pytest.raises(ImportFileError, match="xlsx"):
        import_contacts(empty_list, io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100), "old.xls")
