"""What an upload may cost the web request: an XLSX counts by its uncompressed size (a small
workbook may hold millions of rows), and a preview writes nothing (on SQLite a write would
hold the database lock the receipt webhook needs)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from campaigns.contacts.import_files import expanded_size
from campaigns.contacts.importing import import_contacts
from campaigns.models import ContactList, ImportJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def workbook(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["phone", "name", "city"])
    for n in range(rows):
        sheet.append([f"137{n:08d}", "客户", "杭州"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, contact_list, data: bytes, name: str):
    url = reverse("admin:campaigns_contactlist_import", args=[contact_list.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def test_a_small_workbook_of_many_rows_imports_in_the_background(
    staff_client, contact_list, settings, django_capture_on_commit_callbacks, monkeypatch
):
    data = workbook(5000)
    assert expanded_size(io.BytesIO(data), len(data)) > 4 * len(data)
    settings.IMPORT_BACKGROUND_THRESHOLD_BYTES = 2 * len(data)  # the file is under it, its rows are not
    queued = []
    monkeypatch.setattr("campaigns.contacts.import_jobs.enqueue_import", queued.append)
    response = upload(staff_client, contact_list, data, "大.xlsx")
    assert response.status_code == 302
    assert [job.original_name for job in queued] == ["大.xlsx"]
    assert ImportJob.objects.get().status == ImportJob.Status.PENDING
    assert contact_list.contacts.count() == 5  # nothing imported in the request


def test_a_csv_counts_by_its_size(contact_list):
    data = b"phone\n13800138000\n"
    assert expanded_size(io.BytesIO(data), len(data)) == len(data)
    broken = b"PK\x03\x04not a zip"
    assert expanded_size(io.BytesIO(broken), len(broken)) == len(broken)


def test_the_preview_writes_nothing(staff_client, contact_list):
    data = "phone,name\n13900139000,新\n13800130001,改名\n".encode()
    with CaptureQueriesContext(connection) as queries:
        response = upload(staff_client, contact_list, data, "p.csv")
    assert response.status_code == 200 and "13900139000" in response.content.decode()
    writes = [
        q["sql"] for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT INTO \"CAMPAIGNS_CONTACT\"", "UPDATE \"CAMPAIGNS_CONTACT\"",
                                                  "CREATE TEMPORARY", "SAVEPOINT", "INSERT INTO CAMPAIGNS_CONTACT"))
    ]  # fmt: skip
    assert writes == []
    assert not contact_list.contacts.filter(phone="13900139000").exists()


def test_a_dry_run_sees_its_own_earlier_batches(db):
    contact_list = ContactList.objects.create(name="批次")
    data = "phone,name\n13800138000,甲\n13800138001,乙\n13800138000,甲\n13800138000,丙\n".encode()
    preview = import_contacts(contact_list, io.BytesIO(data), "b.csv", dry_run=True, keep_rows=10, batch_size=1)
    assert [r.outcome for r in preview.rows] == ["new", "new", "skip", "update"]
    real = import_contacts(contact_list, io.BytesIO(data), "b.csv", batch_size=1)
    assert (real.created, real.updated, real.skipped) == (preview.created, preview.updated, preview.skipped)


def test_the_preview_of_a_long_file_covers_its_first_rows_and_confirming_imports_all_in_the_background(
    staff_client, contact_list, monkeypatch
):
    from campaigns.admin_import import PREVIEW_ROWS
    from campaigns.contacts.import_jobs import run_import_job

    rows = PREVIEW_ROWS + 5
    data = ("phone,name\n" + "".join(f"137{n:08d},客户\n" for n in range(rows))).encode()
    response = upload(staff_client, contact_list, data, "长.csv")
    assert response.status_code == 200
    assert response.context["summary"].created == PREVIEW_ROWS
    assert 'id="import-partial"' in response.content.decode()
    queued = []
    monkeypatch.setattr("campaigns.contacts.import_jobs.enqueue_import", queued.append)
    confirm = reverse("admin:campaigns_contactlist_import_confirm", args=[contact_list.pk])
    assert staff_client.post(confirm, {"token": response.context["token"]}).status_code == 302
    assert [job.original_name for job in queued] == ["长.csv"]
    assert contact_list.contacts.count() == 5  # nothing yet: the worker imports it
    run_import_job(queued[0].pk)
    assert contact_list.contacts.count() == 5 + rows
    assert not queued[0].__class__.objects.get(pk=queued[0].pk).file


def test_a_short_file_is_previewed_whole_and_imported_at_once(staff_client, contact_list):
    response = upload(staff_client, contact_list, b"phone\n13900139000\n", "s.csv")
    assert 'id="import-partial"' not in response.content.decode()
    confirm = reverse("admin:campaigns_contactlist_import_confirm", args=[contact_list.pk])
    staff_client.post(confirm, {"token": response.context["token"]})
    assert contact_list.contacts.filter(phone="13900139000").exists()
