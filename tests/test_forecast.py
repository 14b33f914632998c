"""Capacity forecast arithmetic against hand-computed cases, and what a campaign reports."""

import datetime as dt
import json
import zoneinfo
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.accounts import VoiceAccount
from campaigns.dialling import rates
from campaigns.forecast import ACCOUNT, CALLER_NUMBERS, CAMPAIGN, campaign_forecast, estimate, expected_dials
from campaigns.models import Call, CallerNumber, Contact
from campaigns.window import CallingWindow

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
WEEKDAYS_ONLY = (0, 1, 2, 3, 4)
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
OFFICE = CallingWindow(SHANGHAI, dt.time(9), dt.time(20), EVERY_DAY)


def local(zone, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def test_qps_bound_campaign_finishes_within_the_hour():
    # 10 numbers × 500 concurrent ÷ 40 s = 125 calls/s > the account's 100/s: the account binds.
    # 360,000 calls ÷ 100/s = 3,600 s: Monday 10:00 + 1 h.
    forecast = estimate(
        now=local(SHANGHAI, 2026, 12, 7, 10, 0),
        window=OFFICE,
        calls_left=360_000,
        account_qps=100,
        concurrent_calls=5000,
        holding_seconds=40,
    )
    assert forecast.binds == ACCOUNT
    assert forecast.bound_qps == 100
    assert forecast.concurrency_qps == 125
    assert forecast.seconds_needed == 3600
    assert forecast.finish_at == local(SHANGHAI, 2026, 12, 7, 11, 0)
    assert forecast.window_seconds_left_today == 10 * 3600  # 10:00 → 20:00
    assert forecast.window_days == 1


def test_concurrency_bound_campaign_spans_two_windows_and_skips_the_weekend():
    # 2 numbers × 15 concurrent ÷ 40 s = 0.75 calls/s, far below 100/s: the numbers bind.
    # 59,400 calls ÷ 0.75/s = 79,200 s = 22 h = two 11-hour windows: Friday and (skipping
    # Saturday and Sunday) Monday, finishing at Monday's 20:00.
    window = CallingWindow(SHANGHAI, dt.time(9), dt.time(20), WEEKDAYS_ONLY)
    forecast = estimate(
        now=local(SHANGHAI, 2026, 12, 11, 9, 0),  # a Friday
        window=window,
        calls_left=59_400,
        account_qps=100,
        concurrent_calls=30,
        holding_seconds=40,
    )
    assert forecast.binds == CALLER_NUMBERS
    assert forecast.bound_qps == 0.75
    assert forecast.finish_at == local(SHANGHAI, 2026, 12, 14, 20, 0)
    assert forecast.window_days == 2


def test_a_campaigns_own_rate_can_bind():
    forecast = estimate(
        now=local(SHANGHAI, 2026, 12, 7, 9, 0),
        window=OFFICE,
        calls_left=3600,
        account_qps=100,
        concurrent_calls=5000,
        holding_seconds=40,
        campaign_qps=2,
    )
    assert (forecast.binds, forecast.bound_qps) == (CAMPAIGN, 2)
    assert forecast.finish_at == local(SHANGHAI, 2026, 12, 7, 9, 30)


def test_after_todays_window_the_finish_is_tomorrow_and_no_time_is_left_today():
    forecast = estimate(
        now=local(SHANGHAI, 2026, 12, 7, 21, 0),
        window=OFFICE,
        calls_left=1000,
        account_qps=10,
        concurrent_calls=500,
        holding_seconds=40,
    )
    assert forecast.window_seconds_left_today == 0
    assert forecast.finish_at == local(SHANGHAI, 2026, 12, 8, 9, 1, 40)  # 100 s after opening


def test_before_todays_window_the_whole_window_is_left_today():
    forecast = estimate(
        now=local(SHANGHAI, 2026, 12, 7, 7, 0),
        window=OFFICE,
        calls_left=10,
        account_qps=10,
        concurrent_calls=500,
        holding_seconds=40,
    )
    assert forecast.window_seconds_left_today == 11 * 3600
    assert forecast.finish_at == local(SHANGHAI, 2026, 12, 7, 9, 0, 1)


def test_the_night_clocks_go_forward_has_an_hour_less_to_call():
    # New York, 00:00–06:00 daily; DST starts Sunday 2026-03-08 at 02:00 (02:00 → 03:00).
    # At 1 call/s, 32,400 calls need 9 h: Saturday's 6 h, then 3 real hours of Sunday's
    # window, which on that night is 00:00 EST + 3 h = 04:00 EDT (not 03:00).
    window = CallingWindow(NEW_YORK, dt.time(0), dt.time(6), EVERY_DAY)
    forecast = estimate(
        now=local(NEW_YORK, 2026, 3, 7, 0, 0),
        window=window,
        calls_left=32_400,
        account_qps=1,
        concurrent_calls=500,
        holding_seconds=40,
    )
    assert forecast.finish_at == local(NEW_YORK, 2026, 3, 8, 4, 0)
    assert forecast.finish_at.utcoffset() == dt.timedelta(hours=-4)
    # 43,200 calls = 12 h: 6 (Sat) + 5 (Sun, one hour short) + 1 on Monday.
    longer = estimate(
        now=local(NEW_YORK, 2026, 3, 7, 0, 0),
        window=window,
        calls_left=43_200,
        account_qps=1,
        concurrent_calls=500,
        holding_seconds=40,
    )
    assert longer.finish_at == local(NEW_YORK, 2026, 3, 9, 1, 0)
    assert longer.window_days == 3


def test_an_overnight_window_still_open_from_yesterday_counts_as_today():
    window = CallingWindow(SHANGHAI, dt.time(20), dt.time(2), EVERY_DAY)
    forecast = estimate(
        now=local(SHANGHAI, 2026, 12, 8, 1, 0),
        window=window,
        calls_left=7200,
        account_qps=1,
        concurrent_calls=500,
        holding_seconds=40,
    )
    assert forecast.window_seconds_left_today == 3600
    # 1 h tonight (01:00–02:00), then 1 h from 20:00 the same day.
    assert forecast.finish_at == local(SHANGHAI, 2026, 12, 8, 21, 0)


def test_an_end_date_before_the_finish_leaves_calls_undone():
    window = CallingWindow(SHANGHAI, dt.time(9), dt.time(20), EVERY_DAY, ends_at=local(SHANGHAI, 2026, 12, 7, 12, 0))
    forecast = estimate(
        now=local(SHANGHAI, 2026, 12, 7, 10, 0),
        window=window,
        calls_left=10_000,
        account_qps=1,
        concurrent_calls=500,
        holding_seconds=40,
    )
    assert forecast.finish_at is None
    assert forecast.unfinished_at_end == 10_000 - 7200


def test_expected_dials_count_the_retries_still_possible():
    # Max 3 attempts, half of the attempts retried: a new contact needs 1 + 0.5 + 0.25.
    assert expected_dials(1, 3, 0.5, already_sent=False) == 1.75
    assert expected_dials(1, 3, 0.5, already_sent=True) == 0.75
    assert expected_dials(3, 3, 0.5, already_sent=False) == 1
    assert expected_dials(3, 3, 0.5, already_sent=True) == 0


@pytest.mark.django_db
def test_a_draft_campaign_forecasts_from_its_lists_accounts_and_defaults(campaign, caller, settings):
    settings.VOICE_QPS = 100
    settings.FORECAST_RETRY_SHARE = 0.5
    second = VoiceAccount(name="华东", access_key_id="LTAI-second", qps=50)
    second.set_secret("s")
    second.save()
    numbers = CallerNumber.objects.create(number="02100000000", max_concurrent_calls=5, account=second)
    campaign.caller_numbers.add(numbers)
    caller.max_concurrent_calls = 15
    caller.save()
    campaign.expected_call_seconds = 20
    campaign.max_attempts = 2
    campaign.save()

    forecast = campaign_forecast(campaign)

    assert forecast.account_qps == 150  # both accounts' budgets
    assert forecast.concurrent_calls == 20
    assert forecast.concurrency_qps == 1.0  # 20 ÷ 20 s
    assert forecast.binds == CALLER_NUMBERS
    assert not forecast.holding_measured
    assert forecast.calls_left == 8  # 5 contacts × (1 + 0.5), rounded up


@pytest.mark.django_db
def test_a_running_campaign_measures_its_holding_time_and_retry_share(running_campaign, contact_list, redis_conn):
    # 30 answered and 10 not answered: a quarter of the finished attempts are retried. 24 calls in
    # flight while it sends 0.8 calls/s: each holds its number 24 / 0.8 = 30 s (Little's law).
    contact = Contact.objects.filter(contact_list=contact_list).first()
    statuses = [Call.Status.ANSWERED] * 30 + [Call.Status.NO_ANSWER] * 10 + [Call.Status.PLACED] * 24
    Call.objects.bulk_create(
        Call(campaign=running_campaign, contact=contact, phone=f"1390000{n:04d}", status=status)
        for n, status in enumerate(statuses)
    )
    now = timezone.now().replace(second=0, microsecond=0)
    rates.record_sent(running_campaign.pk, 48, now - dt.timedelta(minutes=1))

    forecast = campaign_forecast(running_campaign, now)

    assert forecast.holding_measured and forecast.holding_seconds == 30
    assert forecast.retry_share_measured and forecast.retry_share == 0.25


@pytest.mark.django_db
def test_campaign_status_json_has_the_forecast(campaign):
    out = StringIO()
    call_command("campaign", "status", str(campaign.pk), "--json", stdout=out)
    forecast = json.loads(out.getvalue())["forecast"]
    assert forecast["binds"] in (ACCOUNT, CALLER_NUMBERS, CAMPAIGN)
    assert forecast["calls_left"] >= 5
    assert forecast["finish_at"]
    assert {"bound_qps", "window_seconds_left_today", "holding_seconds"} <= set(forecast)


@pytest.mark.django_db
def test_the_draft_campaign_page_shows_the_forecast_and_warns_when_numbers_bind(staff_client, campaign, caller):
    caller.max_concurrent_calls = 2  # 2 ÷ 40 s = 0.05 calls/s, far below the account's 100/s
    caller.save()
    page = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert "Capacity forecast" in page
    assert "caller numbers, not the account, are the bottleneck" in page
    assert "With 1 number at 2 concurrent calls in all and ~40 s calls" in page

    confirm = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/transition/start/").content.decode()
    assert "bottleneck" in confirm

    caller.max_concurrent_calls = 5000
    caller.save()
    page = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert "bottleneck" not in page
    assert "the accounts&#x27; QPS budget" in page
