from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from campaigns import admin_contacts  # noqa: F401  (contact lists, contacts, imports)
from campaigns.models import Call, CallerNumber, Campaign, DoNotCall, MenuOption, MenuTemplate


@admin.register(CallerNumber)
class CallerNumberAdmin(admin.ModelAdmin):
    list_display = ["number", "label", "max_concurrent_calls", "active"]
    list_filter = ["active"]
    search_fields = ["number", "label"]


@admin.register(DoNotCall)
class DoNotCallAdmin(admin.ModelAdmin):
    list_display = ["phone", "reason", "created_at"]
    search_fields = ["phone", "reason"]


class MenuOptionInline(admin.TabularInline):
    model = MenuOption
    extra = 1
    fields = ["position", "key", "label", "code", "tts_params"]


@admin.register(MenuTemplate)
class MenuTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "start_code", "play_times", "timeout_ms", "updated_at"]
    search_fields = ["name", "start_code"]
    inlines = [MenuOptionInline]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "menu", "created_at"]
    list_filter = ["state"]
    search_fields = ["name"]
    filter_horizontal = ["contact_lists", "caller_numbers"]
    readonly_fields = ["state", "state_reason", "started_at", "finished_at", "created_at"]
    fieldsets = [
        (None, {"fields": ["name", "contact_lists", "caller_numbers", "menu", "state", "state_reason"]}),
        (
            _("Calling window"),
            {"fields": ["timezone", "starts_at", "ends_at", "daily_start", "daily_end", "weekdays"]},
        ),
        (_("Pacing and retries"), {"fields": ["max_qps", "max_attempts", "retry_delay_seconds", "retry_outcomes"]}),
        (_("History"), {"fields": ["created_at", "started_at", "finished_at"]}),
    ]


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["phone", "campaign", "attempt", "status", "answer_label", "out_id", "sent_at"]
    list_filter = ["status", "campaign"]
    search_fields = ["phone", "out_id", "call_id"]
    list_select_related = ["campaign"]
    raw_id_fields = ["contact", "campaign", "caller_number"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
