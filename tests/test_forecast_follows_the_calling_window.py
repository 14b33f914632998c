"""The forecast walks the one calling window (`campaigns.window`): a no-call day is skipped, a
contact's own hours delay the finish, a paused campaign promises no finish, and the holding
time is learnt from the campaign's own ended calls."""

import datetime as dt
import json
import zoneinfo
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.forecast import campaign_forecast, estimate
from campaigns.models import Call, Campaign, Contact, NoCallDay
from campaigns.window import CallingWindow, DailyHours
from results.aggregates import refresh_snapshot

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)


def status_json(campaign: Campaign) -> dict:
    out = StringIO()
    call_command("campaign", "status", str(campaign.pk), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_a_no_call_day_is_skipped_by_the_arithmetic():
    monday = dt.date(2026, 12, 7)
    window = CallingWindow(SHANGHAI, dt.time(9), dt.time(20), EVERY_DAY, closed_dates=frozenset({monday}))
    forecast = estimate(
        now=dt.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI),
        window=window,
        calls_left=100,
        account_qps=1,
        concurrent_calls=500,
        holding_seconds=1,
    )
    assert forecast.window_seconds_left_today == 0
    assert forecast.opens_at == dt.datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)
    assert forecast.finish_at == dt.datetime(2026, 12, 8, 9, 1, 40, tzinfo=SHANGHAI)


def test_contacts_with_their_own_hours_delay_the_finish_to_those_hours():
    # 3,600 calls at 1/s from Monday 10:00 take an hour; but 600 of them are to contacts who
    # asked for evenings only: they are dialled from 18:00, done at 18:10.
    window = CallingWindow(SHANGHAI, dt.time(9), dt.time(20), EVERY_DAY)
    figures = {
        "now": dt.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI),
        "window": window,
        "calls_left": 3600,
        "account_qps": 1,
        "concurrent_calls": 500,
        "holding_seconds": 1,
    }
    assert estimate(**figures).finish_at == dt.datetime(2026, 12, 7, 11, 0, tzinfo=SHANGHAI)
    evenings = DailyHours.between(dt.time(18), None)

    forecast = estimate(**figures, own_hours=[(evenings, 600)])

    assert forecast.finish_at == dt.datetime(2026, 12, 7, 18, 10, tzinfo=SHANGHAI)
    assert forecast.own_hours_contacts == [{"hours": "18:00–24:00", "calls": 600}]


@pytest.mark.django_db
def test_a_campaign_on_a_no_call_day_forecasts_from_the_next_calling_day(campaign, staff_client):
    today = timezone.now().astimezone(campaign.zone).date()
    tomorrow = today + dt.timedelta(days=1)
    NoCallDay.objects.create(date=today, label="春节")

    forecast = status_json(campaign)["forecast"]

    opens = dt.datetime.fromisoformat(forecast["opens_at"])
    assert opens == dt.datetime.combine(tomorrow, dt.time(0), tzinfo=campaign.zone)  # the fixture dials all day
    assert dt.datetime.fromisoformat(forecast["finish_at"]).date() == tomorrow
    assert forecast["window_seconds_left_today"] == 0

    page = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert f"dialling starts {tomorrow:%Y-%m-%d} 00:00" in page
    assert f'<dd class="finish">{tomorrow:%Y-%m-%d}' in page


@pytest.mark.django_db
def test_a_paused_campaign_shows_no_expected_finish(running_campaign, staff_client):
    Campaign.objects.filter(pk=running_campaign.pk).update(state=Campaign.State.PAUSED)
    running_campaign.refresh_from_db()

    forecast = status_json(running_campaign)["forecast"]

    assert forecast["paused"] is True
    assert forecast["finish_at"] is None
    assert forecast["unfinished_at_end"] == 0
    page = staff_client.get(f"/admin/campaigns/campaign/{running_campaign.pk}/change/").content.decode()
    assert '<dd class="finish">none while paused</dd>' in page
    assert "Paused: no expected finish until it is resumed." in page


@pytest.mark.django_db
def test_the_holding_time_is_learnt_from_the_calls_that_ended(running_campaign, contact_list):
    # 30 calls that each held their number about a second (the receipts' end times), none in
    # flight now: the default 40 s gives way to the measured second.
    contact = Contact.objects.filter(contact_list=contact_list).first()
    sent = timezone.now() - dt.timedelta(minutes=5)
    Call.objects.bulk_create(
        Call(
            campaign=running_campaign,
            contact=contact,
            phone=f"1390000{n:04d}",
            status=Call.Status.ANSWERED if n % 2 else Call.Status.NO_ANSWER,
            sent_at=sent + dt.timedelta(seconds=n),
            ended_at=sent + dt.timedelta(seconds=n + 1),
        )
        for n in range(30)
    )
    refresh_snapshot(running_campaign)

    forecast = campaign_forecast(running_campaign)

    assert forecast.holding_measured
    assert forecast.holding_seconds == 1
    assert status_json(running_campaign)["forecast"]["holding_seconds"] == 1


@pytest.mark.django_db
def test_campaign_status_counts_the_calls_that_wait_for_their_contacts_hours(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(daily_start=dt.time(9), daily_end=dt.time(20))
    campaign.refresh_from_db()
    contact = campaign.contact_lists.get().contacts.order_by("phone").first()
    contact.variables = {"product": "宽带", "call_after": "18:00"}
    contact.save()

    forecast = status_json(campaign)["forecast"]

    assert [group["hours"] for group in forecast["own_hours_contacts"]] == ["18:00–24:00"]
    finish = dt.datetime.fromisoformat(forecast["finish_at"])
    assert 18 <= finish.hour < 20  # five calls at 100/s would be done the moment the window opens


@pytest.mark.django_db
def test_a_running_campaign_counts_the_calls_still_waiting_for_their_contacts_hours(running_campaign, settings):
    settings.FORECAST_RETRY_SHARE = 0.5
    contacts = list(running_campaign.contact_lists.get().contacts.order_by("phone"))
    contacts[0].variables = {"product": "宽带", "call_after": "18:00"}
    contacts[0].save()
    contacts[1].variables = {"product": "宽带", "call_after": "18:00"}
    contacts[1].save()
    Call.objects.bulk_create(
        Call(campaign=running_campaign, contact=contact, phone=contact.phone, status=status)
        for contact, status in zip(contacts, [Call.Status.QUEUED, Call.Status.ANSWERED], strict=False)
    )

    forecast = status_json(running_campaign)["forecast"]

    # Only the contact not yet dialled waits for the evening (its call, and half a retry expected
    # of its two attempts: 1.5, rounded up); the answered one is done.
    assert forecast["own_hours_contacts"] == [{"hours": "18:00–24:00", "calls": 2}]
