"""Writing events to the outbox: call `emit` inside the transaction of the change it reports.

One query finds the endpoints subscribed to the event (none: nothing is written), one
`bulk_create` writes a message per event and endpoint. After the commit a delivery job is
queued per endpoint (`webhooks.delivery.kick`); if Redis does not answer, the dispatcher's
tick finds the due messages anyway. Nothing here waits on an endpoint.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookEndpoint, WebhookMessage, new_message_id


def subscribed(event_type: str) -> list[int]:
    # JSON containment works on PostgreSQL only; the table is small, so filter in Python.
    return [
        pk
        for pk, events in WebhookEndpoint.objects.filter(active=True).values_list("pk", "events")
        if event_type in (events or [])
    ]


def emit(event_type: str, payloads: list[dict[str, Any]], now: dt.datetime | None = None) -> int:
    """Queue one message per payload for every active endpoint subscribed to `event_type`;
    returns how many messages were written. Each payload becomes the `data` of an event
    `{"type", "timestamp", "data"}`; an event has one webhook-id across its endpoints."""
    assert event_type in EVENT_TYPES, event_type
    if not payloads:
        return 0
    endpoints = subscribed(event_type)
    if not endpoints:
        return 0
    now = now or timezone.now()
    stamp = now.isoformat()
    messages = []
    for data in payloads:
        msg_id = new_message_id()
        body = {"type": event_type, "timestamp": stamp, "data": data}
        messages += [
            WebhookMessage(
                msg_id=msg_id,
                endpoint_id=endpoint,
                event_type=event_type,
                payload=body,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint in endpoints
        ]
    WebhookMessage.objects.bulk_create(messages)

    def kick() -> None:
        from webhooks.delivery import kick as kick_delivery

        kick_delivery(endpoints)

    transaction.on_commit(kick)
    return len(messages)
