"""Delivering the outbox: one RQ job per endpoint on the `webhooks` queue.

At least once: a job leases a batch of due messages (moves their next attempt a lease ahead
in a short transaction), posts them, then marks each delivered or reschedules it. A worker
killed mid-batch leaves its messages due again when the lease runs out; the receiver sees
the same `webhook-id` twice at worst. Failures back off exponentially (`RETRY_SCHEDULE`,
about a day); an endpoint failing for `WEBHOOK_DISABLE_AFTER_DAYS` is disabled with a reason.
Each endpoint's messages go in its own job, so a slow endpoint delays only itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from webhooks import signing
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

log = logging.getLogger(__name__)
S = WebhookMessage.Status

# Seconds after each failed try before the next one (Standard Webhooks' example schedule):
# eight tries over about 27 hours, then the message is given up.
RETRY_SCHEDULE = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]
BATCH = 200
JOB_SECONDS = 30


@dataclass
class Outcome:
    message: WebhookMessage
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _lock_key(endpoint_id: int) -> str:
    return f"ivrsite:webhooks:queued:{endpoint_id}"


def kick(endpoint_ids: list[int]) -> None:
    """Queue a delivery job for each endpoint that has none queued. Never raises: a message
    not kicked is found by the dispatcher's tick (`enqueue_due`)."""
    try:
        import django_rq

        queue = django_rq.get_queue("webhooks")
        for endpoint_id in endpoint_ids:
            if queue.connection.set(_lock_key(endpoint_id), "1", nx=True, ex=settings.WEBHOOK_LEASE_SECONDS):
                queue.enqueue(deliver, endpoint_id, result_ttl=0, failure_ttl=3600)
    except Exception:
        log.warning("could not queue webhook delivery; the dispatcher will", exc_info=True)


def enqueue_due(now: dt.datetime | None = None) -> int:
    """Kick every active endpoint with messages due (the dispatcher's tick: retries, lost jobs)."""
    now = now or timezone.now()
    due = list(
        WebhookMessage.objects.filter(status=S.PENDING, next_attempt_at__lte=now, endpoint__active=True)
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    if due:
        kick(due)
    return len(due)


def _lease(endpoint_id: int, now: dt.datetime) -> list[WebhookMessage]:
    with transaction.atomic():
        messages = list(
            WebhookMessage.objects.select_for_update(skip_locked=True)
            .filter(endpoint_id=endpoint_id, status=S.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")[:BATCH]
        )
        if messages:
            WebhookMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
                next_attempt_at=now + dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
            )
    return messages


def _post(session: requests.Session, endpoint: WebhookEndpoint, message: WebhookMessage) -> Outcome:
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = signing.headers(endpoint.secret, message.msg_id, int(time.time()), body)
    started = time.monotonic()
    try:
        response = session.post(endpoint.url, data=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
        code, error = response.status_code, ""
    except requests.RequestException as exc:
        code, error = None, type(exc).__name__
    return Outcome(message, code, error, int((time.monotonic() - started) * 1000))


def _record(endpoint: WebhookEndpoint, outcomes: list[Outcome], now: dt.datetime) -> None:
    delivered = [o.message.pk for o in outcomes if o.ok]
    failed = [o.message for o in outcomes if not o.ok]
    with transaction.atomic():
        WebhookAttempt.objects.bulk_create(
            WebhookAttempt(
                message_id=o.message.pk, at=now, status_code=o.status_code, error=o.error, duration_ms=o.duration_ms
            )
            for o in outcomes
        )
        WebhookMessage.objects.filter(pk__in=delivered).update(
            status=S.DELIVERED, delivered_at=now, attempts=F("attempts") + 1
        )
        for message in failed:
            message.attempts += 1
            if message.attempts > len(RETRY_SCHEDULE):
                message.status = S.FAILED
            else:
                message.next_attempt_at = now + dt.timedelta(seconds=RETRY_SCHEDULE[message.attempts - 1])
        WebhookMessage.objects.bulk_update(failed, ["attempts", "status", "next_attempt_at"])
        if delivered and endpoint.failing_since:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            endpoint.failing_since = None
        elif failed and not delivered:
            _note_failure(endpoint, now)


def _note_failure(endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=now)
        return
    if now - endpoint.failing_since >= dt.timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS):
        reason = _("Disabled on %(date)s: every delivery failed since %(since)s.") % {
            "date": now.date().isoformat(),
            "since": endpoint.failing_since.date().isoformat(),
        }
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_reason=reason)
        endpoint.active = False
        log.warning("webhook endpoint %s disabled after failing since %s", endpoint.pk, endpoint.failing_since)


def deliver(endpoint_id: int, max_seconds: float = JOB_SECONDS) -> int:
    """Deliver an endpoint's due messages for up to `max_seconds`; returns how many were tried.
    Queues itself again when messages are still due."""
    try:
        import django_rq

        django_rq.get_connection("webhooks").delete(_lock_key(endpoint_id))
    except Exception:
        log.debug("no Redis to clear the webhook lock", exc_info=True)
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).first()
    if endpoint is None:
        return 0
    deadline = time.monotonic() + max_seconds
    tried = 0
    with requests.Session() as session, ThreadPoolExecutor(settings.WEBHOOK_CONCURRENCY) as pool:
        while endpoint.active and time.monotonic() < deadline:
            messages = _lease(endpoint_id, timezone.now())
            if not messages:
                return tried
            outcomes = list(pool.map(lambda m: _post(session, endpoint, m), messages))
            _record(endpoint, outcomes, timezone.now())
            tried += len(outcomes)
    if endpoint.active:
        kick([endpoint_id])
    return tried


def replay(message_ids: list[int]) -> int:
    """Send these messages again (same webhook-id), whatever became of them."""
    now = timezone.now()
    count = WebhookMessage.objects.filter(pk__in=message_ids).update(status=S.PENDING, next_attempt_at=now, attempts=0)
    endpoints = list(WebhookMessage.objects.filter(pk__in=message_ids).values_list("endpoint_id", flat=True).distinct())
    transaction.on_commit(lambda: kick(endpoints))
    return count
