"""Uploaded files hold phone numbers: an abandoned preview's file is deleted once it expires
(by the hourly housekeeping job the dispatcher's tick queues), a confirmed one at once, and a
failed import's kept file after its retention."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.contacts import uploads
from campaigns.models import ImportJob
from ivrsite.scheduler import tick

pytestmark = pytest.mark.django_db
CSV = "phone,name\n13900139000,李四\n".encode()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def preview(client, contact_list):
    url = reverse("admin:campaigns_contactlist_import", args=[contact_list.pk])
    response = client.post(url, {"file": SimpleUploadedFile("名单.csv", CSV)})
    assert response.status_code == 200
    return response


def age(path, hours: float) -> None:
    then = (timezone.now() - dt.timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


def test_an_abandoned_preview_is_deleted_by_the_hourly_job(
    staff_client, contact_list, media, redis_conn, django_capture_on_commit_callbacks
):
    import django_rq
    from rq.worker import SimpleWorker

    preview(staff_client, contact_list)  # abandoned: never confirmed nor cancelled
    preview(staff_client, contact_list)
    old, recent = sorted((media / uploads.PREVIEW_DIR).iterdir())
    age(old, 25)
    age(recent, 1)
    with django_capture_on_commit_callbacks(execute=True):  # django-rq enqueues on commit
        assert tick()["housekeeping"] is True
        assert tick()["housekeeping"] is False  # once an hour, whatever the number of dispatchers
    django_rq.get_worker("default", worker_class=SimpleWorker).work(burst=True)
    assert not old.exists() and recent.exists()


def test_a_confirmed_preview_deletes_its_file(staff_client, contact_list, media):
    token = preview(staff_client, contact_list).context["token"]
    confirm = reverse("admin:campaigns_contactlist_import_confirm", args=[contact_list.pk])
    assert staff_client.post(confirm, {"token": token}).status_code == 302
    assert contact_list.contacts.filter(phone="13900139000").exists()
    assert list((media / uploads.PREVIEW_DIR).iterdir()) == []


def test_a_failed_import_keeps_its_file_for_the_retention_only(contact_list):
    now = timezone.now()
    kept, recent = (
        ImportJob.objects.create(contact_list=contact_list, status="failed", finished_at=now - age_)
        for age_ in (uploads.FAILED_IMPORT_RETENTION + dt.timedelta(hours=1), dt.timedelta(hours=1))
    )
    for job in (kept, recent):
        job.file.save("x.csv", ContentFile(CSV))
    paths = [kept.file.path, recent.file.path]
    assert uploads.delete_expired_uploads(now) == {"previews": 0, "import_files": 1}
    assert [os.path.exists(p) for p in paths] == [False, True]
    kept.refresh_from_db()
    assert not kept.file
