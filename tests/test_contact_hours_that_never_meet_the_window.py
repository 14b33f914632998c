"""Contacts whose own hours never meet the campaign's calling window (issue 21, point 8): they
are reported before Start (the Start confirmation, `campaign start`, `campaign status --json`),
and a call of theirs is settled with that reason instead of being deferred forever, so the
campaign completes."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, Campaign, Contact
from ivrsite.scheduler import tick
from tests.actors import OPERATOR
from tests.dialling import RecordingClient

pytestmark = pytest.mark.django_db
S = Call.Status
NEVER = (
    "2 contacts asked to be called 18:00–24:00 only, which never meets the calling window (09:00–17:00): "
    "they will not be called."
)


@pytest.fixture
def office_hours(campaign) -> Campaign:
    """Calls 09:00–17:00 in a zone where it is about noon now; two contacts want evenings only."""
    offset = 12 - timezone.now().hour
    zone = f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-8 is UTC+8
    Campaign.objects.filter(pk=campaign.pk).update(daily_start=dt.time(9), daily_end=dt.time(17), timezone=zone)
    campaign.refresh_from_db()
    for contact in Contact.objects.filter(contact_list__campaigns=campaign).order_by("phone")[:2]:
        contact.variables = {"product": "宽带", "call_after": "18:00"}
        contact.save()
    return campaign


def test_the_start_confirmation_says_who_will_not_be_called(office_hours, staff_client):
    page = staff_client.get(f"/admin/campaigns/campaign/{office_hours.pk}/transition/start/").content.decode()
    assert NEVER in page
    change = staff_client.get(f"/admin/campaigns/campaign/{office_hours.pk}/change/").content.decode()
    assert NEVER in change


def test_campaign_status_json_counts_them_and_leaves_them_out_of_the_calls_to_make(office_hours):
    out = StringIO()
    call_command("campaign", "status", str(office_hours.pk), "--json", stdout=out)
    forecast = json.loads(out.getvalue())["forecast"]
    assert forecast["outside_window"] == 2
    assert forecast["outside_window_hours"] == [{"hours": "18:00–24:00", "contacts": 2}]
    assert forecast["own_hours_contacts"] == []


def test_campaign_start_warns_before_it_starts(office_hours):
    err = StringIO()
    call_command("campaign", "start", str(office_hours.pk), stdout=StringIO(), stderr=err)
    assert f"Warning: {NEVER}" in err.getvalue()


def test_their_calls_are_settled_with_the_reason_and_the_campaign_completes(office_hours, redis_conn):
    actions.do_start_campaign(office_hours, actor=OPERATOR)
    client = RecordingClient()

    dispatch.dial_campaign(office_hours.pk, max_seconds=5, client=client)

    evenings = list(office_hours.calls.filter(contact__variables__call_after="18:00"))
    assert len(evenings) == 2 and len(client.dialled()) == 3
    assert {(call.status, call.attempt, call.sent_at) for call in evenings} == {(S.CANCELLED, 1, None)}
    assert evenings[0].note == {
        "code": "call.contact_hours_never",
        "params": {"hours": "18:00–24:00", "window": "09:00–17:00"},
    }
    assert "never meet the campaign's calling window" in evenings[0].note_text
    # Once the others have their outcome, nothing is left to do.
    office_hours.calls.exclude(pk__in=[call.pk for call in evenings]).update(status=S.ANSWERED)
    tick()
    office_hours.refresh_from_db()
    assert office_hours.state == Campaign.State.COMPLETED
