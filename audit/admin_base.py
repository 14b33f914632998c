"""A ModelAdmin base that writes an audit event for every add, change and delete made in the
admin's forms, in the transaction Django saves them in (the admin's own LogEntry says what a
user did too, but it can be edited and deleted, and it keeps neither values nor the address)."""

from __future__ import annotations

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from audit.actors import Actor
from audit.record import HIDDEN, event, jsonable, record, record_all


def _hidden(name: str) -> bool:
    return "secret" in name or "password" in name or "token" in name


def form_changes(form, change: bool) -> dict[str, list]:
    """{field: [before, after]} for the fields the form changed; secrets are never written."""
    changes = {}
    for name in form.changed_data:
        before = form.initial.get(name) if change else None
        after = form.cleaned_data.get(name)
        if _hidden(name):
            before, after = (HIDDEN if before else None), HIDDEN
        changes[name] = [jsonable(before), jsonable(after)]
    return changes


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: models.Model, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.changed_data or not change:
            record(
                Actor.of_request(request),
                "object.changed" if change else "object.added",
                obj,
                changes=form_changes(form, change),
            )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        with transaction.atomic():
            record(Actor.of_request(request), "object.deleted", obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        actor = Actor.of_request(request)
        with transaction.atomic():
            record_all(event(actor, "object.deleted", obj) for obj in queryset)
            super().delete_queryset(request, queryset)
