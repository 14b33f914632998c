"""The live dial rate: calls/s over the last minute on the campaign page (against the bound),
and calls/s per minute over the last hour on the results dashboard."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch, rates
from campaigns.forecast import live_rate
from campaigns.models import Contact
from tests.actors import OPERATOR
from tests.dialling import RecordingClient

pytestmark = pytest.mark.django_db


def test_the_dashboard_charts_what_dial_jobs_sent_per_minute(staff_client, campaign, contact_list, redis_conn):
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1390000{n:04d}", variables={"product": "x"}) for n in range(55)
    )
    actions.do_start_campaign(campaign, actor=OPERATOR)
    dispatch.dial_campaign(campaign.pk, max_seconds=30, client=RecordingClient())

    chart = staff_client.get(reverse("results:dashboard-data", args=[campaign.pk])).json()["charts"]["rate"]

    assert len(chart["labels"]) == 60
    assert sum(chart["datasets"][0]["data"]) * 60 == pytest.approx(60, abs=0.01)  # 60 calls, in 1-2 minutes
    assert chart["table"]["rows"]


def test_the_campaign_page_shows_calls_per_second_over_the_last_minute(staff_client, running_campaign, redis_conn):
    now = timezone.now().replace(second=30, microsecond=0)
    rates.record_sent(running_campaign.pk, 60, now - dt.timedelta(minutes=1))  # half of it in the window
    rates.record_sent(running_campaign.pk, 3, now)
    rates.record_sent(running_campaign.pk, 999, now - dt.timedelta(minutes=2))  # too old

    assert live_rate(running_campaign, now) == round((30 + 3) / 60, 2)

    page = staff_client.get(f"/admin/campaigns/campaign/{running_campaign.pk}/change/").content.decode()
    assert "Calls/s, last minute" in page
    assert 'data-figure="rate">' in page
    progress = staff_client.get(f"/admin/campaigns/campaign/progress/?ids={running_campaign.pk}").json()
    assert progress[str(running_campaign.pk)]["rate"] is not None
