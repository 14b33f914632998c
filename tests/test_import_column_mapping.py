"""The admin import's column-mapping step: a header like 联系方式 imports once mapped (guessed
here), the mapping is remembered for the list's next upload, the preview shows variables and
flags do-not-call numbers, an unreadable 不早于 drops the hours with a note, and the rejected
rows download in the file's own format with a reason column."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import ContactList, DoNotCall, ImportJob

pytestmark = pytest.mark.django_db

CSV = (
    "客户,联系方式,产品,备注,不早于\n"
    "王伟,13900139000,电视,老客户,18:00\n"  # 2: new
    "坏号,12345,宽带,,\n"  # 3: rejected
    "李娜,13900139001,宽带,,晚上\n"  # 4: new, the hours dropped with a note
    "赵六,13700000003,宽带,,\n"  # 5: new, on the do-not-call list
).encode()


@pytest.fixture(autouse=True)
def media(settings, tmp_path, simple_static):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def empty_list():
    return ContactList.objects.create(name="新名单")


def upload(client, contact_list, data=CSV, name="名单.csv"):
    url = reverse("admin:campaigns_contactlist_import", args=[contact_list.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def remap(client, contact_list, token, **roles):
    url = reverse("admin:campaigns_contactlist_import", args=[contact_list.pk])
    return client.post(url, {"token": token, **roles})


def confirm(client, contact_list, token):
    url = reverse("admin:campaigns_contactlist_import_confirm", args=[contact_list.pk])
    return client.post(url, {"token": token, "confirm": "1"}, follow=True)


def test_a_contact_method_header_is_guessed_mapped_and_remembered(staff_client, empty_list):
    DoNotCall.objects.create(phone="13700000003")
    preview = upload(staff_client, empty_list)
    assert preview.status_code == 200
    roles = {row["title"]: row["role"] for row in preview.context["mapping_rows"]}
    assert roles == {"客户": "name", "联系方式": "phone", "产品": "variable", "备注": "variable", "不早于": "variable"}

    # The operator ignores 备注; the preview follows.
    preview = remap(
        staff_client,
        empty_list,
        preview.context["token"],
        column_0="name",
        column_1="phone",
        column_2="variable",
        column_3="ignore",
        column_4="variable",
    )
    rows = {r["row"]: r for r in preview.context["rows"]}
    assert [(n, r["outcome"]) for n, r in rows.items()] == [(2, "new"), (3, "invalid"), (4, "new"), (5, "new")]
    assert rows[2]["name"] == "王伟" and rows[2]["variables"] == "产品=电视, call_after=18:00"
    assert rows[5]["do_not_call"] and not rows[2]["do_not_call"]
    assert "call_after “晚上” is not a time of day" in rows[4]["note"]
    html = preview.content.decode()
    assert "on the do-not-call list" in html and 'id="only-rejected"' in html and "老客户" not in html

    done = confirm(staff_client, empty_list, preview.context["token"])
    assert done.status_code == 200
    empty_list.refresh_from_db()
    assert empty_list.column_mapping == {"phone": "联系方式", "name": "客户", "ignore": ["备注"]}
    wang = empty_list.contacts.get(phone="13900139000")
    assert (wang.name, wang.variables) == ("王伟", {"产品": "电视", "call_after": "18:00"})
    li = empty_list.contacts.get(phone="13900139001")
    assert li.variables.get("call_after") == ""  # imported, without its own hours
    assert empty_list.contacts.get(phone="13700000003").do_not_call

    # The next upload starts from the remembered mapping.
    again = upload(staff_client, empty_list, "客户,联系方式,备注\n孙七,13900139002,x\n".encode(), name="第二批.csv")
    roles = {row["title"]: row["role"] for row in again.context["mapping_rows"]}
    assert roles == {"客户": "name", "联系方式": "phone", "备注": "ignore"}
    assert again.context["rows"][0]["name"] == "孙七"


def test_no_recognisable_phone_column_asks_for_one(staff_client, empty_list):
    preview = upload(staff_client, empty_list, "姓名,号\n张三,13900139000\n".encode())
    assert preview.status_code == 200
    assert "Choose which column holds the phone numbers." in preview.content.decode()
    assert "rows" not in preview.context
    preview = remap(staff_client, empty_list, preview.context["token"], column_0="name", column_1="phone")
    confirm(staff_client, empty_list, preview.context["token"])
    assert empty_list.contacts.get().phone == "13900139000"


def test_rejected_rows_download_in_the_files_format_with_a_reason(staff_client, empty_list):
    preview = upload(staff_client, empty_list)
    download = staff_client.post(
        reverse("admin:campaigns_contactlist_import_preview_rejected", args=[empty_list.pk]),
        {"token": preview.context["token"]},
    )
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["客户", "联系方式", "产品", "备注", "不早于", "Rejection reason"]
    assert rows[1][:2] == ["坏号", "12345"] and "12345" in rows[1][-1]

    confirm(staff_client, empty_list, preview.context["token"])
    job = ImportJob.objects.get(contact_list=empty_list)
    page = staff_client.get(reverse("admin:campaigns_contactlist_change", args=[empty_list.pk])).content.decode()
    url = reverse("admin:campaigns_contactlist_import_rejected", args=[empty_list.pk, job.pk])
    assert url in page
    body = b"".join(staff_client.get(url).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 2 and rows[1][1] == "12345"


def test_an_xlsx_file_gets_its_rejected_rows_as_xlsx(staff_client, empty_list):
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    sheet = book.active
    for row in [("手机号", "姓名"), ("13900139000", "甲"), ("999", "乙")]:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    preview = upload(staff_client, empty_list, data.getvalue(), name="名单.xlsx")
    download = staff_client.post(
        reverse("admin:campaigns_contactlist_import_preview_rejected", args=[empty_list.pk]),
        {"token": preview.context["token"]},
    )
    rows = list(load_workbook(io.BytesIO(b"".join(download.streaming_content))).active.values)
    assert rows[0] == ("手机号", "姓名", "Rejection reason") and rows[1][:2] == ("999", "乙")


def test_the_download_needs_the_export_permissions(staff_with, empty_list):
    client = staff_with("change_contactlist", "view_contactlist", "view_contact", "add_contact")
    preview = upload(client, empty_list)
    assert not preview.context["may_download_rejected"]
    download = client.post(
        reverse("admin:campaigns_contactlist_import_preview_rejected", args=[empty_list.pk]),
        {"token": preview.context["token"]},
    )
    assert download.status_code == 403


def test_a_big_file_without_a_known_phone_column_takes_the_mapping_step_first(staff_client, empty_list, settings):
    settings.IMPORT_BACKGROUND_THRESHOLD_BYTES = 100
    lines = ["客户,号"] + [f"客户{n},137{n:08d}" for n in range(50)]
    preview = upload(staff_client, empty_list, "\n".join(lines).encode())
    assert preview.status_code == 200 and "Choose which column holds the phone numbers." in preview.content.decode()
    assert not ImportJob.objects.exists()


def test_the_command_line_and_the_api_path_use_the_right_mapping(empty_list):
    from campaigns.contacts.importing import import_contacts

    empty_list.column_mapping = {"phone": "号", "name": "", "ignore": ["备注"]}
    empty_list.save()
    summary = import_contacts(empty_list, io.BytesIO("号,姓名,备注\n13900139000,甲,x\n".encode()), "a.csv")
    assert summary.created == 1
    contact = empty_list.contacts.get()
    assert (contact.name, contact.variables) == ("甲", {})  # 姓名 found by its title; 备注 ignored as remembered
