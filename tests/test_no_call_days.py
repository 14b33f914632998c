"""No-call days (e.g. 春节): no campaign dials on them unless it opts in; windows, retries and
next_window_start skip them, in the campaign's own zone (DST zones included)."""

import datetime as dt

import pytest
from django.utils import formats, timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, Campaign, NoCallDay
from campaigns.transitions import do_retry_calls
from ivrsite.scheduler import tick
from tests.actors import OPERATOR
from tests.dialling import RecordingClient

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def window(**kwargs) -> Campaign:
    defaults = {"timezone": "Asia/Shanghai", "daily_start": dt.time(9), "daily_end": dt.time(20)}
    defaults.update(kwargs)
    return Campaign(**defaults)


@pytest.fixture
def spring_festival():
    """春节 2027: 6–12 February (Beijing dates)."""
    for n in range(7):
        NoCallDay.objects.create(date=dt.date(2027, 2, 6) + dt.timedelta(days=n), label="春节")


def test_no_call_day_closes_the_window_unless_the_campaign_opts_in(spring_festival):
    festival_morning = dt.datetime(2027, 2, 8, 2, 0, tzinfo=UTC)  # 10:00 Beijing
    assert window().in_window(festival_morning) is False
    assert window(dial_on_no_call_days=True).in_window(festival_morning) is True
    assert window().in_window(festival_morning - dt.timedelta(days=3)) is True


def test_next_window_start_skips_the_whole_festival(spring_festival):
    eve_evening = dt.datetime(2027, 2, 5, 13, 0, tzinfo=UTC)  # 21:00 Beijing, 5 February
    after = dt.datetime(2027, 2, 13, 1, 0, tzinfo=UTC)  # 09:00 Beijing, 13 February
    campaign = window()
    assert campaign.next_window_start(eve_evening) == after
    assert campaign.next_calling_day(eve_evening) == dt.date(2027, 2, 13)


def test_the_date_is_the_campaigns_local_one():
    NoCallDay.objects.create(date=dt.date(2026, 12, 25), label="Christmas")
    # 25 December 09:30 in Shanghai is still 24 December in UTC and in New York.
    instant = dt.datetime(2026, 12, 25, 1, 30, tzinfo=UTC)
    assert window().in_window(instant) is False
    new_york = window(timezone="America/New_York", daily_start=dt.time(0), daily_end=dt.time(23, 59))
    assert new_york.in_window(instant) is True  # 24 December 20:30 there


def test_dst_zone_skips_the_day_clocks_change():
    NoCallDay.objects.create(date=dt.date(2026, 3, 8), label="DST Sunday")  # US clocks go forward
    new_york = window(timezone="America/New_York", daily_start=dt.time(9), daily_end=dt.time(17))
    saturday_evening = dt.datetime(2026, 3, 7, 23, 0, tzinfo=UTC)  # 18:00 EST
    # Monday 09:00 EDT (UTC-4), not 09:00 EST: the day after the change.
    assert new_york.next_window_start(saturday_evening) == dt.datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_a_night_window_belongs_to_the_day_it_starts():
    NoCallDay.objects.create(date=dt.date(2026, 11, 1), label="节日")
    night = window(daily_start=dt.time(20), daily_end=dt.time(2))
    assert not night.in_window(dt.datetime(2026, 11, 1, 13, 0, tzinfo=UTC))  # 21:00 on the day
    assert not night.in_window(dt.datetime(2026, 11, 1, 17, 0, tzinfo=UTC))  # 01:00 the next morning
    assert night.in_window(dt.datetime(2026, 10, 31, 17, 0, tzinfo=UTC))  # 01:00 on the day: the eve's window


def test_retry_due_on_a_no_call_day_waits_for_the_next_calling_day(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    call = campaign.calls.order_by("pk").first()
    Call.objects.filter(pk=call.pk).update(status=Call.Status.NO_ANSWER, sent_at=timezone.now())
    call = Call.objects.select_related("campaign").get(pk=call.pk)
    today = timezone.now().astimezone(campaign.zone).date()
    NoCallDay.objects.create(date=today, label="节日")

    [retry] = do_retry_calls([call], timezone.now())

    campaign.refresh_from_db()
    assert not campaign.in_window(retry.due_at)
    assert campaign.next_window_start(retry.due_at).astimezone(campaign.zone).date() == today + dt.timedelta(days=1)
    # Nothing is dialled today, neither the retry nor anyone else.
    client = RecordingClient()
    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
    assert client.dialled() == []
    assert tick()["enqueued"] == 0


def test_campaign_opting_in_dials_on_a_no_call_day(campaign, redis_conn):
    NoCallDay.objects.create(date=timezone.now().astimezone(campaign.zone).date(), label="节日")
    Campaign.objects.filter(pk=campaign.pk).update(dial_on_no_call_days=True)
    campaign.refresh_from_db()
    actions.do_start_campaign(campaign, actor=OPERATOR)
    client = RecordingClient()
    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
    assert len(client.dialled()) == 5


def test_staff_add_a_no_call_day_and_see_the_next_calling_day(staff_client, campaign):
    today = timezone.now().astimezone(campaign.zone).date()
    response = staff_client.post(
        "/admin/campaigns/nocallday/add/", {"date": today.isoformat(), "label": "春节"}, follow=True
    )
    assert response.status_code == 200
    assert NoCallDay.objects.filter(date=today, label="春节").exists()

    page = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()

    tomorrow = formats.date_format(today + dt.timedelta(days=1), "DATE_FORMAT")
    assert f"{tomorrow}, after the no-call days (春节)" in page
