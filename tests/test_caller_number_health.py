"""Caller-number health (issue 26): a number whose answers stop is flagged on its admin page and,
when its campaign allows, rested; the audit trail says the system did it and why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as conf
from django.utils import timezone

from audit.models import AuditEvent
from campaigns import health
from campaigns.dialling import dispatch
from campaigns.models import Call, CallerNumber, CallStats, Contact
from ivrsite import scheduler
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_thresholds(settings):
    settings.CALLER_HEALTH_MIN_CALLS = 10
    settings.CALLER_HEALTH_DROP = 0.5


def _calls(campaign, number: CallerNumber, count: int, sent_at: dt.datetime, tag: str) -> list[Call]:
    contacts = Contact.objects.bulk_create(
        Contact(contact_list=campaign.contact_lists.first(), phone=f"139{abs(hash(tag)) % 1000:03d}{n:05d}")
        for n in range(count)
    )
    return Call.objects.bulk_create(
        Call(
            campaign=campaign,
            contact=contact,
            phone=contact.phone,
            status=Call.Status.PLACED,
            caller_number=number,
            out_id=f"{tag}{n}",
            call_id=f"{tag}{n}^1",
            sent_at=sent_at,
        )
        for n, contact in enumerate(contacts)
    )


def _receipts(post_receipts, calls: list[Call], answered: int) -> None:
    """Receipts for the calls: the first `answered` listened to the end, the rest no answer."""
    elements = []
    for n, call in enumerate(calls):
        element = record(0, "200000" if n < answered else "200003", call_id=call.call_id)
        element["out_id"] = call.out_id
        if n >= answered:
            element["start_time"] = ""
        elements.append(element)
    assert post_receipts(elements).status_code == 200


@pytest.fixture
def numbers(running_campaign, caller, post_receipts):
    """The fixture number answered half its calls two days ago and none in the last hour; a second
    number of the campaign answers half now."""
    second = CallerNumber.objects.create(number="02588880001", max_concurrent_calls=50)
    running_campaign.caller_numbers.add(second)
    now = timezone.now()
    _receipts(post_receipts, _calls(running_campaign, caller, 20, now - dt.timedelta(days=2), "h"), answered=10)
    _receipts(post_receipts, _calls(running_campaign, second, 20, now - dt.timedelta(minutes=5), "s"), answered=10)
    _receipts(post_receipts, _calls(running_campaign, caller, 20, now - dt.timedelta(minutes=5), "q"), answered=0)
    return caller, second


def test_settled_calls_fill_the_cube(numbers):
    caller, _second = numbers
    figures = health.figures(caller)
    assert (figures["hour"].calls, figures["hour"].answered) == (20, 0)
    assert (figures["history"].calls, figures["history"].answered) == (20, 10)
    assert CallStats.objects.filter(caller_number=caller).count() == 2  # one cell per hour and region


def test_a_number_whose_answers_stop_is_rested_by_the_system(numbers, running_campaign, redis_conn, staff_client):
    caller, second = numbers
    running_campaign.rest_unhealthy_numbers = True
    running_campaign.save()

    summary = scheduler.tick()

    assert summary["caller_health"] == {"flagged": 0, "rested": 1, "cleared": 0}
    assert scheduler.tick()["caller_health"] is None  # at most once a minute
    caller.refresh_from_db()
    second.refresh_from_db()
    assert caller.is_rested() and not second.health_flag
    event = AuditEvent.objects.get(event="caller_number.rested")
    assert (event.actor_kind, event.actor_name) == ("system", "dispatcher")
    assert event.reason["code"] == "caller_number.answer_rate_dropped"
    assert event.object_id == str(caller.pk)

    # Its calls go out on the campaign's other number.
    Call.objects.create(campaign=running_campaign, contact=Contact.objects.first(), phone="13900000001", attempt=9)
    claimed = dispatch.claim(running_campaign)
    assert claimed and {call.caller_number_id for call in claimed} == {second.pk}

    page = staff_client.get(f"/admin/campaigns/callernumber/{caller.pk}/change/").content.decode()
    assert "Resting until" in page and "0.0%" in page and "50.0%" in page and "its own history" in page
    staff_client.cookies[conf.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = staff_client.get(f"/admin/campaigns/callernumber/{caller.pk}/change/").content.decode()
    assert "暂停使用至" in page and "自身历史" in page and "Resting until" not in page


def test_without_resting_the_number_is_only_flagged(numbers, redis_conn):
    caller, _second = numbers

    assert health.check() == {"flagged": 1, "rested": 0, "cleared": 0}

    caller.refresh_from_db()
    assert caller.health_flag and not caller.is_rested()
    assert AuditEvent.objects.filter(event="caller_number.flagged", actor_name="dispatcher").count() == 1
    assert health.check() == {"flagged": 0, "rested": 0, "cleared": 0}  # judged again only on later calls


def test_a_healthy_number_is_left_alone(numbers, redis_conn):
    _caller, second = numbers
    health.check()
    second.refresh_from_db()
    assert not second.health_flag and not second.is_rested()
