"""Calls whose outcome stayed unknown wait for an operator's decision in the admin."""

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.models import Call, CallStats
from tests.actors import OPERATOR

pytestmark = pytest.mark.django_db
S = Call.Status


def make_unknown(campaign, phone):
    Call.objects.filter(campaign=campaign, phone=phone).update(status=S.UNKNOWN, out_id=f"x{phone[-4:]}")
    return Call.objects.get(campaign=campaign, phone=phone)


def test_operator_decides_not_placed_and_it_is_dialled_again(staff_client, campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    call = make_unknown(campaign, "13800130000")

    response = staff_client.post(
        reverse("admin:campaigns_call_changelist"),
        {"action": "redial_unknown", "_selected_action": [call.pk]},
    )

    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.status, call.attempt, call.out_id) == (S.QUEUED, 1, None)


def test_operator_decides_placed_and_the_retry_policy_applies(staff_client, campaign):
    campaign.retry_outcomes = ["failed"]
    campaign.save()
    actions.do_start_campaign(campaign, actor=OPERATOR)
    call = make_unknown(campaign, "13800130000")

    staff_client.post(
        reverse("admin:campaigns_call_changelist"), {"action": "fail_unknown", "_selected_action": [call.pk]}
    )

    call.refresh_from_db()
    assert call.status == S.FAILED
    assert campaign.calls.filter(phone="13800130000", attempt=2, status=S.QUEUED).exists()


def test_a_call_the_operator_says_was_placed_counts_in_the_caller_numbers_figures(staff_client, campaign):
    """The hourly cube behind caller-number health and the best hours counts it as a dialled,
    unanswered call, as a receipt's `failed` would have been counted."""
    actions.do_start_campaign(campaign, actor=OPERATOR)
    call = make_unknown(campaign, "13800130000")
    Call.objects.filter(pk=call.pk).update(sent_at=timezone.now(), caller_number=campaign.caller_numbers.first())

    staff_client.post(
        reverse("admin:campaigns_call_changelist"), {"action": "fail_unknown", "_selected_action": [call.pk]}
    )

    stats = CallStats.objects.get(campaign=campaign)
    assert (stats.calls, stats.answered, stats.caller_number_id) == (1, 0, campaign.caller_numbers.first().pk)


def test_only_unknown_calls_are_touched(staff_client, campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    answered = Call.objects.get(campaign=campaign, phone="13800130001")
    Call.objects.filter(pk=answered.pk).update(status=S.ANSWERED)

    staff_client.post(
        reverse("admin:campaigns_call_changelist"), {"action": "redial_unknown", "_selected_action": [answered.pk]}
    )

    answered.refresh_from_db()
    assert answered.status == S.ANSWERED
