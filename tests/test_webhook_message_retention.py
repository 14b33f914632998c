"""The outbox does not keep callees' numbers for good: messages delivered or given up more than
WEBHOOK_MESSAGE_RETENTION_DAYS ago go, with their delivery log, in the hourly housekeeping job;
recent ones and those still waiting to be sent stay."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ivrsite import housekeeping
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db
S = WebhookMessage.Status
NOW = timezone.now()


def message(endpoint, name: str, status: str, days_ago: int) -> WebhookMessage:
    at = NOW - dt.timedelta(days=days_ago)
    sent = WebhookMessage.objects.create(
        endpoint=endpoint,
        event_type="call.settled",
        payload={"type": "call.settled", "data": {"phone": "13900000001", "name": name}},
        status=status,
        attempts=1,
        created_at=at - dt.timedelta(days=1),
        next_attempt_at=at,  # a given-up message's: when it was given up
        delivered_at=at if status == S.DELIVERED else None,
    )
    WebhookAttempt.objects.create(message=sent, at=at, status_code=200 if status == S.DELIVERED else 500, duration_ms=9)
    return sent


def test_delivered_and_given_up_messages_go_after_their_period_with_their_log(settings):
    settings.WEBHOOK_MESSAGE_RETENTION_DAYS = 7
    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hook", events=["call.settled"])
    message(endpoint, "old delivered", S.DELIVERED, 8)
    message(endpoint, "old given up", S.FAILED, 8)
    message(endpoint, "recent delivered", S.DELIVERED, 6)
    message(endpoint, "recent given up", S.FAILED, 6)
    message(endpoint, "still waiting", S.PENDING, 30)  # its endpoint is down: the outbox's promise

    done = housekeeping.run(NOW)["delete_old_messages"]

    assert done == {"messages": 2, "attempts": 2}
    kept = set(WebhookMessage.objects.values_list("payload__data__name", flat=True))
    assert kept == {"recent delivered", "recent given up", "still waiting"}
    assert WebhookAttempt.objects.count() == 3
    assert housekeeping.run(NOW)["delete_old_messages"] == {"messages": 0, "attempts": 0}
