"""A campaign's survey design in the admin, each its own audited table (not inlines of the
campaign's form, whose posts stay as they are): quotas, sample release and script variants."""

from django.contrib import admin

from audit.admin_base import AuditedAdmin
from campaigns.models import Quota, SampleRelease, ScriptVariant


@admin.register(Quota)
class QuotaAdmin(AuditedAdmin):
    list_display = ["campaign", "variable", "value", "target"]
    list_filter = ["campaign"]
    autocomplete_fields = ["campaign"]


@admin.register(SampleRelease)
class SampleReleaseAdmin(AuditedAdmin):
    list_display = ["campaign", "percent", "batches"]
    readonly_fields = ["batches"]
    autocomplete_fields = ["campaign"]


@admin.register(ScriptVariant)
class ScriptVariantAdmin(AuditedAdmin):
    list_display = ["campaign", "name", "menu", "weight"]
    list_filter = ["campaign"]
    autocomplete_fields = ["campaign"]
