"""Rule 2: a request whose outcome is unknown is never re-dialled blindly."""

import pytest

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.dialling.aliyun import Outcome
from campaigns.models import Call
from ivrsite.scheduler import tick
from tests.actors import OPERATOR
from tests.dialling import RecordingClient, result

pytestmark = pytest.mark.django_db


def test_unknown_outcome_is_not_redialled(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    client = RecordingClient(script={"13800130000": result(Outcome.UNKNOWN, "Timeout")})

    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
    tick()

    assert client.dialled().count("13800130000") == 1
    call = campaign.calls.get(phone="13800130000")
    assert (call.status, call.error_code, call.attempt) == (Call.Status.UNKNOWN, "Timeout", 1)
    assert call.out_id  # kept, so a late receipt can settle it
    assert campaign.calls.filter(phone="13800130000").count() == 1
    campaign.refresh_from_db()
    assert campaign.state == "running"  # not completed while an outcome is unknown
