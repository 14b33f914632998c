"""Admin for contact lists, contacts and imports: export, the latest import's outcome and
rejected rows. The import pages themselves (upload, column mapping, preview, confirm,
progress) are `campaigns.admin_import`."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.actors import Actor
from audit.admin_base import AuditedAdmin
from campaigns import spreadsheets
from campaigns.admin_import import ImportViews
from campaigns.contacts import resources
from campaigns.models import Contact, ContactList, ImportJob
from campaigns.permissions import may_export_contacts, may_import_contacts, refusal
from campaigns.privacy import shown_data, shown_in_text, shown_phone
from campaigns.privacy_admin import MaskedNumbersAdmin

SAMPLE_CONTACTS = 5  # shown on a list's page
SHOWN_REJECTED = 500
# ImportJob fields holding reasons, shown by the admin method that words them.
WORDED_FIELDS = {"error": "error_text", "rejected": "rejected_text"}


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
class ContactListAdmin(ImportViews, AuditedAdmin):
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
            *self.import_urls(),
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
                extra_context["may_download_rejected"] = job.rejected_count and may_export_contacts(request.user)
        return super().change_view(request, object_id, form_url, extra_context)

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
