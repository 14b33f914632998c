"""Several delivery jobs drain one endpoint's backlog side by side: each message is taken by
one job only (the lease is one `UPDATE … RETURNING` over `FOR UPDATE SKIP LOCKED`), so the
receiver gets every webhook-id exactly once, and a job's database work does not grow with
the size of its batch."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from tests.webhook_receiver import Receiver
from webhooks import delivery, outbox
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage


@pytest.fixture(autouse=True)
def no_redis_kick(monkeypatch):
    """The jobs run when the test says, not in a worker."""
    monkeypatch.setattr(delivery, "_kick_slots", lambda endpoint_id, slots: None)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="jobs side by side need their own PostgreSQL sessions")
@pytest.mark.django_db(transaction=True)
def test_jobs_side_by_side_deliver_each_message_once(monkeypatch):
    monkeypatch.setattr(delivery, "BATCH", 40)  # many small leases, so the jobs interleave
    with Receiver(delay=0.001) as receiver:
        hook = WebhookEndpoint.objects.create(url=receiver.url, events=["call.settled"])
        with transaction.atomic():
            outbox.emit("call.settled", [{"call_id": n} for n in range(600)])
        tried: list[int] = []

        def job(slot: int) -> None:
            try:
                tried.append(delivery.deliver(hook.pk, slot))
            finally:
                connection.close()

        jobs = [threading.Thread(target=job, args=(slot,)) for slot in range(3)]
        for thread in jobs:
            thread.start()
        for thread in jobs:
            thread.join(60)
    sent = Counter(headers["webhook-id"] for headers, _body in receiver.received)
    assert set(sent) == set(WebhookMessage.objects.values_list("msg_id", flat=True))
    assert set(sent.values()) == {1}
    assert sum(tried) == 600 and len([n for n in tried if n]) >= 2  # more than one job did work
    assert not WebhookMessage.objects.exclude(status="delivered").exists()
    assert WebhookAttempt.objects.count() == 600


@pytest.mark.django_db
def test_a_jobs_queries_do_not_grow_with_its_batch(django_assert_max_num_queries):
    with Receiver() as receiver:
        hook = WebhookEndpoint.objects.create(url=receiver.url, events=["call.settled"])
        outbox.emit("call.settled", [{"call_id": n} for n in range(2 * delivery.BATCH)])
        with django_assert_max_num_queries(20):  # the endpoint, 3 leases, 2 × (log + delivered)
            assert delivery.deliver(hook.pk) == 2 * delivery.BATCH
    assert len(receiver.received) == 2 * delivery.BATCH
