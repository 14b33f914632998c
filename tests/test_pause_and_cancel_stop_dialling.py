"""A paused or cancelled campaign dials nothing more, even with jobs already queued in Redis."""

import pytest
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, Campaign
from tests.actors import OPERATOR
from tests.dialling import RecordingClient

pytestmark = pytest.mark.django_db
S = Call.Status


def test_job_queued_before_pause_dials_nothing(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    actions.do_pause_campaign(campaign, actor=OPERATOR)
    client = RecordingClient()

    report = dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)

    assert client.requests == []
    assert report["stopped"] == "not running"
    assert campaign.calls.filter(status=S.QUEUED).count() == 5


def test_pause_between_claim_and_send_hands_the_calls_back(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    claimed = dispatch.claim(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.PAUSED)

    sent = [c for c in claimed if dispatch.mark_sending(c, timezone.now())]
    dispatch.release(claimed)

    assert sent == []
    assert campaign.calls.filter(status=S.QUEUED).count() == 5


def test_cancel_between_claim_and_send_cancels_the_calls(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    claimed = dispatch.claim(campaign)
    actions.do_cancel_campaign(campaign, actor=OPERATOR)

    assert not any(dispatch.mark_sending(c, timezone.now()) for c in claimed)
    dispatch.release(claimed)
    assert campaign.calls.filter(status=S.CANCELLED).count() == 5


def test_pausing_mid_job_stops_the_next_send(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)

    class PausingClient(RecordingClient):
        def ivr_call(self, request):
            answer = super().ivr_call(request)
            actions.do_pause_campaign(Campaign.objects.get(pk=campaign.pk), actor=OPERATOR)
            return answer

    client = PausingClient()
    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)

    assert len(client.requests) == 1
    assert campaign.calls.filter(status=S.QUEUED).count() == 4
    assert campaign.calls.filter(status=S.CLAIMED).count() == 0
