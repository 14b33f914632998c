"""The contact list admin's import pages: upload, column mapping and preview, confirm,
progress, rejected rows as a file.

Small files: upload → the columns mapped (phone, name, variables, ignored: guessed from the
titles or remembered from the list's last import) and a dry-run preview of the first
PREVIEW_ROWS rows, row by row (it writes nothing; changing the mapping previews again) →
confirm: the same import again, for real, in the request when the preview covered the whole
file, else as a background job; the mapping is remembered on the list. Files that expand to
more than settings.IMPORT_BACKGROUND_THRESHOLD_BYTES (an XLSX counts uncompressed) go
straight to the `imports` RQ queue with the list's remembered mapping. All of it calls
`campaigns.contacts.importing`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actors import Actor
from audit.record import record
from campaigns import reasons
from campaigns.actions.lists import record_import
from campaigns.contacts import import_files, import_jobs, importing, mapping, rejected_file, resources, uploads
from campaigns.models import ContactList, ImportJob
from campaigns.permissions import may_export_contacts, may_import_contacts, refusal
from campaigns.privacy import shown_text

PREVIEW_ROWS = 1000
PREVIEW_SALT = "campaigns.import-preview"
FORM = "admin/campaigns/contactlist/import_form.html"
PREVIEW = "admin/campaigns/contactlist/import_preview.html"


def summary_message(created: int, updated: int, skipped: int, rejected: int) -> str:
    return _("%(created)d created, %(updated)d updated, %(skipped)d skipped (unchanged), %(rejected)d rejected.") % {
        "created": created,
        "updated": updated,
        "skipped": skipped,
        "rejected": rejected,
    }


class ImportViews:
    """Mixed into `ContactListAdmin`."""

    def import_urls(self) -> list:
        view = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path("<int:list_id>/import/", view(self.import_view), name="campaigns_contactlist_import"),
            path("<int:list_id>/import/confirm/", view(self.confirm_view), name="campaigns_contactlist_import_confirm"),
            path(
                "<int:list_id>/import/rejected/",
                view(self.preview_rejected_view),
                name="campaigns_contactlist_import_preview_rejected",
            ),
            path(
                "<int:list_id>/import/<int:job_id>/status/",
                view(self.status_view),
                name="campaigns_contactlist_import_status",
            ),
            path(
                "<int:list_id>/import/<int:job_id>/rejected/",
                view(self.job_rejected_view),
                name="campaigns_contactlist_import_rejected",
            ),
        ]

    def _list_for_change(self, request: HttpRequest, list_id: int) -> ContactList:
        contact_list = get_object_or_404(ContactList, pk=list_id)
        # The preview (new / update / skip per row) says which numbers the list holds and
        # under which names: importing needs the contact permissions as well.
        if not (self.has_change_permission(request, contact_list) and may_import_contacts(request.user)):  # type: ignore[attr-defined]
            raise PermissionDenied
        return contact_list

    def _context(self, request: HttpRequest, contact_list: ContactList, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": ContactList._meta,
            "original": contact_list,
            "contact_list": contact_list,
            "threshold": settings.IMPORT_BACKGROUND_THRESHOLD_BYTES,
            **extra,
        }

    def import_view(self, request: HttpRequest, list_id: int) -> HttpResponse:
        contact_list = self._list_for_change(request, list_id)
        if request.method == "POST" and "token" in request.POST:  # the mapping changed: preview again
            data = self._preview_data(request, contact_list)
            return self._preview(request, contact_list, data, mapping.from_form(request.POST, data["header"]))
        upload = request.FILES.get("file") if request.method == "POST" else None
        if upload is None:
            error = _("Choose a CSV or XLSX file.") if request.method == "POST" else ""
            return TemplateResponse(request, FORM, self._context(request, contact_list, error=error))

        if import_files.expanded_size(upload, upload.size) > settings.IMPORT_BACKGROUND_THRESHOLD_BYTES and (
            self._phone_column_known(upload, contact_list)
        ):
            job = ImportJob(
                contact_list=contact_list, original_name=upload.name, total_bytes=upload.size, created_by=request.user
            )
            job.file.save(upload.name, upload, save=False)
            job.save()
            import_jobs.enqueue_import(job)
            messages.info(request, _("“%(file)s” is importing in the background.") % {"file": upload.name})
            return redirect("admin:campaigns_contactlist_change", contact_list.pk)

        data = {"list": contact_list.pk, "path": uploads.save_preview(upload), "name": upload.name, "size": upload.size}
        return self._preview(request, contact_list, data, None)

    def _phone_column_known(self, upload, contact_list: ContactList) -> bool:
        """Whether a big file can go straight to the background: its phone column is known (by
        title, or as the list remembers it); else it takes the mapping step first."""
        try:
            header = import_files.read_table(upload, upload.name).header
        except import_files.ImportFileError:
            return True  # the job reports it
        finally:
            upload.seek(0)
        return bool(import_files.guess_mapping(header, contact_list.column_mapping)["phone"])

    def _preview_data(self, request: HttpRequest, contact_list: ContactList) -> dict:
        """The stored upload a preview's token names (404 when forged, for another list, or gone)."""
        try:
            data = signing.loads(request.POST.get("token", ""), salt=PREVIEW_SALT, max_age=uploads.PREVIEW_MAX_AGE)
        except signing.BadSignature as exc:
            raise Http404 from exc
        if data["list"] != contact_list.pk:
            raise Http404
        return data

    def _dry_run(self, contact_list: ContactList, data: dict, columns: dict, **kwargs) -> importing.ImportSummary:
        with default_storage.open(data["path"], "rb") as stream:
            table = import_files.read_table(stream, data["name"])
            return importing.import_table(contact_list, table, dry_run=True, mapping=columns, **kwargs)

    def _preview(
        self, request: HttpRequest, contact_list: ContactList, data: dict, columns: dict | None
    ) -> HttpResponse:
        """The mapping form and the dry run's rows; the mapping step alone when no phone column is set."""
        try:
            with default_storage.open(data["path"], "rb") as stream:
                header = import_files.read_table(stream, data["name"]).header
        except (import_files.ImportFileError, FileNotFoundError) as exc:
            default_storage.delete(data["path"])
            error = str(exc) if isinstance(exc, import_files.ImportFileError) else _("This preview has expired.")
            return TemplateResponse(request, FORM, self._context(request, contact_list, error=error))
        columns = columns if columns is not None else import_files.guess_mapping(header, contact_list.column_mapping)
        data = {**data, "header": header, "mapping": columns}
        context = self._context(
            request,
            contact_list,
            file_name=data["name"],
            preview_rows=PREVIEW_ROWS,
            mapping_rows=mapping.form_rows(header, columns),
            title=_("Preview the import into %(list)s") % {"list": contact_list},
        )
        if not columns.get("phone"):
            context["error"] = _("Choose which column holds the phone numbers.")
            context["token"] = signing.dumps(data, salt=PREVIEW_SALT)
            return TemplateResponse(request, PREVIEW, context)
        try:
            summary = self._dry_run(contact_list, data, columns, keep_rows=PREVIEW_ROWS, max_rows=PREVIEW_ROWS)
        except import_files.ImportFileError as exc:
            context["error"] = str(exc)
            context["token"] = signing.dumps(data, salt=PREVIEW_SALT)
            return TemplateResponse(request, PREVIEW, context)
        data["part"] = summary.truncated
        context["token"] = signing.dumps(data, salt=PREVIEW_SALT)
        context["summary"] = summary
        context["rows"] = [
            {
                **vars(r),
                "label": resources.outcome_label(r.outcome),
                # Masked like the rest of the page for who may not see numbers (a variable or a
                # rejected cell may be a number; the stored contact's values are shown for updates).
                "reason": shown_text(request.user, reasons.describe(r.reason)),
                "note": shown_text(request.user, reasons.describe(r.note)) if r.note else "",
                "variables": shown_text(
                    request.user, ", ".join(f"{key}={value}" for key, value in r.variables.items() if value)
                ),
            }
            for r in summary.rows
        ]
        context["may_download_rejected"] = summary.rejected_count and may_export_contacts(request.user)
        return TemplateResponse(request, PREVIEW, context)

    def confirm_view(self, request: HttpRequest, list_id: int) -> HttpResponse:
        contact_list = self._list_for_change(request, list_id)
        if request.method != "POST":
            return redirect("admin:campaigns_contactlist_import", contact_list.pk)
        data = self._preview_data(request, contact_list)
        if "cancel" in request.POST or not default_storage.exists(data["path"]):
            default_storage.delete(data["path"])
            if "cancel" not in request.POST:
                messages.warning(request, _("This preview was already imported or has expired."))
            return redirect("admin:campaigns_contactlist_change", contact_list.pk)
        columns = data.get("mapping")
        if columns and columns != contact_list.column_mapping:
            contact_list.column_mapping = columns  # the next upload starts from it (and a background job reads it)
            contact_list.save(update_fields=["column_mapping"])
        if data.get("part"):
            # The preview covered the first PREVIEW_ROWS rows only: the whole file is no job for
            # a web request.
            job = ImportJob(
                contact_list=contact_list, original_name=data["name"], total_bytes=data["size"], created_by=request.user
            )
            with default_storage.open(data["path"], "rb") as stream:
                job.file.save(data["name"], stream, save=False)
            with transaction.atomic():
                job.save()
                changes = {"file": [None, data["name"]], "bytes": [None, data["size"]]}
                record(Actor.of_request(request), "import.started", contact_list, changes=changes)
            default_storage.delete(data["path"])
            import_jobs.enqueue_import(job)
            messages.info(request, _("“%(file)s” is importing in the background.") % {"file": data["name"]})
            return redirect("admin:campaigns_contactlist_change", contact_list.pk)
        job = ImportJob.objects.create(
            contact_list=contact_list,
            original_name=data["name"],
            total_bytes=data["size"],
            status=ImportJob.Status.RUNNING,
            started_at=timezone.now(),
            created_by=request.user,
        )
        try:
            with default_storage.open(data["path"], "rb") as stream:
                summary = importing.import_contacts(
                    contact_list, stream, data["name"], max_rejected=import_jobs.MAX_STORED_REJECTED, mapping=columns
                )
        except import_files.ImportFileError as exc:
            import_jobs.finish_job(job, error=exc.reason)
            messages.error(request, str(exc))
        else:
            import_jobs.finish_job(job, summary)
            record_import(Actor.of_request(request), contact_list, data["name"], summary)
            messages.success(
                request,
                _("Imported “%(file)s”: ") % {"file": data["name"]}
                + summary_message(summary.created, summary.updated, summary.skipped, summary.rejected_count),
            )
        finally:
            default_storage.delete(data["path"])
        return redirect("admin:campaigns_contactlist_change", contact_list.pk)

    def status_view(self, request: HttpRequest, list_id: int, job_id: int) -> JsonResponse:
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        job = get_object_or_404(ImportJob, pk=job_id, contact_list_id=list_id)
        return JsonResponse(
            {
                "status": job.status,
                "status_display": job.status_text,
                "percent": job.progress_percent,
                "processed_bytes": job.processed_bytes,
                "total_bytes": job.total_bytes,
                "rows": job.rows,
                "created": job.created,
                "updated": job.updated,
                "skipped": job.skipped,
                "rejected": job.rejected_count,
                "finished": job.finished,
            }
        )

    # Rejected rows as a file: the file's own cells (numbers in full), so an export's permissions.

    def preview_rejected_view(self, request: HttpRequest, list_id: int) -> HttpResponse:
        contact_list = self._list_for_change(request, list_id)
        if request.method != "POST":
            raise Http404
        if not may_export_contacts(request.user):
            raise refusal()
        data = self._preview_data(request, contact_list)
        try:
            summary = self._dry_run(contact_list, data, data.get("mapping") or {}, max_rows=PREVIEW_ROWS)
        except (import_files.ImportFileError, FileNotFoundError) as exc:
            raise Http404 from exc
        return rejected_file.rejected_response(
            contact_list, data["name"], summary.header, summary.rejected, Actor.of_request(request)
        )

    def job_rejected_view(self, request: HttpRequest, list_id: int, job_id: int) -> HttpResponse:
        contact_list = self._list_for_change(request, list_id)
        if not may_export_contacts(request.user):
            raise refusal()
        job = get_object_or_404(ImportJob, pk=job_id, contact_list=contact_list)
        return rejected_file.rejected_response(
            contact_list, job.original_name, job.header, job.rejected, Actor.of_request(request)
        )
