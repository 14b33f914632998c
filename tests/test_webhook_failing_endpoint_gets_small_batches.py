"""A delivery job leases full batches while the endpoint answers 2xx promptly, and small ones
(`careful_batch`) once it fails: small enough that every request waiting out its timeout still
ends within the lease, so another job does not send the same messages meanwhile."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.webhook_receiver import Receiver
from webhooks import delivery, outbox
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def leases(monkeypatch, settings) -> list[int]:
    settings.WEBHOOK_CONCURRENCY, settings.WEBHOOK_LEASE_SECONDS, settings.WEBHOOK_TIMEOUT_SECONDS = 2, 60, 5
    monkeypatch.setattr(delivery, "kick", lambda endpoint_ids: None)
    monkeypatch.setattr(delivery, "_kick_slots", lambda endpoint_id, slots: None)
    monkeypatch.setattr(delivery, "BATCH", 50)
    asked: list[int] = []
    lease = delivery._lease

    def spy(endpoint_id, now, limit=50):
        asked.append(limit)
        return lease(endpoint_id, now, limit)

    monkeypatch.setattr(delivery, "_lease", spy)
    return asked


def test_a_failing_endpoint_gets_batches_that_fit_in_the_lease(leases):
    assert delivery.careful_batch() == 12  # 2 threads × 60 s / (2 × 5 s)
    hook = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hook", events=["call.settled"])
    outbox.emit("call.settled", [{"call_id": n} for n in range(30)])
    hook.failing_since = timezone.now() - dt.timedelta(hours=1)
    hook.save()
    assert delivery.deliver(hook.pk) == 30
    assert set(leases) == {12}


def test_a_healthy_endpoint_gets_full_batches_until_it_fails(leases):
    with Receiver(status=500) as receiver:
        hook = WebhookEndpoint.objects.create(url=receiver.url, events=["call.settled"])
        outbox.emit("call.settled", [{"call_id": n} for n in range(80)])
        assert delivery.deliver(hook.pk) == 80
    assert leases[:2] == [50, 50]  # the second is leased while the first is in flight
    assert set(leases[2:]) == {12}
