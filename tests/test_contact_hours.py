"""Per-contact hours: `call_after` / `call_before` columns (or their aliases) in the contact
file are honoured in the campaign's local time; a call outside them is deferred, not made."""

import datetime as dt
import io
import zoneinfo

import pytest
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.contacts import contact_hours
from campaigns.contacts.importing import import_contacts
from campaigns.dialling import dispatch
from campaigns.models import Call, Campaign, Contact, ContactList
from campaigns.window import CallingWindow
from tests.actors import OPERATOR
from tests.dialling import RecordingClient

pytestmark = pytest.mark.django_db
S = Call.Status


def test_import_takes_the_columns_by_alias_and_drops_unreadable_hours_not_the_contact():
    contact_list = ContactList.objects.create(name="晚上打")
    csv = "手机号,姓名,不早于,最晚呼叫时间\n13800138000,王伟,18:00,21点30\n13800138001,李娜,,\n13800138002,张敏,晚上,\n"

    summary = import_contacts(contact_list, io.BytesIO(csv.encode()), "contacts.csv")

    assert (summary.created, summary.rejected_count, summary.noted) == (3, 0, 1)
    assert contact_hours.hours(Contact.objects.get(phone="13800138002")) == (None, None)  # the hours, not the contact
    evening = Contact.objects.get(phone="13800138000")
    assert (evening.variables["call_after"], evening.variables["call_before"]) == ("18:00", "21:30")
    assert contact_hours.hours(Contact.objects.get(phone="13800138001")) == (None, None)


@pytest.mark.parametrize(
    ("after", "before", "local", "allowed"),
    [
        ("18:00", "", "17:59", False),
        ("18:00", "", "18:00", True),
        ("", "12:00", "11:59", True),
        ("", "12:00", "12:00", False),
        ("20:00", "08:00", "23:00", True),  # evenings and early mornings
        ("20:00", "08:00", "07:59", True),
        ("20:00", "08:00", "12:00", False),
        ("", "24:00", "23:30", True),  # before midnight: the whole day
    ],
)
def test_hours(after, before, local, allowed):
    contact = Contact(variables={"call_after": after, "call_before": before})
    own = contact_hours.daily_hours(contact)
    assert own is None or own.contains(dt.time.fromisoformat(local)) is allowed
    all_day = CallingWindow(dt.UTC, dt.time(0), dt.time(0), tuple(range(7)), contact_hours=own)
    moment = dt.datetime.combine(dt.date(2026, 11, 25), dt.time.fromisoformat(local), tzinfo=dt.UTC)
    assert all_day.is_open(moment) is allowed


def test_opening_inside_a_dst_gap_lands_on_a_real_instant():
    new_york = zoneinfo.ZoneInfo("America/New_York")
    contact = Contact(variables={"call_after": "02:30"})
    # 2026-03-08 01:00 EST; 02:30 does not exist that night (clocks jump to 03:00 EDT).
    all_day = CallingWindow(new_york, dt.time(0), dt.time(0), tuple(range(7)))
    window = all_day.for_contact(contact_hours.daily_hours(contact))
    opens = window.next_open(dt.datetime(2026, 3, 8, 6, 0, tzinfo=dt.UTC))
    assert opens == dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC)  # 03:30 EDT
    assert opens.astimezone(new_york).hour == 3


@pytest.fixture
def noon_campaign(campaign):
    """The campaign's zone is one where it is about noon now; calls 09:00–20:00 there."""
    offset = 12 - timezone.now().hour
    zone = f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-8 is UTC+8
    Campaign.objects.filter(pk=campaign.pk).update(daily_start=dt.time(9), daily_end=dt.time(20), timezone=zone)
    campaign.refresh_from_db()
    return campaign


def test_calls_outside_the_contacts_hours_are_deferred_to_them(noon_campaign, redis_conn):
    phones = sorted(Contact.objects.filter(contact_list__campaigns=noon_campaign).values_list("phone", flat=True))
    evening, morning, lunch = phones[:3]
    Contact.objects.filter(phone=evening).update(variables={"product": "宽带", "call_after": "18:00"})
    Contact.objects.filter(phone=morning).update(variables={"product": "宽带", "call_before": "10:00"})
    Contact.objects.filter(phone=lunch).update(
        variables={"product": "宽带", "call_after": "11:00", "call_before": "14:00"}
    )
    actions.do_start_campaign(noon_campaign, actor=OPERATOR)
    client = RecordingClient()

    dispatch.dial_campaign(noon_campaign.pk, max_seconds=5, client=client)

    assert sorted(client.dialled()) == sorted(set(phones) - {evening, morning})
    zone = noon_campaign.zone
    today = timezone.now().astimezone(zone).date()
    later = noon_campaign.calls.get(phone=evening)
    assert (later.status, later.attempt, later.error_code) == (S.QUEUED, 1, "ContactHours")
    assert later.due_at == dt.datetime.combine(today, dt.time(18), tzinfo=zone)
    # Before 10:00 only, and the window opens at 09:00: tomorrow at nine.
    tomorrow = noon_campaign.calls.get(phone=morning)
    assert tomorrow.due_at == dt.datetime.combine(today + dt.timedelta(days=1), dt.time(9), tzinfo=zone)
