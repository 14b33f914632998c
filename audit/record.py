"""Writing audit events: call `record` inside the transaction of the change it describes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils import timezone

from audit.actors import Actor
from audit.events import EVENTS
from audit.models import AuditEvent

HIDDEN = "••••••"  # a secret's value in a change: only that it changed


def jsonable(value: Any) -> Any:
    """A value as an event's JSON keeps it: objects by their name, collections item by item,
    anything else JSON cannot hold (dates, decimals) as text."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, models.QuerySet | list | tuple | set):
        return [jsonable(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """{field: [before, after]} for the fields whose value changed."""
    return {
        name: [jsonable(before.get(name)), jsonable(after.get(name))]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def event(
    actor: Actor,
    code: str,
    obj: models.Model | None = None,
    *,
    changes: dict | None = None,
    reason: dict | None = None,
    rows: int | None = None,
    campaign_id: int | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
) -> AuditEvent:
    """An unsaved event (`record` saves one, `record_all` many at once)."""
    if code not in EVENTS:
        raise KeyError(f"unknown audit event {code!r}")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
        if campaign_id is None and obj._meta.label_lower == "campaigns.campaign":
            campaign_id = obj.pk
    return AuditEvent(
        at=timezone.now(),
        actor_kind=actor.kind,
        actor_name=actor.name[:150],
        actor_user_id=actor.user_id,
        ip=actor.ip,
        event=code,
        object_type=object_type,
        object_id=str(object_id or ""),
        object_repr=str(object_repr)[:200],
        campaign_id=campaign_id,
        changes=changes or {},
        reason=reason or None,
        rows=rows,
    )


def record(actor: Actor, code: str, obj: models.Model | None = None, **details: Any) -> AuditEvent:
    """Write one event now (in the caller's transaction)."""
    audit_event = event(actor, code, obj, **details)
    audit_event.save(force_insert=True)
    return audit_event


def record_all(events: Iterable[AuditEvent]) -> int:
    return len(AuditEvent.objects.bulk_create(list(events)))
