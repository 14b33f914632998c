"""kill -9 of the worker in the middle of delivering: every event still arrives, and anything
sent twice carries the same webhook-id and body (the stack: worker, dispatcher, web)."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest
from django.db import transaction

from tests.stack import Stack, database_url
from tests.webhook_receiver import Receiver
from webhooks import outbox
from webhooks.models import WebhookEndpoint, WebhookMessage

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
EVENTS = 400


def test_every_event_arrives_after_the_worker_is_killed(tmp_path, monkeypatch):
    monkeypatch.setattr("webhooks.delivery.kick", lambda endpoint_ids: None)  # the stack's dispatcher queues them
    with Receiver(delay=0.02) as receiver:
        hook = WebhookEndpoint.objects.create(url=receiver.url, events=["call.settled"])
        with transaction.atomic():
            outbox.emit("call.settled", [{"call_id": n} for n in range(EVENTS)])
        ids = set(WebhookMessage.objects.values_list("msg_id", flat=True))
        with Stack(database_url(), workers=1, env={"WEBHOOK_LEASE_SECONDS": "3"}, log_dir=tmp_path) as stack:
            deadline = time.monotonic() + 60
            while len(receiver.received) < EVENTS // 4:
                assert time.monotonic() < deadline, f"nothing delivered (logs in {tmp_path})"
                time.sleep(0.05)
            stack.kill("worker0")
            killed_at = len(receiver.received)
            stack.start_worker(1)
            deadline = time.monotonic() + 90
            while WebhookMessage.objects.filter(endpoint=hook).exclude(status="delivered").exists():
                assert time.monotonic() < deadline, f"not all delivered (logs in {tmp_path})"
                time.sleep(0.5)
    assert killed_at < EVENTS  # the kill came mid-delivery
    bodies: dict[str, set[bytes]] = defaultdict(set)
    for headers, body in receiver.received:
        bodies[headers["webhook-id"]].add(body)
    assert set(bodies) == ids
    assert all(len(sent) == 1 for sent in bodies.values())
