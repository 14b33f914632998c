"""How long the outbox keeps what it sent: a `call.settled` or `contact.opted_out` message holds
the callee's number (and a contact's variables), so delivered and given-up messages are not kept
for good. The hourly housekeeping job (`ivrsite.housekeeping`) deletes those delivered, or given
up, more than `WEBHOOK_MESSAGE_RETENTION_DAYS` ago, with their delivery logs (`WebhookAttempt`,
deleted with their message). Messages still waiting to be sent stay: they are the outbox's
promise; their numbers go when their campaign's personal data does (`campaigns.retention`).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from webhooks.models import WebhookAttempt, WebhookMessage

log = logging.getLogger(__name__)
S = WebhookMessage.Status
DELETE_CHUNK = 5000


def delete_old_messages(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete messages delivered or given up before the period; returns how many, and their logs."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.WEBHOOK_MESSAGE_RETENTION_DAYS)
    # A given-up message's next_attempt_at is when it was given up (`webhooks.delivery._record`).
    done = Q(status=S.DELIVERED, delivered_at__lt=cutoff) | Q(status=S.FAILED, next_attempt_at__lt=cutoff)
    counts = {"messages": 0, "attempts": 0}
    while ids := list(WebhookMessage.objects.filter(done).values_list("pk", flat=True)[:DELETE_CHUNK]):
        counts["attempts"] += WebhookAttempt.objects.filter(message_id__in=ids).delete()[0]
        counts["messages"] += WebhookMessage.objects.filter(pk__in=ids).delete()[0]
    if counts["messages"]:
        log.info("webhook messages deleted: %s", counts)
    return counts
