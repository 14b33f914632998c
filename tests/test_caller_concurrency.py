"""Rule 3: a caller number never carries more calls at once than its cap; calls spread over numbers."""

import pytest
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, CallerNumber
from tests.actors import OPERATOR

pytestmark = pytest.mark.django_db


def test_claims_stop_at_the_caller_numbers_free_capacity(campaign, caller):
    caller.max_concurrent_calls = 3
    caller.save()
    actions.do_start_campaign(campaign, actor=OPERATOR)
    Call.objects.filter(pk=campaign.calls.order_by("pk").first().pk).update(
        status=Call.Status.PLACED, caller_number=caller, sent_at=timezone.now()
    )

    claimed = dispatch.claim(campaign)

    assert len(claimed) == 2
    assert dispatch.claim(campaign) == []


def test_calls_spread_over_several_caller_numbers(campaign, caller):
    second = CallerNumber.objects.create(number="02188889999", max_concurrent_calls=2)
    campaign.caller_numbers.add(second)
    caller.max_concurrent_calls = 2
    caller.save()
    actions.do_start_campaign(campaign, actor=OPERATOR)

    claimed = dispatch.claim(campaign)

    per_number = {}
    for call in claimed:
        per_number[call.caller_number.number] = per_number.get(call.caller_number.number, 0) + 1
    assert per_number == {"057112345678": 2, "02188889999": 2}


def test_inactive_numbers_are_not_used(campaign, caller):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    CallerNumber.objects.filter(pk=caller.pk).update(active=False)
    assert dispatch.claim(campaign) == []
