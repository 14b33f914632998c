"""Rule 5: calling windows are evaluated in the campaign's time zone."""

import datetime as dt

import pytest

from campaigns.models import Campaign

# No-call days are part of the window, and they live in the database.
pytestmark = pytest.mark.django_db
UTC = dt.UTC


def window(**kwargs) -> Campaign:
    defaults = {"timezone": "Asia/Shanghai", "daily_start": dt.time(9), "daily_end": dt.time(20)}
    defaults.update(kwargs)
    return Campaign(**defaults)


@pytest.mark.parametrize(
    ("utc", "inside"),
    [
        (dt.datetime(2026, 11, 25, 0, 59, 59, tzinfo=UTC), False),  # 08:59:59 Shanghai
        (dt.datetime(2026, 11, 25, 1, 0, 0, tzinfo=UTC), True),  # 09:00 Shanghai: start is inclusive
        (dt.datetime(2026, 11, 25, 11, 59, 59, tzinfo=UTC), True),  # 19:59:59
        (dt.datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC), False),  # 20:00: end is exclusive
    ],
)
def test_daily_hours_are_local_to_the_campaign(utc, inside):
    assert window().in_window(utc) is inside


def test_weekday_is_the_local_one():
    # 2026-11-28 is a Saturday in Shanghai at 09:30, still Friday 01:30 in UTC.
    saturday_morning = dt.datetime(2026, 11, 28, 1, 30, tzinfo=UTC)
    assert window(weekdays=[0, 1, 2, 3, 4]).in_window(saturday_morning) is False
    assert window(weekdays=[5]).in_window(saturday_morning) is True


def test_window_across_midnight_belongs_to_the_day_it_starts():
    night = window(daily_start=dt.time(20), daily_end=dt.time(2), weekdays=[4])  # Friday night only
    friday_2330 = dt.datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
    saturday_0130 = dt.datetime(2026, 11, 27, 17, 30, tzinfo=UTC)
    saturday_0200 = dt.datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    saturday_2330 = dt.datetime(2026, 11, 28, 15, 30, tzinfo=UTC)
    assert night.in_window(friday_2330)
    assert night.in_window(saturday_0130)
    assert not night.in_window(saturday_0200)
    assert not night.in_window(saturday_2330)


def test_dst_zone_follows_the_local_clock():
    new_york = window(timezone="America/New_York")
    # 09:00 local is 13:00 UTC in summer (EDT) and 14:00 UTC in winter (EST).
    assert new_york.in_window(dt.datetime(2026, 7, 1, 13, 0, tzinfo=UTC))
    assert not new_york.in_window(dt.datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    assert new_york.in_window(dt.datetime(2026, 12, 1, 14, 0, tzinfo=UTC))


def test_start_and_end_dates_bound_the_window():
    bounded = window(
        starts_at=dt.datetime(2026, 11, 26, 0, 0, tzinfo=UTC), ends_at=dt.datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    )
    assert not bounded.in_window(dt.datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    assert bounded.in_window(dt.datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    assert not bounded.in_window(dt.datetime(2026, 11, 27, 3, 0, tzinfo=UTC))


def test_next_window_start_skips_to_the_next_allowed_morning():
    weekdays_only = window(weekdays=[0, 1, 2, 3, 4])
    friday_2100_local = dt.datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    monday_0900_local = dt.datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert weekdays_only.next_window_start(friday_2100_local) == monday_0900_local


def test_no_next_window_after_the_end_date():
    ended = window(ends_at=dt.datetime(2026, 11, 1, tzinfo=UTC))
    assert ended.next_window_start(dt.datetime(2026, 11, 25, tzinfo=UTC)) is None


def test_equal_start_and_end_mean_all_day():
    all_day = window(daily_start=dt.time(0), daily_end=dt.time(0))
    assert all_day.in_window(dt.datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC))
