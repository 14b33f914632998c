"""Why an import failed is stored as a reason (a code and params) and worded when shown, in the
reader's language, whatever language the worker that ran the import spoke: on the list's page
(its latest import, where staff follow a background import) and on the import's own page."""

from __future__ import annotations

import django_rq
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from rq.worker import SimpleWorker

from campaigns.models import ImportJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def background(settings, tmp_path, redis_conn):
    """Every upload goes to the `imports` queue, its file under a throwaway MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_BACKGROUND_THRESHOLD_BYTES = 10


@pytest.fixture
def import_in_background(staff_client, contact_list, django_capture_on_commit_callbacks):
    """Upload as staff, then a worker speaking `worker_language` runs the import; it fails."""

    def run(data: bytes, worker_language: str) -> ImportJob:
        url = reverse("admin:campaigns_contactlist_import", args=[contact_list.pk])
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(url, {"file": SimpleUploadedFile("名单.csv", data, content_type="text/csv")})
        assert response.status_code == 302
        with translation.override(worker_language):
            django_rq.get_worker("imports", worker_class=SimpleWorker).work(burst=True)
        job = ImportJob.objects.get(contact_list=contact_list)
        assert job.status == ImportJob.Status.FAILED
        return job

    return run


def pages_read_by(staff_client, job: ImportJob, language: str) -> list[str]:
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    urls = [
        reverse("admin:campaigns_contactlist_change", args=[job.contact_list_id]),
        reverse("admin:campaigns_importjob_change", args=[job.pk]),
    ]
    return [staff_client.get(url).content.decode() for url in urls]


def test_a_file_without_a_phone_column_imported_in_english_reads_in_chinese(staff_client, import_in_background):
    job = import_in_background("姓名,城市\n张三,北京\n李四,上海\n".encode(), "en")

    for page in pages_read_by(staff_client, job, "zh-hans"):
        assert "表头（姓名, 城市）中没有电话列。请将其命名为以下之一：phone, mobile, 手机号码" in page
        assert "No phone column" not in page


def test_a_file_too_wide_imported_in_chinese_reads_in_english(staff_client, import_in_background):
    header = ",".join(["phone", *(f"v{n}" for n in range(1000))])  # 1001 columns
    job = import_in_background(f"{header}\n13800138000\n".encode(), "zh-hans")

    for page in pages_read_by(staff_client, job, "en"):
        assert "The header has 1001 columns; at most 1000 can be imported (phone, name and variables)." in page
        assert "表头有" not in page
