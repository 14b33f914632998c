import json

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns.admin_readonly import ReadOnlyAdmin
from campaigns.permissions import may_see_people
from campaigns.privacy import shown_in_text
from receipts.models import PendingPush, Receipt, RejectedPush

# What a user without *view call* and *view contact* does not see here (SECURITY.md): the
# elements and bodies as received hold caller and callee numbers; a call's link names its phone.
PEOPLE_FIELDS = {"raw_pretty", "body_pretty", "body", "detail", "detail_shown"}


class LinkedFilter(admin.SimpleListFilter):
    title = _("matched to a call")
    parameter_name = "matched"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("yes")), ("no", _("no: unknown call"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Receipt]) -> QuerySet[Receipt]:
        if self.value() == "yes":
            return queryset.filter(matched_call__isnull=False)
        if self.value() == "no":
            return queryset.filter(matched_call__isnull=True, matched_test_call__isnull=True).exclude(
                kind=Receipt.Kind.MALFORMED
            )
        return queryset


class EvidenceAdmin(ReadOnlyAdmin):
    """Receipts are evidence: staff look, nobody edits; numbers and raw bodies only for those who
    may see people (SECURITY.md, "What each role can see")."""

    def get_list_display(self, request: HttpRequest):
        return self._for(request, super().get_list_display(request))

    def get_fields(self, request: HttpRequest, obj: object = None):
        return self._for(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj: object = None):
        return self._for(request, super().get_readonly_fields(request, obj))

    def _for(self, request: HttpRequest, names) -> list:
        if may_see_people(request.user):
            return list(names)
        return [name for name in names if name not in PEOPLE_FIELDS]


@admin.register(Receipt)
class ReceiptAdmin(EvidenceAdmin):
    list_display = ["received_at", "kind", "call_id", "out_id", "status_code", "dtmf", "call_link", "problem"]
    list_filter = ["kind", LinkedFilter, "status_code", "received_at"]
    search_fields = ["call_id", "out_id", "=status_code"]
    date_hierarchy = "received_at"
    list_select_related = ["matched_call"]
    show_full_result_count = False
    fields = [
        "kind",
        "problem",
        "call_link",
        "call_id",
        "out_id",
        "status_code",
        "status_msg",
        "dtmf",
        "duration",
        "status_time",
        "start_time",
        "end_time",
        "received_at",
        "dedupe_key",
        "raw_pretty",
    ]
    readonly_fields = fields

    @admin.display(description=_("call"))
    def call_link(self, obj: Receipt) -> str:
        if obj.matched_call_id is None:
            return "—"
        url = reverse("admin:campaigns_call_change", args=[obj.matched_call_id])
        return format_html('<a href="{}">{}</a>', url, obj.matched_call)  # its name holds no phone

    @admin.display(description=_("raw element"))
    def raw_pretty(self, obj: Receipt) -> str:
        return format_html("<pre>{}</pre>", shown_in_text(json.dumps(obj.raw, ensure_ascii=False, indent=2)))


@admin.register(RejectedPush)
class RejectedPushAdmin(EvidenceAdmin):
    list_display = ["received_at", "reason", "size", "detail_shown", "remote_addr"]
    list_filter = ["reason", "received_at"]
    date_hierarchy = "received_at"
    fields = ["received_at", "reason", "detail_shown", "size", "content_type", "remote_addr", "body_pretty"]
    readonly_fields = fields

    @admin.display(description=_("detail"))
    def detail_shown(self, obj: RejectedPush) -> str:
        return shown_in_text(obj.detail)

    @admin.display(description=_("body"))
    def body_pretty(self, obj: RejectedPush) -> str:
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', shown_in_text(obj.body))


@admin.register(PendingPush)
class PendingPushAdmin(EvidenceAdmin):
    list_display = ["received_at", "pk"]
    date_hierarchy = "received_at"
    fields = ["received_at", "body"]
    readonly_fields = fields
