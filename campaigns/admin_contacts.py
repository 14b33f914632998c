"""Admin for contact lists, contacts and imports: upload, preview, confirm, progress, export.

Small files: upload → dry-run preview of the first PREVIEW_ROWS rows, row by row (it writes
nothing) → confirm: the same import again, for real, in the request when the preview covered
the whole file, else as a background job. Files that expand to more than
settings.IMPORT_BACKGROUND_THRESHOLD_BYTES (an XLSX counts uncompressed) go straight to
the `imports` RQ queue; the list's page shows a progress bar until the summary and the
rejected rows appear. All of it calls `campaigns.contacts.importing`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.actors import Actor
from audit.admin_base import AuditedAdmin
from audit.record import record
from campaigns import reasons, spreadsheets
from campaigns.actions.lists import record_import
from campaigns.contacts import import_files, import_jobs, importing, resources, uploads
from campaigns.models import Contact, ContactList, ImportJob
from campaigns.permissions import may_export_contacts, may_import_contacts, refusal
from campaigns.privacy import shown_data, shown_in_text, shown_phone
from campaigns.privacy_admin import MaskedNumbersAdmin

PREVIEW_ROWS = 1000
SAMPLE_CONTACTS = 5  # shown on a list's page
SHOWN_REJECTED = 500
PREVIEW_SALT = "campaigns.import-preview"
# ImportJob fields holding reasons, shown by the admin method that words them.
WORDED_FIELDS = {"error": "error_text", "rejected": "rejected_text"}


def summary_message(created: int, updated: int, skipped: int, rejected: int) -> str:
    return _("%(created)d created, %(updated)d updated, %(skipped)d skipped (unchanged), %(rejected)d rejected.") % {
        "created": created,
        "updated": updated,
        "skipped": skipped,
        "rejected": rejected,
    }


def list_contents(request: HttpRequest, contact_list: ContactList) -> dict:
    """What a list holds, for its page: the count, the variables and (with *view contact*) a
    few contacts, their numbers masked unless the user may see them in full."""
    from campaigns.contacts.variables import variable_names_of

    names = variable_names_of([contact_list.pk])
    context = {"contents_count": contact_list.contacts.count(), "contents_variables": names}
    if request.user.has_perm("campaigns.view_contact"):
        context["contents_sample"] = [
            {
                "phone": shown_phone(request.user, contact.phone),
                "name": contact.name,
                "values": [shown_data(request.user, (contact.variables or {}).get(name, "")) for name in names],
            }
            for contact in contact_list.contacts.order_by("pk")[:SAMPLE_CONTACTS]
        ]
    return context


@admin.register(ContactList)
class ContactListAdmin(AuditedAdmin):
    list_display = ["name", "contact_count", "variables", "created_at"]
    search_fields = ["name"]
    change_form_template = "admin/campaigns/contactlist/change_form.html"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(contact_count=Count("contacts"))

    def has_delete_permission(self, request: HttpRequest, obj: ContactList | None = None) -> bool:
        # A campaign that began calling keeps its lists (its calls point at their contacts).
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.used_by_dialled_campaign)

    @admin.display(description=gettext_lazy("contacts"), ordering="contact_count")
    def contact_count(self, obj: ContactList) -> int:
        return obj.contact_count

    @admin.display(description=gettext_lazy("variables"))
    def variables(self, obj: ContactList) -> str:
        return ", ".join(obj.variable_columns or []) or "—"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:list_id>/import/", view(self.import_view), name="campaigns_contactlist_import"),
            path("<int:list_id>/import/confirm/", view(self.confirm_view), name="campaigns_contactlist_import_confirm"),
            path(
                "<int:list_id>/import/<int:job_id>/status/",
                view(self.status_view),
                name="campaigns_contactlist_import_status",
            ),
            path("<int:list_id>/export/<str:fmt>/", view(self.export_view), name="campaigns_contactlist_export"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context["may_export"] = may_export_contacts(request.user)
            extra_context["may_import"] = may_import_contacts(request.user)
            extra_context.update(list_contents(request, obj))
            job = obj.imports.first()
            extra_context["import_job"] = job
            # Rejected rows quote what the file held (numbers of a sort): contact data.
            if job is not None and request.user.has_perm("campaigns.view_contact"):
                extra_context["rejected_rows"] = [
                    {**row, "reason": shown_in_text(row["reason"])} for row in job.rejected_rows(SHOWN_REJECTED)
                ]
                extra_context["rejected_more"] = max(0, job.rejected_count - SHOWN_REJECTED)
        return super().change_view(request, object_id, form_url, extra_context)

    # Import ---------------------------------------------------------------------------

    def _list_for_change(self, request: HttpRequest, list_id: int) -> ContactList:
        contact_list = get_object_or_404(ContactList, pk=list_id)
        # The preview (new / update / skip per row) says which numbers the list holds and
        # under which names: importing needs the contact permissions as well.
        if not (self.has_change_permission(request, contact_list) and may_import_contacts(request.user)):
            raise PermissionDenied
        return contact_list

    def _context(self, request: HttpRequest, contact_list: ContactList, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": contact_list,
            "contact_list": contact_list,
            "threshold": settings.IMPORT_BACKGROUND_THRESHOLD_BYTES,
            **extra,
        }

    def import_view(self, request: HttpRequest, list_id: int) -> HttpResponse:
        contact_list = self._list_for_change(request, list_id)
        template = "admin/campaigns/contactlist/import_form.html"
        upload = request.FILES.get("file") if request.method == "POST" else None
        if upload is None:
            error = _("Choose a CSV or XLSX file.") if request.method == "POST" else ""
            return TemplateResponse(request, template, self._context(request, contact_list, error=error))

        if import_files.expanded_size(upload, upload.size) > settings.IMPORT_BACKGROUND_THRESHOLD_BYTES:
            job = ImportJob(
                contact_list=contact_list, original_name=upload.name, total_bytes=upload.size, created_by=request.user
            )
            job.file.save(upload.name, upload, save=False)
            job.save()
            import_jobs.enqueue_import(job)
            messages.info(request, _("“%(file)s” is importing in the background.") % {"file": upload.name})
            return redirect("admin:campaigns_contactlist_change", contact_list.pk)

        try:
            summary = importing.import_contacts(
                contact_list, upload, upload.name, dry_run=True, keep_rows=PREVIEW_ROWS, max_rows=PREVIEW_ROWS
            )
        except import_files.ImportFileError as exc:
            return TemplateResponse(request, template, self._context(request, contact_list, error=str(exc)))
        stored = uploads.save_preview(upload)
        token = signing.dumps(
            {
                "list": contact_list.pk,
                "path": stored,
                "name": upload.name,
                "size": upload.size,
                "part": summary.truncated,
            },
            salt=PREVIEW_SALT,
        )
        rows = [
            {**vars(r), "label": resources.outcome_label(r.outcome), "reason": reasons.describe(r.reason)}
            for r in summary.rows
        ]
        context = self._context(
            request,
            contact_list,
            summary=summary,
            rows=rows,
            preview_rows=PREVIEW_ROWS,
            token=token,
            file_name=upload.name,
            title=_("Preview the import into %(list)s") % {"list": contact_list},
        )
        return TemplateResponse(request, "admin/campaigns/contactlist/import_preview.html", context)

    def confirm_view(self, request: HttpRequest, list_id: int) -> HttpResponse:
        contact_list = self._list_for_change(request, list_id)
        if request.method != "POST":
            return redirect("admin:campaigns_contactlist_import", contact_list.pk)
        try:
            data = signing.loads(request.POST.get("token", ""), salt=PREVIEW_SALT, max_age=uploads.PREVIEW_MAX_AGE)
        except signing.BadSignature as exc:
            raise Http404 from exc
        if data["list"] != contact_list.pk:
            raise Http404
        if "cancel" in request.POST or not default_storage.exists(data["path"]):
            default_storage.delete(data["path"])
            if "cancel" not in request.POST:
                messages.warning(request, _("This preview was already imported or has expired."))
            return redirect("admin:campaigns_contactlist_change", contact_list.pk)
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
                    contact_list, stream, data["name"], max_rejected=import_jobs.MAX_STORED_REJECTED
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
        if not self.has_view_permission(request):
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

    # Export ---------------------------------------------------------------------------

    def export_view(self, request: HttpRequest, list_id: int, fmt: str) -> HttpResponse:
        contact_list = get_object_or_404(ContactList, pk=list_id)
        if not may_export_contacts(request.user):
            raise refusal()
        if fmt == "csv":
            return resources.csv_response(contact_list, Actor.of_request(request))
        if fmt == "xlsx":
            try:
                return resources.xlsx_response(contact_list, Actor.of_request(request))
            except spreadsheets.TooWide as exc:
                messages.error(request, str(exc))
                return redirect("admin:campaigns_contactlist_change", contact_list.pk)
        raise Http404


@admin.register(Contact)
class ContactAdmin(MaskedNumbersAdmin, AuditedAdmin):
    list_display = ["phone", "name", "contact_list", "do_not_call"]
    list_filter = ["contact_list", "do_not_call"]
    search_fields = ["phone", "name"]
    list_select_related = ["contact_list"]
    raw_id_fields = ["contact_list"]
    show_full_result_count = False


@admin.register(ImportJob)
class ImportJobAdmin(AuditedAdmin):
    list_display = [
        "original_name",
        "contact_list",
        "status_text",
        "rows",
        "created",
        "updated",
        "skipped",
        "rejected_count",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["contact_list"]
    # The error and the rejected rows' reasons are reasons (campaigns.reasons): shown worded in
    # the reader's language.
    readonly_fields = [WORDED_FIELDS.get(f.name, f.name) for f in ImportJob._meta.fields]
    exclude = ["rejected"]  # shown as rejected_text

    def get_fields(self, request: HttpRequest, obj: ImportJob | None = None) -> list[str]:
        fields = list(super().get_fields(request, obj))
        if not request.user.has_perm("campaigns.view_contact"):
            fields.remove("rejected_text")  # quotes the file's cells: contact data
        return fields

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_text(self, obj: ImportJob) -> str:
        return obj.status_text

    @admin.display(description=gettext_lazy("error"))
    def error_text(self, obj: ImportJob) -> str:
        return obj.error_text

    @admin.display(description=gettext_lazy("rejected rows"))
    def rejected_text(self, obj: ImportJob) -> str:
        rows = obj.rejected_rows(SHOWN_REJECTED)
        if not rows:
            return "-"
        more = obj.rejected_count - len(rows)
        return format_html(
            '<table id="rejected-rows"><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>{}',
            _("Row"),
            _("Reason"),
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td></tr>", ((r["row"], shown_in_text(r["reason"])) for r in rows)
            ),
            format_html(
                "<p>{}</p>",
                ngettext("…and %(counter)s more rejected row.", "…and %(counter)s more rejected rows.", more)
                % {"counter": more},
            )
            if more > 0
            else "",
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def view_on_site(self, obj: ImportJob) -> str:
        return reverse("admin:campaigns_contactlist_change", args=[obj.contact_list_id])
