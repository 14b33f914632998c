"""Phone numbers in the admin for staff without `see_full_phone_numbers`: the changelist's
number column and the change page's number and variables are shown masked, read-only
(`campaigns.privacy`). Staff with the permission see and edit them as before."""

from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from campaigns.privacy import mask_phone, mask_text, may_see_numbers

# field → the display method that shows it masked
MASKED = {"phone": "masked_phone", "variables": "masked_variables"}


class MaskedNumbersAdmin(admin.ModelAdmin):
    def get_list_display(self, request: HttpRequest):
        columns = super().get_list_display(request)
        if may_see_numbers(request.user):
            return columns
        return [MASKED.get(column, column) if isinstance(column, str) else column for column in columns]

    def get_list_display_links(self, request: HttpRequest, list_display):
        links = super().get_list_display_links(request, list_display)
        if links is None or may_see_numbers(request.user):
            return links
        return [MASKED.get(link, link) for link in links]

    def _masks(self, request: HttpRequest, obj) -> bool:
        # An add form asks for a number: typing one reveals nothing.
        return obj is not None and not may_see_numbers(request.user)

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        if not self._masks(request, obj):
            return fields
        return list(dict.fromkeys(MASKED.get(field, field) for field in fields))

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._masks(request, obj):
            return fieldsets
        return [
            (title, {**options, "fields": list(dict.fromkeys(MASKED.get(f, f) for f in options["fields"]))})
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if self._masks(request, obj):
            fields += [masked for field, masked in MASKED.items() if _has(self, field)]
        return fields

    @admin.display(description=_("phone"), ordering="phone")
    def masked_phone(self, obj) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("variables"))
    def masked_variables(self, obj) -> str:
        return mask_text(json.dumps(getattr(obj, "variables", None) or {}, ensure_ascii=False))


def _has(model_admin: admin.ModelAdmin, field: str) -> bool:
    return any(f.name == field for f in model_admin.model._meta.fields)
