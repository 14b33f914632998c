"""Outbound webhooks: events written to the outbox in the transaction of the change, signed
per Standard Webhooks (checked with the `standardwebhooks` library), retried with backoff,
an endpoint disabled after days of failures with a reason, replayed with the same id."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from campaigns.actions import campaigns as actions
from tests.actors import OPERATOR
from tests.receipt_elements import record
from tests.webhook_receiver import Receiver
from webhooks import delivery
from webhooks.models import WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_redis_kick(monkeypatch):
    """Delivery runs when the test says (`delivery.deliver`), not in a worker."""
    monkeypatch.setattr(delivery, "kick", lambda endpoint_ids: None)


def endpoint(url: str = "http://127.0.0.1:9/hook", events=("call.settled",)) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url=url, events=list(events))


def test_a_settled_call_writes_call_settled_with_its_answer(post_receipts, placed_calls):
    hook = endpoint()
    placed_calls[0].contact.__class__.objects.filter(pk=placed_calls[0].contact_id).update(external_id="crm-7")
    post_receipts([record(0, dtmf="1")])
    [message] = WebhookMessage.objects.filter(endpoint=hook)
    assert message.event_type == "call.settled" and message.msg_id.startswith("msg_")
    data = message.payload["data"]
    assert (data["status"], data["answer_label"], data["answer_key"], data["external_id"]) == (
        "answered", "满意", "1", "crm-7",
    )  # fmt: skip
    assert data["variables"] == {"product": "宽带"} and data["attempt"] == 1 and data["duration"] == 50
    post_receipts([record(0, dtmf="1")])  # a replayed receipt settles nothing new
    assert WebhookMessage.objects.filter(endpoint=hook).count() == 1


def test_without_subscribers_nothing_is_written(post_receipts, placed_calls):
    endpoint(events=["campaign.state_changed"])
    post_receipts([record(0, dtmf="1")])
    assert not WebhookMessage.objects.exists()


def test_campaign_state_changes_are_events(campaign):
    hook = endpoint(events=["campaign.state_changed"])
    actions.do_start_campaign(campaign, actor=OPERATOR)
    actions.do_pause_campaign(campaign, actor=OPERATOR)
    changes = [(m.payload["data"]["from"], m.payload["data"]["to"]) for m in hook.messages.order_by("pk")]
    assert changes == [("draft", "starting"), ("starting", "running"), ("running", "paused")]


def test_delivery_is_signed_per_standard_webhooks(post_receipts, placed_calls):
    with Receiver() as receiver:
        hook = endpoint(receiver.url)
        post_receipts([record(0, dtmf="1"), record(1, "200003")])
        assert delivery.deliver(hook.pk) == 2
    assert len(receiver.received) == 2
    verifier = Webhook(hook.secret)
    ids = set()
    for headers, body in receiver.received:
        verified = verifier.verify(body, headers)
        assert verified["type"] == "call.settled"
        ids.add(headers["webhook-id"])
    assert ids == set(WebhookMessage.objects.values_list("msg_id", flat=True))
    assert set(WebhookMessage.objects.values_list("status", flat=True)) == {"delivered"}
    with pytest.raises(Exception):  # noqa: B017 - any verification failure
        Webhook(hook.secret).verify(receiver.received[0][1] + b" ", receiver.received[0][0])


def test_a_failing_endpoint_is_retried_with_backoff_then_disabled_with_a_reason(post_receipts, placed_calls, settings):
    with Receiver(status=500) as receiver:
        hook = endpoint(receiver.url)
        post_receipts([record(0, dtmf="1")])
        before = timezone.now()
        delivery.deliver(hook.pk)
        message = WebhookMessage.objects.get()
        assert (message.status, message.attempts) == ("pending", 1)
        assert message.next_attempt_at >= before + dt.timedelta(seconds=delivery.RETRY_SCHEDULE[0])
        assert [a.status_code for a in message.log.all()] == [500]
        assert delivery.deliver(hook.pk) == 0  # not due yet
        # Days later, still failing: the endpoint is disabled and says why.
        WebhookEndpoint.objects.filter(pk=hook.pk).update(
            failing_since=timezone.now() - dt.timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS, seconds=1)
        )
        WebhookMessage.objects.update(next_attempt_at=timezone.now())
        delivery.deliver(hook.pk)
    hook.refresh_from_db()
    assert not hook.active and "every delivery failed since" in hook.disabled_reason
    assert len(receiver.received) == 2


def test_a_message_is_given_up_after_the_schedule(post_receipts, placed_calls):
    with Receiver(status=503) as receiver:
        hook = endpoint(receiver.url)
        post_receipts([record(0, dtmf="1")])
        for _ in range(len(delivery.RETRY_SCHEDULE) + 1):
            WebhookMessage.objects.update(next_attempt_at=timezone.now())
            WebhookEndpoint.objects.filter(pk=hook.pk).update(failing_since=None)
            delivery.deliver(hook.pk)
    message = WebhookMessage.objects.get()
    assert message.status == "failed" and message.attempts == len(delivery.RETRY_SCHEDULE) + 1
    total = sum(delivery.RETRY_SCHEDULE)
    assert 20 * 3600 < total < 36 * 3600  # about a day


def test_replay_sends_again_with_the_same_webhook_id(post_receipts, placed_calls, staff_client):
    with Receiver() as receiver:
        hook = endpoint(receiver.url)
        post_receipts([record(0, dtmf="1")])
        delivery.deliver(hook.pk)
        message = WebhookMessage.objects.get()
        response = staff_client.post(
            "/admin/webhooks/webhookmessage/",
            {"action": "replay_selected", "_selected_action": [message.pk]},
        )
        assert response.status_code == 302
        delivery.deliver(hook.pk)
    assert [h["webhook-id"] for h, _b in receiver.received] == [message.msg_id, message.msg_id]
    assert json.loads(receiver.received[0][1]) == json.loads(receiver.received[1][1])


def test_a_worker_killed_mid_batch_leaves_its_messages_to_the_next_one(post_receipts, placed_calls):
    """The lease: a job that took messages and died before recording them (kill -9) leaves them
    due again once the lease runs out; they go out with the same webhook-id."""
    with Receiver() as receiver:
        hook = endpoint(receiver.url)
        post_receipts([record(0, dtmf="1")])
        leased = delivery._lease(hook.pk, timezone.now())  # ... and the worker dies here
        assert len(leased) == 1
        assert delivery.deliver(hook.pk) == 0  # leased: nobody else sends it meanwhile
        WebhookMessage.objects.update(next_attempt_at=timezone.now())  # the lease ran out
        assert delivery.deliver(hook.pk) == 1
    [(headers, _body)] = receiver.received
    assert headers["webhook-id"] == leased[0].msg_id
    assert WebhookMessage.objects.get().status == "delivered"


def test_an_opt_out_key_press_is_a_contact_opted_out_event(post_receipts, placed_calls, menu, running_campaign):
    from campaigns.models import MenuOption

    MenuOption.objects.create(template=menu, key="9", label="退订", code="TTS_200009", position=9, opt_out=True)
    running_campaign.menu_snapshot = menu.snapshot()
    running_campaign.save(update_fields=["menu_snapshot"])
    hook = endpoint(events=["contact.opted_out", "call.settled"])
    post_receipts([record(0, dtmf="9")])
    events = {m.event_type: m.payload["data"] for m in hook.messages.all()}
    assert events["contact.opted_out"]["phone"] == placed_calls[0].phone
    assert events["call.settled"]["answer_label"] == "退订"


def test_an_import_from_the_command_line_is_an_import_finished_event(contact_list, tmp_path):
    from django.core.management import call_command

    hook = endpoint(events=["import.finished"])
    path = tmp_path / "名单.csv"
    path.write_text("手机号,姓名\n13900000001,李四\n12345,坏号码\n", encoding="utf-8")
    call_command("import_contacts", contact_list.name, str(path), stdout=io.StringIO())
    [message] = hook.messages.all()
    data = message.payload["data"]
    assert (data["contact_list_id"], data["source"], data["created"], data["rejected_count"]) == (
        contact_list.pk, "file", 1, 1,
    )  # fmt: skip
