"""Admin classes for rows that only a transition (or the receipt webhook) writes.

A call's status, a receipt, a push waiting to be settled are evidence of what happened:
staff look at them and run the operator actions the admin offers (each a named function
that goes through `campaigns.transitions`), but nobody adds, edits or deletes one by hand.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """No add, no change of any field, no delete: a view page and operator actions only."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
