"""API tokens in the admin: created here (the value is shown once, in the message after saving),
revoked here; only the prefix and a hash are kept."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api.models import ApiToken
from audit.actors import Actor
from audit.record import record


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "user"]
    fields = ["user", "name", "expires_at", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "user"] if obj else self.readonly_fields

    def save_model(self, request, obj: ApiToken, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        with transaction.atomic():
            token, value = ApiToken.issue(obj.user, obj.name, obj.expires_at)
            obj.pk, obj.prefix = token.pk, token.prefix
            record(Actor.of_request(request), "api_token.created", token, changes={"user": [None, str(token.user)]})
        messages.warning(
            request,
            _("The token (shown once, copy it now; only its hash is kept): %(token)s") % {"token": value},
        )

    @admin.action(description=gettext_lazy("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset) -> None:
        actor = Actor.of_request(request)
        with transaction.atomic():
            for token in queryset.filter(revoked_at=None):
                token.revoke()
                record(actor, "api_token.revoked", token)
        self.message_user(request, _("Revoked."))
