"""The best hours to call (issue 26): a heat map of answer rates by weekday and hour, by carrier
and province, across campaigns, and a suggested calling window, in both languages; from the cube
counted as receipts settle calls, never a scan of the calls on page view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as conf
from django.urls import reverse

from campaigns.models import Call, CallStats, Contact
from results import best_hours
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db
# A Tuesday: 10:00-12:59 in Shanghai answered, 19:00 not.
TUESDAY_UTC = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def few_calls_suffice(monkeypatch):
    monkeypatch.setattr(best_hours, "MIN_CALLS", 2)


@pytest.fixture
def settled(running_campaign, post_receipts, monkeypatch):
    """Calls made on a Tuesday in several hours (Shanghai time), settled by their receipts."""
    monkeypatch.setattr(
        best_hours.timezone, "now", lambda: TUESDAY_UTC + dt.timedelta(days=1)
    )  # the page looks at the last 90 days from the next day
    contacts = Contact.objects.bulk_create(
        Contact(contact_list=running_campaign.contact_lists.first(), phone=f"1300006{n:04d}") for n in range(16)
    )
    hours = [10, 11, 12, 19]  # local; Shanghai is UTC+8
    calls = Call.objects.bulk_create(
        Call(
            campaign=running_campaign,
            contact=contact,
            phone=contact.phone,
            status=Call.Status.PLACED,
            caller_number=running_campaign.caller_numbers.first(),
            out_id=f"b{n}",
            call_id=f"b{n}^1",
            sent_at=TUESDAY_UTC + dt.timedelta(hours=hours[n % 4] - 8, minutes=n),
        )
        for n, contact in enumerate(contacts)
    )
    elements = []
    for n, call in enumerate(calls):
        answered = hours[n % 4] != 19 and n % 8 != 0
        element = record(0, "200000" if answered else "200003", call_id=call.call_id) | {"out_id": call.out_id}
        elements.append(element | ({} if answered else {"start_time": ""}))
    assert post_receipts(elements).status_code == 200
    return calls


def test_receipts_fill_the_cube_by_hour_province_and_carrier(settled):
    cells = CallStats.objects.values_list("province", "carrier").distinct()
    assert list(cells) == [("江苏省", "中国联通")]
    grid = best_hours.grid()
    assert (grid[(1, 10)].calls, grid[(1, 10)].answered) == (4, 2)  # Tuesday 10:00: n = 0, 4, 8, 12
    assert (grid[(1, 19)].calls, grid[(1, 19)].answered) == (4, 0)


def test_heat_map_and_suggested_window_in_english(settled, staff_client, django_assert_max_num_queries):
    staff_client.cookies[conf.LANGUAGE_COOKIE_NAME] = "en"
    with django_assert_max_num_queries(12):  # the cube, grouped: not one row per call
        page = staff_client.get(reverse("admin-best-hours"), {"hours": "2"}).content.decode()

    assert "Best hours to call" in page and "Answer rate by weekday and hour" in page
    assert "Call 11:00–13:00: expected answer rate 100.0% (from 8 calls; 62.5% over all hours)." in page
    assert '<th scope="row">Tuesday</th>' in page
    assert "中国联通" in page and "江苏省" in page


def test_heat_map_and_suggested_window_in_chinese(settled, staff_client):
    staff_client.cookies[conf.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = staff_client.get(reverse("admin-best-hours"), {"hours": "2", "carrier": "中国联通"}).content.decode()

    assert "最佳拨打时段" in page and "星期二" in page
    assert "建议在 11:00–13:00 拨打：预计接听率 100.0%" in page
    assert "Best hours to call" not in page


def test_nothing_to_suggest_without_calls(staff_client):
    page = staff_client.get(reverse("admin-best-hours")).content.decode()
    assert "Not enough calls yet to suggest a window." in page


def test_needs_the_permission_to_view_campaigns(login_with):
    client = login_with()
    assert client.get(reverse("admin-best-hours")).status_code == 403
