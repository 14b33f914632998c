"""A Big5 (Traditional Chinese) file is read as Big5, not as GB18030 mojibake with private-use
characters in its names and TTS variables; GBK files still read as GBK; Big5-looking bytes
that are not Big5 are refused with a reason."""

import io

import pytest

from campaigns.contacts.import_files import ImportFileError, detect_encoding
from campaigns.contacts.importing import import_contacts
from campaigns.models import Contact, ContactList

pytestmark = pytest.mark.django_db

ROWS = [("13800138000", "陳大文", "臺北市"), ("13800138001", "黃小明", "高雄市"), ("13800138002", "林美麗", "新竹縣")]


def csv_text() -> str:
    return "phone,name,城市\n" + "".join(f"{phone},{name},{city}\n" for phone, name, city in ROWS)


def test_a_big5_file_imports_as_written():
    contact_list = ContactList.objects.create(name="big5")
    import_contacts(contact_list, io.BytesIO(csv_text().encode("big5")), "tw.csv")
    stored = list(Contact.objects.filter(contact_list=contact_list).order_by("phone").values_list("name", "variables"))
    assert stored == [(name, {"城市": city}) for _phone, name, city in ROWS]


def test_gbk_files_still_read_as_gbk():
    text = "phone,name,城市\n13800138000,张三,杭州市\n13800138001,李四,温州市\n13800138002,王五,宁波市\n"
    assert detect_encoding(text.encode("gbk")) == "gb18030"


def test_big5_looking_bytes_that_are_not_big5_are_refused():
    sample = ("phone,name\n13800138000," + "陳大文" * 3).encode("big5") + b"\xc8\x80"  # GBK, no Big5
    with pytest.raises(ImportFileError) as caught:
        detect_encoding(sample)
    assert "Big5" in str(caught.value)
