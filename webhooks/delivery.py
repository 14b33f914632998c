"""Delivering the outbox: RQ jobs on the `webhooks` queue, up to `WEBHOOK_JOBS_PER_ENDPOINT`
side by side per endpoint.

At least once: a job leases a batch of due messages with one statement (`UPDATE … RETURNING`
over a `SELECT … FOR UPDATE SKIP LOCKED`, which moves their next attempt a lease ahead), posts
them from `WEBHOOK_CONCURRENCY` threads over keep-alive connections, then records the batch in
one transaction (one INSERT into the log, one UPDATE for those delivered). Jobs side by side
never take the same message; a worker killed mid-batch leaves its messages due again when the
lease runs out, and the receiver sees the same `webhook-id` and body twice at worst. Failures
back off exponentially (`RETRY_SCHEDULE`, about a day); an endpoint failing for
`WEBHOOK_DISABLE_AFTER_DAYS` is disabled with a reason. Each endpoint's messages go in its own
jobs, so a slow endpoint delays only itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests.certs
import urllib3
from django.conf import settings
from django.db import connection, transaction
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
BATCH = 500
JOB_SECONDS = 30


@dataclass
class Leased:
    """A message as a job holds it: the body is the stored JSON as text, sent as it is, so a
    message sent twice carries the same bytes."""

    pk: int
    msg_id: str
    body: bytes
    attempts: int


@dataclass
class Outcome:
    message: Leased
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def http_pool(connections: int) -> urllib3.PoolManager:
    """One job's HTTP client: keep-alive connections shared by its threads, no retries or
    redirects of its own (a failed try is the outbox's to retry), a timeout on every request."""
    return urllib3.PoolManager(
        ca_certs=requests.certs.where(),  # the CA bundle requests uses (certifi), as before
        num_pools=4,
        maxsize=connections,
        block=True,
        retries=False,
        timeout=urllib3.Timeout(settings.WEBHOOK_TIMEOUT_SECONDS),
    )


def _lock_key(endpoint_id: int, slot: int = 0) -> str:
    return f"ivrsite:webhooks:queued:{endpoint_id}" + (f":{slot}" if slot else "")


def _queue(endpoint_id: int, slot: int) -> None:
    """Queue a delivery job in this slot of the endpoint unless one is queued there already."""
    import django_rq

    queue = django_rq.get_queue("webhooks")
    if queue.connection.set(_lock_key(endpoint_id, slot), "1", nx=True, ex=settings.WEBHOOK_LEASE_SECONDS):
        queue.enqueue(deliver, endpoint_id, slot, result_ttl=0, failure_ttl=3600)


def kick(endpoint_ids: list[int]) -> None:
    """Queue a delivery job for each endpoint that has none queued (a job finding a backlog
    queues its siblings). Never raises: a message not kicked is found by the dispatcher's tick
    (`enqueue_due`)."""
    for endpoint_id in endpoint_ids:
        _kick_slots(endpoint_id, [0])


def _kick_slots(endpoint_id: int, slots: list[int]) -> None:
    try:
        for slot in slots:
            _queue(endpoint_id, slot)
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


def _lease(endpoint_id: int, now: dt.datetime, limit: int = BATCH) -> list[Leased]:
    """Take up to `limit` due messages of the endpoint for `WEBHOOK_LEASE_SECONDS`: one statement,
    and rows another job is taking at the same moment are skipped, not waited for."""
    table = WebhookMessage._meta.db_table
    postgres = connection.vendor == "postgresql"
    sql = f"""
        UPDATE {table} SET next_attempt_at = %s
        WHERE id IN (
            SELECT id FROM {table}
            WHERE endpoint_id = %s AND status = %s AND next_attempt_at <= %s
            ORDER BY next_attempt_at, id LIMIT %s {"FOR UPDATE SKIP LOCKED" if postgres else ""}
        )
        RETURNING id, msg_id, {"payload::text" if postgres else "payload"}, attempts
    """  # noqa: S608 (the table name is ours; values are parameters)
    until = now + dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [until, endpoint_id, S.PENDING, now, limit])
        rows = cursor.fetchall()
    return sorted(
        (Leased(pk, msg_id, body.encode(), attempts) for pk, msg_id, body, attempts in rows), key=lambda m: m.pk
    )


def _post(pool: urllib3.PoolManager, endpoint: WebhookEndpoint, message: Leased) -> Outcome:
    headers = signing.headers(endpoint.secret, message.msg_id, int(time.time()), message.body)
    started = time.monotonic()
    try:
        response = pool.request(
            "POST", endpoint.url, body=message.body, headers=headers, redirect=False, preload_content=False
        )
        response.drain_conn()  # read and drop what it answered, so the connection is reused
        response.release_conn()
        code, error = response.status, ""
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        code, error = None, type(exc).__name__
    return Outcome(message, code, error, int((time.monotonic() - started) * 1000))


def _log(outcomes: list[Outcome], now: dt.datetime) -> None:
    """The delivery log of a batch in one INSERT (on PostgreSQL from arrays: no model per row)."""
    if connection.vendor != "postgresql":
        WebhookAttempt.objects.bulk_create(
            WebhookAttempt(
                message_id=o.message.pk, at=now, status_code=o.status_code, error=o.error, duration_ms=o.duration_ms
            )
            for o in outcomes
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {WebhookAttempt._meta.db_table} (message_id, at, status_code, error, duration_ms) "  # noqa: S608
            "SELECT m, %s, c, e, d FROM unnest(%s::bigint[], %s::int[], %s::text[], %s::int[]) AS u(m, c, e, d)",
            [
                now,
                [o.message.pk for o in outcomes],
                [o.status_code for o in outcomes],
                [o.error for o in outcomes],
                [o.duration_ms for o in outcomes],
            ],
        )


def _record(endpoint: WebhookEndpoint, outcomes: list[Outcome], now: dt.datetime) -> None:
    """The batch's results in one transaction: the log in one INSERT, the delivered in one
    UPDATE, the failed (few, usually none) rescheduled."""
    delivered = [o.message.pk for o in outcomes if o.ok]
    failed = [o.message for o in outcomes if not o.ok]
    with transaction.atomic():
        _log(outcomes, now)
        if delivered:
            WebhookMessage.objects.filter(pk__in=delivered).update(
                status=S.DELIVERED, delivered_at=now, attempts=F("attempts") + 1
            )
        rescheduled = []
        for message in failed:
            row = WebhookMessage(pk=message.pk, attempts=message.attempts + 1, status=S.PENDING)
            if row.attempts > len(RETRY_SCHEDULE):
                row.status = S.FAILED
                row.next_attempt_at = now
            else:
                row.next_attempt_at = now + dt.timedelta(seconds=RETRY_SCHEDULE[row.attempts - 1])
            rescheduled.append(row)
        WebhookMessage.objects.bulk_update(rescheduled, ["attempts", "status", "next_attempt_at"])
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


def careful_batch() -> int:
    """The batch for an endpoint that fails or answers slowly: small enough that, even with
    every request waiting out `WEBHOOK_TIMEOUT_SECONDS`, it is sent within half its lease (the
    next batch is leased while one is in flight), so a lease rarely runs out mid-batch."""
    per_thread = settings.WEBHOOK_LEASE_SECONDS / (2 * max(settings.WEBHOOK_TIMEOUT_SECONDS, 0.001))
    return max(1, min(BATCH, int(settings.WEBHOOK_CONCURRENCY * per_thread)))


def deliver(endpoint_id: int, slot: int = 0, max_seconds: float = JOB_SECONDS) -> int:
    """Deliver an endpoint's due messages for up to `max_seconds`; returns how many were tried.
    Full batches (`BATCH`) while the endpoint answers 2xx promptly, `careful_batch()` once it
    fails or is slow. A job that finds a full batch due queues its siblings (other slots, up to
    `WEBHOOK_JOBS_PER_ENDPOINT`) to drain the backlog beside it; it queues itself again when
    messages are still due at its deadline."""
    try:
        import django_rq

        django_rq.get_connection("webhooks").delete(_lock_key(endpoint_id, slot))
    except Exception:
        log.debug("no Redis to clear the webhook lock", exc_info=True)
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).first()
    if endpoint is None:
        return 0
    deadline = time.monotonic() + max_seconds
    tried, slow = 0, False
    pool = http_pool(settings.WEBHOOK_CONCURRENCY)
    with ThreadPoolExecutor(settings.WEBHOOK_CONCURRENCY) as threads:
        size = BATCH if endpoint.failing_since is None else careful_batch()
        messages = _lease(endpoint_id, timezone.now(), size)
        if len(messages) == BATCH:
            _kick_slots(endpoint_id, [n for n in range(settings.WEBHOOK_JOBS_PER_ENDPOINT) if n != slot])
        # While one batch is in flight, the previous one is recorded and the next one leased.
        previous: list[Outcome] = []
        while messages:
            started = time.monotonic()
            in_flight = [threads.submit(_post, pool, endpoint, message) for message in messages]
            if previous:
                _record(endpoint, previous, timezone.now())
                size = BATCH if all(o.ok for o in previous) and not slow else careful_batch()
            more = endpoint.active and time.monotonic() < deadline
            messages = _lease(endpoint_id, timezone.now(), size) if more else []
            previous = [future.result() for future in in_flight]
            slow = time.monotonic() - started > settings.WEBHOOK_LEASE_SECONDS / 4
            tried += len(previous)
        if previous:
            _record(endpoint, previous, timezone.now())
    pool.clear()
    if endpoint.active and time.monotonic() >= deadline:
        _kick_slots(endpoint_id, [slot])
    return tried


def replay(message_ids: list[int]) -> int:
    """Send these messages again (same webhook-id), whatever became of them."""
    now = timezone.now()
    count = WebhookMessage.objects.filter(pk__in=message_ids).update(status=S.PENDING, next_attempt_at=now, attempts=0)
    endpoints = list(WebhookMessage.objects.filter(pk__in=message_ids).values_list("endpoint_id", flat=True).distinct())
    transaction.on_commit(lambda: kick(endpoints))
    return count
