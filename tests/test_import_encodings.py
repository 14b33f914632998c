"""CSV files in UTF-8, UTF-8 with BOM, GBK/GB18030 and UTF-16, with , ; or tab: names never garbled."""

import io

import pytest

from campaigns.contacts.import_files import ImportFileError
from campaigns.contacts.importing import import_contacts
from campaigns.models import Contact, ContactList

ROWS = [("13800138000", "张三", "宽带"), ("13900139000", "李四", "电视"), ("13700137000", "王五·欧阳", "手机")]


def csv_text(delimiter=",", header=("手机号", "姓名", "产品")):
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in ROWS]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def empty_list(db):
    return ContactList.objects.create(name="编码测试")


def imported(contact_list):
    return {c.phone: (c.name, c.variables) for c in Contact.objects.filter(contact_list=contact_list)}


@pytest.mark.parametrize(
    ("encoding", "label"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8 (BOM)"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_encodings_are_detected(empty_list, encoding, label):
    summary = import_contacts(empty_list, io.BytesIO(csv_text().encode(encoding)), "list.csv")
    assert summary.encoding == label
    assert summary.created == 3
    assert imported(empty_list)["13700137000"] == ("王五·欧阳", {"产品": "手机"})


def test_bom_does_not_hide_the_phone_header(empty_list):
    data = csv_text(header=("phone", "name", "product")).encode("utf-8-sig")
    summary = import_contacts(empty_list, io.BytesIO(data), "list.csv")
    assert summary.created == 3
    assert imported(empty_list)["13800138000"] == ("张三", {"product": "宽带"})


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_are_sniffed(empty_list, delimiter):
    summary = import_contacts(empty_list, io.BytesIO(csv_text(delimiter).encode("gbk")), "list.csv")
    assert summary.delimiter == delimiter
    assert imported(empty_list)["13900139000"] == ("李四", {"产品": "电视"})


def test_gbk_after_a_long_ascii_prefix(empty_list):
    """Chinese that first appears past the first 64 KiB still decides the encoding."""
    lines = ["phone,name,note"] + [f"138{n:08d},A{n},x" for n in range(5000)] + ["13900139000,李四,备注"]
    data = "\n".join(lines).encode("gbk")
    assert data.index("李".encode("gbk")) > 65536
    summary = import_contacts(empty_list, io.BytesIO(data), "list.csv")
    assert summary.encoding == "gb18030"
    assert imported(empty_list)["13900139000"] == ("李四", {"note": "备注"})


def test_quoted_cells_with_delimiters_and_newlines(empty_list):
    data = 'phone,name,address\n13800138000,"张, 三","北京市\n朝阳区"\n13900139000,李四,上海\n'.encode()
    summary = import_contacts(empty_list, io.BytesIO(data), "list.csv")
    assert summary.created == 2
    assert imported(empty_list)["13800138000"] == ("张, 三", {"address": "北京市\n朝阳区"})


def test_undecodable_file_is_a_file_error(empty_list):
    data = b"phone,name\n13800138000,\xff\xfe\xfd\xfc\x80\n"
    with pytest.raises(ImportFileError):
        import_contacts(empty_list, io.BytesIO(data), "list.csv")
    assert not Contact.objects.filter(contact_list=empty_list).exists()
