"""Aliyun's refusals, one row per code: not an attempt, back to the queue when the rule
allows, and what the code says about the caller number acted on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch, refusals
from campaigns.dialling.aliyun import CALLER_CONCURRENCY_CODE
from campaigns.models import Call, CallerNumber, Campaign
from results.aggregates import progress
from tests.actors import OPERATOR
from tests.dialling import RecordingClient, result
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db
S = Call.Status
R = refusals.Refusal


def soon(seconds: float):
    """The call is due about `seconds` from now."""
    return lambda due, now, campaign: abs((due - now).total_seconds() - seconds) < 3


def at_least(seconds: float):
    return lambda due, now, campaign: (due - now).total_seconds() >= seconds - 1


def next_morning(due, now, campaign):
    """The campaign's window opens at 09:00 local time: the first one on a later day."""
    tomorrow = now.astimezone(campaign.zone).date() + dt.timedelta(days=1)
    return due == dt.datetime.combine(tomorrow, dt.time(9), tzinfo=campaign.zone)


def lowered(number: CallerNumber, campaign: Campaign) -> bool:
    return number.concurrency() == 499 and number.lowered_until > timezone.now() + dt.timedelta(minutes=9)


def untouched(number: CallerNumber, campaign: Campaign) -> bool:
    return number.active and number.concurrency() == 500 and campaign.state == Campaign.State.RUNNING


def deactivated(number: CallerNumber, campaign: Campaign) -> bool:
    # Its only number gone, the campaign pauses and says why.
    return (
        not number.active
        and number.inactive_reason == {"code": "caller_number.invalid", "params": {"code": "200117"}}
        and campaign.state == Campaign.State.PAUSED
        and number.number in campaign.state_reason_text
    )


# (where the code comes from, code, what it means, when the call is due again, the caller number after)
TABLE = [
    ("receipt", "200121", R.OVER_CONCURRENCY, soon(5), lowered),
    ("api", CALLER_CONCURRENCY_CODE, R.OVER_CONCURRENCY, soon(5), lowered),
    ("receipt", "200119", R.CALLEE_FREQUENCY, at_least(60), untouched),
    ("receipt", "473", R.CALLEE_FREQUENCY, at_least(60), untouched),
    ("api", "isv.BUSINESS_LIMIT_CONTROL", R.CALLEE_FREQUENCY, at_least(60), untouched),
    ("receipt", "200118", R.CARRIER_WINDOW, next_morning, untouched),
    ("receipt", "200117", R.BAD_DISPLAY_NUMBER, soon(0), deactivated),
]


@pytest.fixture
def windowed(campaign):
    """Calls 09:00–20:00 in a zone where it is about noon now; one caller number good for 500."""
    offset = 12 - timezone.now().hour
    zone = f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-8 is UTC+8
    Campaign.objects.filter(pk=campaign.pk).update(daily_start=dt.time(9), daily_end=dt.time(20), timezone=zone)
    campaign.refresh_from_db()
    assert campaign.in_window(timezone.now())
    return campaign


def dial_until(campaign: Campaign, phone: str, code: str, source: str, post_receipts) -> Call:
    """Dial the campaign; the call to `phone` meets the refusal `code` on the way."""
    if source == "api":
        client = RecordingClient(script={phone: result(refusals_outcome(code), code)})
        dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
    else:
        client = RecordingClient()
        dispatch.dial_campaign(campaign.pk, max_seconds=5, client=client)
        call = campaign.calls.get(phone=phone)
        assert call.status == S.PLACED
        element = record(0, code, start="", dtmf="", duration="0") | {"call_id": call.call_id, "out_id": call.out_id}
        assert post_receipts([element]).status_code == 200
    return campaign.calls.get(phone=phone)


def refusals_outcome(code: str):
    from campaigns.dialling.aliyun import outcome_for_code

    return outcome_for_code(code)


@pytest.mark.parametrize(("source", "code", "refusal", "due_check", "number_check"), TABLE)
def test_refusal_code(windowed, caller, redis_conn, post_receipts, source, code, refusal, due_check, number_check):
    assert refusals.refusal_for(code) == refusal
    campaign = windowed
    actions.do_start_campaign(campaign, actor=OPERATOR)
    phone = "13800130000"

    call = dial_until(campaign, phone, code, source, post_receipts)

    now = timezone.now()
    assert (call.status, call.attempt, call.error_code) == (S.QUEUED, 1, code)
    assert call.out_id is None and call.call_id is None and call.sent_at is None
    assert due_check(call.due_at, now, campaign), (call.due_at, now)
    campaign.refresh_from_db()
    caller.refresh_from_db()
    assert number_check(caller, campaign)
    # Not counted as dialled; the other contacts carried on.
    figures = progress(campaign, fresh=True)
    assert figures["dialled"] == 4 and figures["pending"] == 5


def test_a_late_replay_of_the_refusal_does_not_settle_the_redial(windowed, caller, redis_conn, post_receipts):
    actions.do_start_campaign(windowed, actor=OPERATOR)
    call = dial_until(windowed, "13800130001", "200121", "receipt", post_receipts)
    Call.objects.filter(pk=call.pk).update(due_at=timezone.now())
    dispatch.dial_campaign(windowed.pk, max_seconds=5, client=RecordingClient())
    call.refresh_from_db()
    assert call.status == S.PLACED

    # The first dial's answer, re-sent by Aliyun, and then the second dial's own.
    old = record(0, "200121", start="", dtmf="", duration="0") | {"call_id": "gone^1", "out_id": "gone"}
    post_receipts([old, record(0, "200000", dtmf="1") | {"call_id": call.call_id, "out_id": call.out_id}])

    call.refresh_from_db()
    assert (call.status, call.answer_label, call.attempt) == (S.ANSWERED, "满意", 1)


def test_concurrency_comes_back_after_a_while(caller):
    now = timezone.now()
    refusals.lower_concurrency(caller.pk, "200121", now)
    refusals.lower_concurrency(caller.pk, "200121", now)
    caller.refresh_from_db()
    assert caller.concurrency(now) == 498
    assert caller.concurrency(now + refusals.LOWERED_FOR + dt.timedelta(seconds=1)) == 500


def test_campaign_page_tells_staff_about_a_deactivated_number(staff_client, campaign, caller):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    refusals.deactivate_caller_number(caller.pk, "200117")

    page = staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()

    assert f"Caller number {caller.number} is not in use." in page
    assert "Aliyun says this display number is invalid (200117)" in page
    assert "no other is active" in page  # and why the campaign paused
