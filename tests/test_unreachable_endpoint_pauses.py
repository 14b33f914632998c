"""Requests that cannot even connect are not attempts, but an endpoint that stays unreachable
pauses the campaign with the reason instead of backing off forever."""

import pytest

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.dialling.aliyun import Outcome
from campaigns.models import Call, Campaign
from tests.actors import OPERATOR
from tests.dialling import RecordingClient, result

pytestmark = pytest.mark.django_db


def test_unreachable_endpoint_pauses_the_campaign(campaign, redis_conn, monkeypatch):
    monkeypatch.setattr(dispatch, "UNREACHABLE_ENDPOINT_LIMIT", 3)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    client = RecordingClient(default=result(Outcome.THROTTLED, "ConnectFailed"))

    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert "cannot be reached" in campaign.state_reason_text
    assert len(client.requests) == 3
    assert campaign.calls.filter(status=Call.Status.QUEUED, attempt=1).count() == 5


def test_a_placed_call_resets_the_count(campaign, redis_conn, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    monkeypatch.setattr(dispatch, "UNREACHABLE_ENDPOINT_LIMIT", 3)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    start = timezone.now() - dt.timedelta(minutes=1)
    for n, call in enumerate(campaign.calls.order_by("phone")):  # dialled in phone order
        Call.objects.filter(pk=call.pk).update(due_at=start + dt.timedelta(seconds=n))
    client = RecordingClient(
        script={
            "13800130000": result(Outcome.THROTTLED, "ConnectFailed"),
            "13800130001": result(Outcome.THROTTLED, "ConnectTimeout"),
            "13800130003": result(Outcome.THROTTLED, "ConnectFailed"),
            "13800130004": result(Outcome.THROTTLED, "ConnectFailed"),
        }
    )

    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING, client.dialled()  # 2 failures, a success, 2 failures
