"""Admin for the small reference tables staff import and export (preview, then confirm):
caller numbers, no-call days and the do-not-call list (`campaigns.reference_resources`)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats

from audit.actors import Actor
from audit.admin_base import AuditedAdmin
from audit.record import record
from campaigns import admin_health, do_not_call, health, reasons
from campaigns.models import CallerNumber, DoNotCall, NoCallDay
from campaigns.privacy import may_see_numbers
from campaigns.privacy_admin import MaskedNumbersAdmin
from campaigns.reference_resources import CallerNumberResource, DoNotCallResource, NoCallDayResource


class ReferenceTableAdmin(ImportExportModelAdmin, AuditedAdmin):
    """A small table staff import (preview, then confirm) and export as CSV or XLSX; an import
    and an export are each one audit event with their row counts."""

    formats = [base_formats.CSV, base_formats.XLSX]

    def generate_log_entries(self, result, request: HttpRequest) -> None:
        super().generate_log_entries(result, request)
        totals = {kind: count for kind, count in result.totals.items() if count}
        rows = sum(totals.get(kind, 0) for kind in ("new", "update", "delete"))
        changes = {kind: [None, count] for kind, count in totals.items()}
        model = self.model._meta
        record(Actor.of_request(request), "object.imported", object_type=model.label_lower, rows=rows, changes=changes)

    def get_export_data(self, file_format, request: HttpRequest, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        model = self.model._meta
        record(Actor.of_request(request), "download.reference", object_type=model.label_lower, rows=queryset.count())
        return data


@admin.register(CallerNumber)
class CallerNumberAdmin(ReferenceTableAdmin):
    list_display = ["number", "label", "province", "city", "account", "concurrency_now", "active", "why_inactive"]
    list_display += ["health"]
    list_filter = ["active", "account", "province"]
    list_select_related = ["account"]
    search_fields = ["number", "label", "province", "city"]
    fields = [
        "number", "label", "province", "city", "carrier", "account", "max_concurrent_calls", "concurrency_now",
        "active", "why_inactive", "rested_until", "health", "health_figures",
    ]  # fmt: skip
    readonly_fields = ["concurrency_now", "why_inactive", "health", "health_figures"]
    resource_classes = [CallerNumberResource]

    def has_import_permission(self, request: HttpRequest) -> bool:
        # A file may change numbers already there as well as add new ones.
        return request.user.has_perms(["campaigns.add_callernumber", "campaigns.change_callernumber"])

    @admin.display(description=gettext_lazy("why inactive"))
    def why_inactive(self, obj: CallerNumber) -> str:
        return obj.inactive_reason_text

    @admin.display(description=gettext_lazy("health"))
    def health(self, obj: CallerNumber) -> str:
        return health.flag_text(obj)

    @admin.display(description=gettext_lazy("answer rate"))
    def health_figures(self, obj: CallerNumber) -> str:
        return admin_health.figures_html(obj)

    @admin.display(description=gettext_lazy("concurrency limit now"))
    def concurrency_now(self, obj: CallerNumber) -> str:
        if obj.pk is None:
            return "—"
        now = timezone.now()
        cap = obj.concurrency(now)
        if cap < obj.configured_concurrency:
            until = timezone.localtime(obj.lowered_until).strftime("%H:%M")
            return _("%(now)d (lowered from %(cap)d until %(until)s: Aliyun refused a call for concurrency)") % {
                "now": cap,
                "cap": obj.configured_concurrency,
                "until": until,
            }
        if not obj.max_concurrent_calls:
            kind = _("mobile number") if obj.is_mobile else _("fixed line")
            return _("%(cap)d (Aliyun's figure for a %(kind)s)") % {"cap": cap, "kind": kind}
        return str(cap)

    def save_model(self, request, obj, form, change):
        if obj.active:
            obj.inactive_reason = {}  # staff turned it back on
        super().save_model(request, obj, form, change)


@admin.register(NoCallDay)
class NoCallDayAdmin(ReferenceTableAdmin):
    list_display = ["date", "label"]
    search_fields = ["label"]
    date_hierarchy = "date"
    resource_classes = [NoCallDayResource]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perms(["campaigns.add_nocallday", "campaigns.change_nocallday"])


class DoNotCallForm(forms.ModelForm):
    typed_reason = forms.CharField(label=gettext_lazy("reason"), max_length=200, required=False)

    class Meta:
        model = DoNotCall
        fields = ["phone", "expires_at"]

    def validate_unique(self) -> None:
        if self.instance.pk is None and DoNotCall.objects.filter(phone=self.instance.phone).expired().exists():
            return  # an entry past its expiry stops nothing: this one replaces it (`save_model`)
        super().validate_unique()

    def save(self, commit=True):
        if self.instance.pk is None:
            self.instance.source = DoNotCall.Source.STAFF
        self.instance.reason = reasons.typed(self.cleaned_data["typed_reason"].strip())
        return super().save(commit)


class ExpiryFilter(admin.SimpleListFilter):
    title = gettext_lazy("expiry")
    parameter_name = "expiry"

    def lookups(self, request, model_admin):
        return [
            ("never", gettext_lazy("never expires")),
            ("later", gettext_lazy("expires later")),
            ("expired", gettext_lazy("expired")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "never":
            return queryset.filter(expires_at__isnull=True)
        if self.value() == "later":
            return queryset.filter(expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now)
        return queryset


@admin.register(DoNotCall)
class DoNotCallAdmin(MaskedNumbersAdmin, ReferenceTableAdmin):
    """Numbers are added (one by one or from a file: the import needs *add*, the export, which
    is personal data, *view* and *see full phone numbers*) and removed; an entry is not edited:
    its reason is the record."""

    def has_export_permission(self, request: HttpRequest) -> bool:
        """The list is people's numbers: exported only by staff who may see them in full."""
        return super().has_export_permission(request) and may_see_numbers(request.user)

    form = DoNotCallForm
    list_display = ["phone", "reason_text", "source", "campaign", "expires_at", "created_at"]
    list_filter = ["source", ("campaign", admin.RelatedOnlyFieldListFilter), ExpiryFilter]
    search_fields = ["phone"]
    list_select_related = ["campaign"]
    resource_classes = [DoNotCallResource]

    def get_fields(self, request: HttpRequest, obj: DoNotCall | None = None) -> list[str]:
        if obj:
            return ["phone", "reason_text", "source", "campaign", "expires_at", "created_at"]
        return ["phone", "typed_reason", "expires_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: DoNotCall | None = None) -> list[str]:
        # An entry is not edited, but for how long it lasts (staff may end or extend it).
        return ["phone", "reason_text", "source", "campaign", "created_at"] if obj else []

    @admin.display(description=gettext_lazy("reason"))
    def reason_text(self, obj: DoNotCall) -> str:
        return obj.reason_text

    def save_model(self, request, obj, form, change):
        if not change:
            do_not_call.drop_expired([obj.phone])
        super().save_model(request, obj, form, change)
        if not change or not obj.has_expired:
            do_not_call.stop_calls_to([obj.phone], timezone.now())
