"""A configuration error from Aliyun pauses the campaign with the reason, instead of burning the list."""

import pytest

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.dialling.aliyun import Outcome
from campaigns.models import Call, Campaign
from tests.actors import OPERATOR
from tests.dialling import RecordingClient, result

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["isv.AMOUNT_NOT_ENOUGH", "InvalidAccessKeyId.NotFound", "isv.BILLID_NOT_EXIST"])
def test_config_error_pauses_the_campaign(campaign, redis_conn, code):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    client = RecordingClient(default=result(Outcome.CONFIG_ERROR, code))

    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert code in campaign.state_reason_text
    assert len(client.requests) == 1
    assert campaign.calls.filter(status=Call.Status.QUEUED).count() == 5  # nothing lost, nothing counted


def test_invalid_and_blocked_numbers_are_final(campaign, redis_conn):
    from campaigns.models import DoNotCall

    actions.do_start_campaign(campaign, actor=OPERATOR)
    client = RecordingClient(
        script={
            "13800130000": result(Outcome.INVALID_NUMBER, "isv.MOBILE_NUMBER_ILLEGAL"),
            "13800130001": result(Outcome.BLOCKED_NUMBER, "isv.COMPLAINT_REJECT"),
        }
    )

    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)

    statuses = dict(campaign.calls.values_list("phone", "status"))
    assert statuses["13800130000"] == Call.Status.INVALID
    assert statuses["13800130001"] == Call.Status.FAILED
    assert DoNotCall.objects.filter(phone="13800130001").exists()
    assert campaign.calls.filter(attempt=2).count() == 0
