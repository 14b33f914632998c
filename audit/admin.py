"""The audit trail in the admin: read-only, filtered by actor, event, object and date, exported
as CSV (the export itself is an audit event)."""

from __future__ import annotations

import itertools
import json

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit import events
from audit.actors import Actor
from audit.models import AuditEvent
from audit.record import record
from campaigns import spreadsheets
from campaigns.privacy import mask_text, may_see_numbers, shown_in_text

EXPORT_COLUMNS = [
    ("at", _("when")),
    ("actor_kind", _("actor kind")),
    ("actor_name", _("actor")),
    ("ip", _("IP address")),
    ("event", _("event")),
    ("object_type", _("object type")),
    ("object_id", _("object id")),
    ("object_repr", _("object")),
    ("campaign_id", _("campaign")),
    ("changes", _("changes")),
    ("reason", _("reason")),
    ("rows", _("rows")),
]


class EventFilter(admin.SimpleListFilter):
    title = _("event")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return [(code, label) for code, label in events.EVENTS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "actor_kind", "event_label", "object_shown", "campaign_id", "rows", "ip"]
    list_filter = [EventFilter, "actor_kind", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_name", "object_repr", "object_id", "object_type"]
    date_hierarchy = "at"
    list_per_page = 100
    show_full_result_count = False  # the table grows for years: no COUNT(*) of all of it per page
    # What it names and what changed may quote a number: shown masked to staff who may not see them.
    readonly_fields = [
        {"object_repr": "object_shown", "changes": "changes_shown"}.get(f.name, f.name) for f in AuditEvent._meta.fields
    ]
    fields = readonly_fields
    change_list_template = "admin/audit/auditevent/change_list.html"

    @admin.display(description=_("event"), ordering="event")
    def event_label(self, obj: AuditEvent) -> str:
        return obj.event_label

    @admin.display(description=_("object"), ordering="object_repr")
    def object_shown(self, obj: AuditEvent) -> str:
        return shown_in_text(obj.object_repr)

    @admin.display(description=_("changes"))
    def changes_shown(self, obj: AuditEvent) -> str:
        return shown_in_text(json.dumps(obj.changes, ensure_ascii=False)) if obj.changes else "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_actions(self, request: HttpRequest):
        return {}

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("export.csv", export, name="audit_auditevent_export"), *super().get_urls()]

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """The rows the change list shows (its filters and search), as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = self.get_changelist_instance(request).get_queryset(request)
        count = queryset.count()
        record(Actor.of_request(request), "download.audit", rows=count, object_type="audit.auditevent")
        header = [str(title) for _name, title in EXPORT_COLUMNS]
        shown = str if may_see_numbers(request.user) else mask_text
        rows = (
            [shown(_cell(item, name)) for name, _title in EXPORT_COLUMNS] for item in queryset.iterator(chunk_size=2000)
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        return spreadsheets.csv_response(itertools.chain([header], rows), f"audit-{stamp}.csv")


def _cell(item: AuditEvent, name: str) -> str:
    value = getattr(item, name)
    if name == "at":
        return timezone.localtime(value).isoformat()
    if value in (None, {}, ""):
        return ""
    return json.dumps(value, ensure_ascii=False) if name in ("changes", "reason") else str(value)
