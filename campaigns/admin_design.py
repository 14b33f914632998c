"""The survey design on a campaign's admin page: quotas, sample release and script variants."""

from django.contrib import admin

from campaigns.models import Quota, SampleRelease, ScriptVariant


class QuotaInline(admin.TabularInline):
    model = Quota
    extra = 0
    fields = ["variable", "value", "target"]


class SampleReleaseInline(admin.TabularInline):
    model = SampleRelease
    extra = 0
    max_num = 1
    fields = ["percent", "batches"]
    readonly_fields = ["batches"]


class ScriptVariantInline(admin.TabularInline):
    model = ScriptVariant
    extra = 0
    fields = ["name", "menu", "weight"]


DESIGN_INLINES = [QuotaInline, SampleReleaseInline, ScriptVariantInline]
