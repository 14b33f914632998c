"""Background contact imports: queue an uploaded file, run it on the `imports` RQ queue,
record progress and the outcome on its `ImportJob` (the reading and merging itself is
`campaigns.contacts.importing`)."""

from __future__ import annotations

import logging
import time

from django.db import transaction

from campaigns import background, reasons, webhook_events
from campaigns.contacts.import_files import ImportFileError
from campaigns.contacts.importing import ImportSummary, import_contacts
from campaigns.models import ImportJob

log = logging.getLogger(__name__)

MAX_STORED_REJECTED = 10_000


def enqueue_import(job: ImportJob) -> None:
    """Queue the job on the `imports` RQ queue once the current transaction commits."""
    background.enqueue_on_commit("imports", run_import_job, job.pk, job_timeout=3 * 3600)


def run_import_job(job_id: int) -> None:
    """The RQ job: import the job's file, recording progress on the ImportJob row."""
    job = ImportJob.objects.select_related("contact_list").get(pk=job_id)
    if job.status not in (ImportJob.Status.PENDING, ImportJob.Status.RUNNING):
        return
    job.mark_running()
    last = [0.0]

    def progress(summary: ImportSummary, bytes_read: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5:
            return
        last[0] = now
        ImportJob.objects.filter(pk=job.pk).update(
            processed_bytes=min(bytes_read, job.total_bytes or bytes_read),
            rows=summary.total,
            created=summary.created,
            updated=summary.updated,
            skipped=summary.skipped,
            rejected_count=summary.rejected_count,
        )

    try:
        with job.file.open("rb") as stream:
            summary = import_contacts(
                job.contact_list, stream, job.original_name, max_rejected=MAX_STORED_REJECTED, progress=progress
            )
    except ImportFileError as exc:
        finish_job(job, error=exc.reason)
    except Exception as exc:
        log.exception("import %s failed", job.pk)
        finish_job(job, error=reasons.reason("import.unexpected_error", error=str(exc)), keep_file=True)
        raise
    else:
        finish_job(job, summary)


def finish_job(
    job: ImportJob, summary: ImportSummary | None = None, error: reasons.Reason | None = None, keep_file: bool = False
) -> None:
    """Record the outcome on the job and delete the uploaded file (it holds personal data).
    Without a summary the job failed; `error` says why, as a reason (worded when shown)."""
    if job.file and not keep_file:
        job.file.delete(save=False)
    stored_file = job.file.name or ""
    if summary is None:
        job.mark_failed(error or {}, file=stored_file)
        return
    with transaction.atomic():
        job.mark_done(
            processed_bytes=job.total_bytes,
            rows=summary.total,
            created=summary.created,
            updated=summary.updated,
            skipped=summary.skipped,
            rejected_count=summary.rejected_count,
            rejected=summary.rejected[:MAX_STORED_REJECTED],
            header=summary.header,
            file=stored_file,
        )
        webhook_events.import_finished(job.contact_list_id, summary.as_dict(), "file")
