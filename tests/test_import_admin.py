"""The admin import flow through the test client: upload, per-row preview, confirm; big files in the background."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import Contact, ContactList, DoNotCall, ImportJob

CSV = (
    "手机号,姓名,product\n"
    "13900139000,李四,电视\n"  # 2: new
    "1.38E+10,坏号,宽带\n"  # 3: rejected
    "13800130001,张三1,宽带\n"  # 4: identical to the fixture contact: skipped
    "+86 139 0013 9000,李四,电视\n"  # 5: same as row 2: skipped
    "13800130002,张三二,宽带\n"  # 6: renamed: updated
).encode("gbk")


@pytest.fixture(autouse=True)
def media(settings, tmp_path, simple_static):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, contact_list, data=CSV, name="名单.csv"):
    url = reverse("admin:campaigns_contactlist_import", args=[contact_list.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_list_page_offers_import_and_export(staff_client, contact_list):
    page = staff_client.get(reverse("admin:campaigns_contactlist_change", args=[contact_list.pk]))
    assert page.status_code == 200
    assert reverse("admin:campaigns_contactlist_import", args=[contact_list.pk]).encode() in page.content
    assert reverse("admin:campaigns_contactlist_export", args=[contact_list.pk, "xlsx"]).encode() in page.content


def test_upload_previews_every_row_then_confirm_imports(staff_client, contact_list, media):
    preview = upload(staff_client, contact_list)
    assert preview.status_code == 200
    rows = [(r["row"], r["outcome"]) for r in preview.context["rows"]]
    assert rows == [(2, "new"), (3, "invalid"), (4, "skip"), (5, "skip"), (6, "update")]
    html = preview.content.decode()
    assert "李四" in html and "spreadsheet" in html
    assert "If you confirm: 1 new, 1 updated, 2 skipped (unchanged), 1 rejected." in html
    assert not Contact.objects.filter(phone="13900139000").exists()  # the preview wrote nothing

    confirm_url = reverse("admin:campaigns_contactlist_import_confirm", args=[contact_list.pk])
    done = staff_client.post(confirm_url, {"token": preview.context["token"], "confirm": "1"}, follow=True)
    assert done.status_code == 200
    assert Contact.objects.get(contact_list=contact_list, phone="13900139000").name == "李四"
    assert Contact.objects.get(contact_list=contact_list, phone="13800130002").name == "张三二"
    assert contact_list.contacts.count() == 6
    job = ImportJob.objects.get(contact_list=contact_list)
    assert (job.status, job.created, job.updated, job.skipped, job.rejected_count) == ("done", 1, 1, 2, 1)
    assert job.rejected[0]["row"] == 3
    page = done.content.decode()
    assert "1 created, 1 updated, 2 skipped (unchanged), 1 rejected" in page
    assert 'id="rejected-rows"' in page

    again = staff_client.post(confirm_url, {"token": preview.context["token"], "confirm": "1"}, follow=True)
    assert "already imported" in again.content.decode()
    assert ImportJob.objects.count() == 1
    assert not list(media.rglob("*.csv"))  # no personal data left on disk


def test_cancel_discards_the_upload(staff_client, contact_list, media):
    preview = upload(staff_client, contact_list)
    confirm_url = reverse("admin:campaigns_contactlist_import_confirm", args=[contact_list.pk])
    staff_client.post(confirm_url, {"token": preview.context["token"], "cancel": "1"})
    assert not Contact.objects.filter(phone="13900139000").exists()
    assert not list(media.rglob("*.csv"))


def test_a_token_for_another_list_is_refused(staff_client, contact_list):
    preview = upload(staff_client, contact_list)
    other = ContactList.objects.create(name="别的名单")
    url = reverse("admin:campaigns_contactlist_import_confirm", args=[other.pk])
    assert staff_client.post(url, {"token": preview.context["token"]}).status_code == 404


def test_file_without_phone_column_asks_which_column_it_is(staff_client, contact_list):
    response = upload(staff_client, contact_list, "姓名,城市\n张三,北京\n".encode())
    assert response.status_code == 200
    assert "Choose which column holds the phone numbers." in response.content.decode()


def test_non_staff_cannot_import(client, contact_list):
    response = upload(client, contact_list)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_big_file_imports_in_the_background(
    staff_client, contact_list, settings, redis_conn, media, django_capture_on_commit_callbacks
):
    import django_rq
    from rq.worker import SimpleWorker

    settings.IMPORT_BACKGROUND_THRESHOLD_BYTES = 100
    DoNotCall.objects.create(phone="13700000003")
    lines = ["phone,name,city"] + [f"137{n:08d},客户{n},杭州" for n in range(300)] + ["12345,坏,x"]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff_client, contact_list, "\n".join(lines).encode())
    assert response.status_code == 302
    job = ImportJob.objects.get(contact_list=contact_list)
    assert job.status == ImportJob.Status.PENDING

    page = staff_client.get(response["Location"]).content.decode()
    assert "<progress" in page

    assert django_rq.get_queue("imports").count == 1
    django_rq.get_worker("imports", worker_class=SimpleWorker).work(burst=True)

    job.refresh_from_db()
    assert (job.status, job.created, job.rejected_count, job.processed_bytes) == ("done", 300, 1, job.total_bytes)
    assert job.rejected == [{"row": 302, "reason": job.rejected[0]["reason"], "cells": ["12345", "坏", "x"]}]
    assert contact_list.contacts.get(phone="13700000003").do_not_call is True
    status = staff_client.get(
        reverse("admin:campaigns_contactlist_import_status", args=[contact_list.pk, job.pk])
    ).json()
    assert status["finished"] and status["percent"] == 100 and status["created"] == 300
    page = staff_client.get(response["Location"]).content.decode()
    assert "<progress" not in page and 'id="rejected-rows"' in page and "302" in page
    assert not list(media.rglob("*.csv"))
