"""Header aliases, matched case-insensitively; every other column becomes a contact variable."""

import io

import pytest

from campaigns.contacts.import_files import ImportFileError, map_columns
from campaigns.contacts.importing import import_contacts
from campaigns.models import Contact, ContactList


@pytest.fixture
def empty_list(db):
    return ContactList.objects.create(name="别名测试")


@pytest.mark.parametrize(
    "phone_header",
    [
        "phone",
        "Phone",
        "MOBILE",
        "number",
        "Tel",
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "号码",
        "联系电话",
        " Phone Number ",
    ],
)
def test_phone_aliases(phone_header):
    columns = map_columns(["备注", phone_header, "姓名"])
    assert columns.phone == 1
    assert columns.name == 2
    assert columns.variables == ((0, "备注"),)


@pytest.mark.parametrize("name_header", ["name", "NAME", "姓名", "名字", "客户姓名", "Full_Name"])
def test_name_aliases(name_header):
    assert map_columns(["mobile", name_header]).name == 1


def test_strongest_phone_alias_wins_over_number():
    columns = map_columns(["number", "手机号"])
    assert columns.phone == 1
    assert columns.variables == ((0, "number"),)


def test_other_columns_are_variables_with_their_own_names(empty_list):
    data = "客户姓名,联系电话,Product,到期日,,备注,备注\n张三,13800138000,宽带,2026-12-31,x,a,b\n".encode()
    summary = import_contacts(empty_list, io.BytesIO(data), "c.csv")
    contact = Contact.objects.get(contact_list=empty_list)
    assert (contact.phone, contact.name) == ("13800138000", "张三")
    assert contact.variables == {"Product": "宽带", "到期日": "2026-12-31", "column_5": "x", "备注": "a", "备注_2": "b"}
    assert summary.columns == ["联系电话", "客户姓名", "Product", "到期日", "column_5", "备注", "备注_2"]


def test_file_without_name_column(empty_list):
    import_contacts(empty_list, io.BytesIO(b"Mobile\n13800138000\n"), "c.csv")
    contact = Contact.objects.get(contact_list=empty_list)
    assert (contact.name, contact.variables) == ("", {})


def test_no_phone_column_is_a_file_error_naming_the_header(empty_list):
    with pytest.raises(ImportFileError, match="客户, 地址"):
        import_contacts(empty_list, io.BytesIO("客户,地址\n张三,北京\n".encode()), "c.csv")


def test_our_export_columns_round_trip(empty_list):
    """The do_not_call column of an export is not turned into a variable on re-import."""
    import_contacts(empty_list, io.BytesIO("phone,name,do_not_call,城市\n13800138000,张三,no,杭州\n".encode()), "c.csv")
    assert Contact.objects.get(contact_list=empty_list).variables == {"城市": "杭州"}
