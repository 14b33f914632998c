"""Uploaded contact files at rest: they hold phone numbers, so none outlives its use.

Retention:
- a preview's file (saved while staff look at the dry run) lives until it is confirmed or
  cancelled, at most `PREVIEW_MAX_AGE` (24 h, the confirm link's own lifetime);
- a background import's file is deleted when the job finishes; one that stopped on an
  unexpected error is kept `FAILED_IMPORT_RETENTION` (7 days) for a retry or a bug report;
- `delete_expired_uploads` enforces both. The dispatcher's tick queues it hourly
  (`ivrsite.scheduler.enqueue_housekeeping`); `manage.py shell -c` can run it by hand.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.crypto import get_random_string

from campaigns.models import ImportJob

log = logging.getLogger(__name__)

PREVIEW_DIR = "imports/preview"
PREVIEW_MAX_AGE = dt.timedelta(hours=24)
FAILED_IMPORT_RETENTION = dt.timedelta(days=7)


def save_preview(upload: UploadedFile) -> str:
    """Keep the upload until the preview is confirmed; returns its storage path."""
    upload.seek(0)
    return default_storage.save(f"{PREVIEW_DIR}/{get_random_string(16)}-{upload.name}", upload)


def delete_expired_uploads(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete abandoned preview files and kept files of failed imports past their retention."""
    now = now or timezone.now()
    previews = 0
    if default_storage.exists(PREVIEW_DIR):
        for name in default_storage.listdir(PREVIEW_DIR)[1]:
            path = f"{PREVIEW_DIR}/{name}"
            if default_storage.get_modified_time(path) < now - PREVIEW_MAX_AGE:
                default_storage.delete(path)
                previews += 1
    jobs = 0
    stale = ImportJob.objects.filter(finished_at__lt=now - FAILED_IMPORT_RETENTION).exclude(file="")
    for job in stale.only("pk", "file"):
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        jobs += 1
    if previews or jobs:
        log.info("deleted %d expired preview files and %d kept import files", previews, jobs)
    return {"previews": previews, "import_files": jobs}
