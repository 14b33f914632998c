"""Rule 4: retry only retryable outcomes, within max attempts, never after cancel, never DNC/invalid."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.actions import campaigns as actions
from campaigns.models import Call, Campaign
from campaigns.transitions import after_calls_settled
from tests.actors import OPERATOR

pytestmark = pytest.mark.django_db
S = Call.Status


def settle(campaign: Campaign, phone: str, status: str) -> Call:
    call = campaign.calls.get(phone=phone, is_latest=True)
    Call.objects.filter(pk=call.pk).update(status=status, sent_at=timezone.now())
    after_calls_settled([call.pk])
    return call


@pytest.mark.parametrize("status", [S.NO_ANSWER, S.BUSY, S.UNREACHABLE])
def test_retryable_outcome_schedules_next_attempt_after_the_delay(campaign, status):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    before = timezone.now()

    first = settle(campaign, "13800130000", status)

    retry = campaign.calls.get(phone="13800130000", is_latest=True)
    assert retry.attempt == 2 and retry.status == S.QUEUED
    assert retry.due_at >= before + dt.timedelta(seconds=campaign.retry_delay_seconds)
    assert Call.objects.get(pk=first.pk).is_latest is False


@pytest.mark.parametrize("status", [S.ANSWERED, S.INVALID, S.FAILED, S.DNC])
def test_other_outcomes_do_not_retry(campaign, status):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    settle(campaign, "13800130000", status)
    assert campaign.calls.filter(phone="13800130000").count() == 1


def test_max_attempts_is_the_limit(campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)  # max_attempts=2 in the fixture
    settle(campaign, "13800130000", S.NO_ANSWER)
    settle(campaign, "13800130000", S.NO_ANSWER)
    assert campaign.calls.filter(phone="13800130000").count() == 2


def test_replayed_settlement_schedules_one_retry(campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    first = settle(campaign, "13800130000", S.BUSY)
    after_calls_settled([first.pk])
    after_calls_settled([first.pk])
    assert campaign.calls.filter(phone="13800130000").count() == 2


def test_retry_outcomes_are_per_campaign(campaign):
    campaign.retry_outcomes = ["busy"]
    campaign.save()
    actions.do_start_campaign(campaign, actor=OPERATOR)
    settle(campaign, "13800130000", S.NO_ANSWER)
    settle(campaign, "13800130001", S.BUSY)
    assert campaign.calls.filter(phone="13800130000").count() == 1
    assert campaign.calls.filter(phone="13800130001").count() == 2


def test_no_retry_after_cancel(campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    actions.do_cancel_campaign(campaign, actor=OPERATOR)
    settle(campaign, "13800130000", S.NO_ANSWER)
    assert campaign.calls.filter(phone="13800130000").count() == 1


def test_campaign_completes_when_every_contact_is_final(campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    for phone in campaign.calls.values_list("phone", flat=True):
        settle(campaign, phone, S.ANSWERED)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED
    assert campaign.finished_at is not None
