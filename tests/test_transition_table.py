"""Every event from every state: allowed pairs move to the target state, all others are refused
and change nothing (campaigns.transitions.CALL_TRANSITIONS / CAMPAIGN_TRANSITIONS)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns import transitions
from campaigns.actions import campaigns as actions
from campaigns.models import Call, Campaign, DoNotCall
from tests.actors import OPERATOR

pytestmark = pytest.mark.django_db
S = Call.Status
State = Campaign.State
LONG_AGO = timezone.now() - dt.timedelta(days=1)
TOKEN = "worker-token"


def settle_by_receipt(call: Call) -> bool:
    with transaction.atomic():
        locked = Call.objects.select_for_update().select_related("campaign").get(pk=call.pk)
        transitions.do_settle_by_receipts([(locked, S.ANSWERED)], timezone.now())
    return Call.objects.filter(pk=call.pk, status=S.ANSWERED).exists()


def withdraw_retry(call: Call) -> bool:
    Call.objects.filter(pk=call.pk).update(attempt=2)  # a retry: there is an attempt before it
    return bool(transitions.do_withdraw_retries([call.pk], timezone.now()))


def withdraw(call: Call, event: str) -> int:
    return transitions.do_withdraw_calls(call.campaign, [call.pk], event, timezone.now())


# event → (how to make it happen to one call, the status it moves an accepting call to)
CALL_EVENTS = {
    "claim": (lambda c: transitions.do_claim_calls({c.caller_number_id: [c.pk]}, TOKEN, timezone.now()), S.CLAIMED),
    "release": (lambda c: transitions.do_release_calls([c.pk], TOKEN), S.QUEUED),
    "send": (lambda c: transitions.do_send_call(c, "new-out-id", timezone.now()), S.SENDING),
    "place": (lambda c: transitions.do_place_call(c, "c1^1"), S.PLACED),
    "defer": (lambda c: transitions.do_defer_call(c, timezone.now(), "Throttling.User"), S.QUEUED),
    "reject": (lambda c: transitions.do_reject_call(c, S.INVALID, "InvalidNumber"), S.INVALID),
    "lose": (lambda c: transitions.do_lose_call(c, "ReadTimeout"), S.UNKNOWN),
    "settle_by_receipt": (settle_by_receipt, S.ANSWERED),
    "settle_by_query": (lambda c: transitions.do_settle_by_query(c, S.NO_ANSWER, {}, timezone.now()), S.NO_ANSWER),
    "settle_by_operator": (lambda c: transitions.do_settle_by_operator([c.pk], placed=True, actor=OPERATOR), S.FAILED),
    "redial_by_operator": (lambda c: transitions.do_settle_by_operator([c.pk], placed=False, actor=OPERATOR), S.QUEUED),
    "cancel": (lambda c: transitions.do_expire_calls(c.campaign, timezone.now()), S.CANCELLED),
    "withdraw_retry": (withdraw_retry, S.CANCELLED),
    "recover_claim": (
        lambda c: transitions.do_recover_stale(timezone.now(), claimed_before=timezone.now(), sent_before=LONG_AGO)[
            "requeued"
        ],
        S.QUEUED,
    ),
    "defer_claim": (
        lambda c: transitions.do_defer_claimed_calls({c.pk: timezone.now()}, TOKEN, "CalleeLimit", ""),
        S.QUEUED,
    ),
    "outside_hours": (
        lambda c: transitions.do_settle_outside_hours([([c.pk], {})], TOKEN, timezone.now()),
        S.CANCELLED,
    ),
    "requeue_refused": (
        lambda c: transitions.do_requeue_refused(c, timezone.now(), "200121", "", timezone.now()),
        S.QUEUED,
    ),
    "opt_out": (lambda c: transitions.do_opt_out_calls([c.phone], timezone.now()), S.DNC),
    "quota_full": (
        lambda c: transitions.do_withdraw_calls(c.campaign, [c.pk], "quota_full", timezone.now()),
        S.CANCELLED,
    ),
    "off_branch": (
        lambda c: transitions.do_withdraw_calls(c.campaign, [c.pk], "off_branch", timezone.now()),
        S.CANCELLED,
    ),
    "recover_sending": (
        lambda c: transitions.do_recover_stale(timezone.now(), claimed_before=LONG_AGO, sent_before=timezone.now())[
            "unknown"
        ],
        S.UNKNOWN,
    ),
}


def test_every_call_event_is_in_the_table_and_tested():
    assert set(CALL_EVENTS) == set(transitions.CALL_TRANSITIONS)
    for event, (_do, target) in CALL_EVENTS.items():
        assert target in transitions.CALL_TRANSITIONS[event].targets, event


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("event", CALL_EVENTS)
def test_call_event_from_every_status(campaign, caller, event, status):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    call = campaign.calls.order_by("pk").first()
    Call.objects.filter(campaign=campaign).exclude(pk=call.pk).delete()  # one call: nothing else moves
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    Call.objects.filter(pk=call.pk).update(
        status=status,
        caller_number=caller,
        claim_token=TOKEN,
        claimed_at=an_hour_ago,
        sent_at=an_hour_ago,
        out_id="o1",
        error_message="before",
    )
    call = Call.objects.select_related("campaign").get(pk=call.pk)
    do, target = CALL_EVENTS[event]

    happened = do(call)

    after = Call.objects.get(pk=call.pk)
    if status in transitions.CALL_TRANSITIONS[event].sources:
        assert happened, f"{event} refused from {status}"
        assert after.status == target
    else:
        assert not happened, f"{event} accepted from {status}"
        assert (after.status, after.error_message, after.out_id) == (status, "before", "o1")
    assert not DoNotCall.objects.exists()


CAMPAIGN_EVENTS = {
    "start": (lambda c: transitions.do_start_campaign(c, OPERATOR), State.STARTING),
    "enrolled": (lambda c: transitions.do_finish_enrolment(c, 0), State.RUNNING),
    "pause": (lambda c: transitions.do_pause_campaign(c, OPERATOR, "why"), State.PAUSED),
    "resume": (lambda c: transitions.do_resume_campaign(c, OPERATOR), State.RUNNING),
    "cancel": (lambda c: transitions.do_cancel_campaign(c, OPERATOR) is not None, State.CANCELLED),
    "complete": (transitions.do_complete_campaign, State.COMPLETED),
}


def test_every_campaign_event_is_in_the_table_and_tested():
    assert set(CAMPAIGN_EVENTS) == set(transitions.CAMPAIGN_TRANSITIONS)


@pytest.mark.parametrize("state", State.values)
@pytest.mark.parametrize("event", CAMPAIGN_EVENTS)
def test_campaign_event_from_every_state(campaign, event, state):
    Campaign.objects.filter(pk=campaign.pk).update(state=state)
    campaign.refresh_from_db()
    do, target = CAMPAIGN_EVENTS[event]

    happened = do(campaign)

    campaign.refresh_from_db()
    if state in transitions.CAMPAIGN_TRANSITIONS[event].sources:
        assert happened and campaign.state == target
    else:
        assert not happened and campaign.state == state
        assert not campaign.calls.exists()


def test_a_campaign_with_calls_still_open_does_not_complete(campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    assert transitions.do_complete_campaign(campaign) is False
    Call.objects.filter(campaign=campaign).update(status=S.UNKNOWN)
    assert transitions.do_complete_campaign(campaign) is False
    Call.objects.filter(campaign=campaign).update(status=S.NO_ANSWER)
    assert transitions.do_complete_campaign(campaign) is True


def test_a_refused_rejection_leaves_no_side_effect(campaign, caller):
    """The do-not-call entry of a blocked number comes with the call's settlement, or not at all."""
    actions.do_start_campaign(campaign, actor=OPERATOR)
    call = campaign.calls.order_by("pk").first()
    Call.objects.filter(pk=call.pk).update(status=S.ANSWERED)

    assert transitions.do_reject_call(call, S.FAILED, "Blocked", do_not_call="complaints") is False

    assert not DoNotCall.objects.exists()
    assert not campaign.contact_lists.first().contacts.filter(do_not_call=True).exists()
