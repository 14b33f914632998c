"""Rule 4/5: nothing is dialled outside the calling window, retries included."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, Campaign
from campaigns.transitions import after_calls_settled
from ivrsite.scheduler import tick
from tests.actors import OPERATOR
from tests.dialling import RecordingClient

pytestmark = pytest.mark.django_db


def close_window_now(campaign: Campaign) -> None:
    """Set the daily window to a one-hour slot that has just ended, in the campaign's zone."""
    local = timezone.now().astimezone(campaign.zone)
    campaign.daily_start = (local - dt.timedelta(hours=2)).time().replace(second=0, microsecond=0)
    campaign.daily_end = (local - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    campaign.save()


def test_nothing_is_dialled_outside_the_window(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    close_window_now(campaign)
    client = RecordingClient()

    report = dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
    tick()

    assert client.requests == []
    assert report["stopped"] == "outside window"
    assert campaign.calls.filter(status=Call.Status.QUEUED).count() == 5


def test_a_retry_due_outside_the_window_waits_for_it(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    client = RecordingClient()
    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
    first = campaign.calls.get(phone="13800130000")
    Call.objects.filter(pk=first.pk).update(status=Call.Status.NO_ANSWER)
    after_calls_settled([first.pk])
    retry = campaign.calls.get(phone="13800130000", attempt=2)
    Call.objects.filter(pk=retry.pk).update(due_at=timezone.now())
    close_window_now(campaign)

    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)

    assert client.dialled().count("13800130000") == 1
    assert Call.objects.get(pk=retry.pk).status == Call.Status.QUEUED


def test_window_in_another_zone(campaign, redis_conn):
    """The same UTC instant is inside for one zone and outside for another."""
    now = timezone.now()
    utc_hour = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    campaign.timezone = "UTC"
    campaign.daily_start = utc_hour.time()
    campaign.daily_end = (utc_hour + dt.timedelta(hours=1)).time()
    campaign.save()
    assert campaign.in_window(now)
    campaign.timezone = "Asia/Shanghai"  # eight hours ahead: the same hour-long slot is not now
    assert not campaign.in_window(now)
