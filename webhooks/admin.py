"""Webhook endpoints (why one was disabled is on its page), their messages with the delivery
log, and replay: selected messages are sent again with the same webhook-id."""

from __future__ import annotations

import json

from django.contrib import admin
from django.db import transaction
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actors import Actor
from audit.admin_base import AuditedAdmin
from audit.record import record
from campaigns.privacy import shown_in_text
from webhooks.delivery import replay
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedAdmin):
    list_display = ["url", "active", "disabled_reason", "failing_since", "created_at"]
    list_filter = ["active"]
    readonly_fields = ["secret", "disabled_reason", "failing_since", "created_at"]
    fields = ["url", "description", "events", "active", "secret", "disabled_reason", "failing_since", "created_at"]

    def save_model(self, request, obj: WebhookEndpoint, form, change: bool) -> None:
        if obj.active:
            obj.disabled_reason = ""
            obj.failing_since = None
        super().save_model(request, obj, form, change)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "status_code", "error", "duration_ms"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookMessage)
class WebhookMessageAdmin(admin.ModelAdmin):
    list_display = ["msg_id", "event_type", "endpoint", "status", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "event_type", "endpoint"]
    search_fields = ["msg_id"]
    # The payload holds the callee's number and variables: masked for who may not see numbers.
    readonly_fields = [f.name if f.name != "payload" else "payload_shown" for f in WebhookMessage._meta.fields]
    fields = readonly_fields  # a view-only user's form would show the stored payload itself
    inlines = [AttemptInline]
    actions = ["replay_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=gettext_lazy("payload"))
    def payload_shown(self, obj: WebhookMessage) -> str:
        return format_html("<pre>{}</pre>", shown_in_text(json.dumps(obj.payload, ensure_ascii=False, indent=2)))

    @admin.action(description=gettext_lazy("Send again (same webhook-id)"), permissions=["change"])
    def replay_selected(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            count = replay(ids)
            record(Actor.of_request(request), "webhook.replayed", object_type="webhooks.webhookmessage", rows=count)
        self.message_user(request, _("%(count)d messages will be sent again.") % {"count": count})
