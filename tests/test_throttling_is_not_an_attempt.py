"""Rule 3: throttling (and frequency control, caller busy) is not an attempt: same call, later."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.dialling.aliyun import Outcome
from campaigns.models import Call
from tests.actors import OPERATOR
from tests.dialling import RecordingClient, result

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("outcome", "code", "min_delay"),
    [
        (Outcome.THROTTLED, "Throttling.User", dt.timedelta(seconds=1)),
        (Outcome.FREQUENCY_LIMITED, "isv.BUSINESS_LIMIT_CONTROL", dt.timedelta(minutes=1)),
        (Outcome.CALLER_BUSY, "isv.CALLER_CONCURRENCY_LIMIT", dt.timedelta(seconds=5)),
    ],
)
def test_throttled_call_is_requeued_without_counting_an_attempt(campaign, redis_conn, outcome, code, min_delay):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    client = RecordingClient(script={"13800130000": result(outcome, code)})
    before = timezone.now()

    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)

    call = campaign.calls.get(phone="13800130000")
    assert (call.status, call.attempt, call.error_code) == (Call.Status.QUEUED, 1, code)
    assert call.out_id is None and call.sent_at is None
    assert call.due_at >= before + min_delay
    assert client.dialled().count("13800130000") == 1  # not re-sent before its delay
    # The rest of the campaign carried on.
    assert campaign.calls.filter(status=Call.Status.PLACED).count() == 4

    Call.objects.filter(pk=call.pk).update(due_at=timezone.now())
    client.script.clear()
    if outcome == Outcome.FREQUENCY_LIMITED:
        # Aliyun counts the refused call against the callee: our guard holds the next one back.
        dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
        call.refresh_from_db()
        assert (call.status, call.error_code) == (Call.Status.QUEUED, "CalleeLimit")
        assert call.due_at >= timezone.now() + dt.timedelta(seconds=50)
        assert client.dialled().count("13800130000") == 1
        redis_conn.flushdb()  # a minute later, as far as the guard knows
        Call.objects.filter(pk=call.pk).update(due_at=timezone.now())
    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)

    call.refresh_from_db()
    assert (call.status, call.attempt) == (Call.Status.PLACED, 1)
    assert campaign.calls.filter(phone="13800130000").count() == 1
