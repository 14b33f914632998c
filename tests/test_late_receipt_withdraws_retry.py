"""An operator settles an unknown call as failed and a retry is queued; the receipt arrives after
all and says the callee answered: the retry is withdrawn, nobody is called twice."""

import pytest
from django.urls import reverse

from campaigns.models import Call, Campaign
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db
S = Call.Status


@pytest.fixture
def failed_by_operator(staff_client, running_campaign, placed_calls):
    """Call o0 of unknown outcome, settled as failed from the admin: attempt 2 is queued."""
    Campaign.objects.filter(pk=running_campaign.pk).update(retry_outcomes=["failed", "no_answer"], max_attempts=3)
    call = placed_calls[0]
    Call.objects.filter(pk=call.pk).update(status=S.UNKNOWN)
    response = staff_client.post(
        reverse("admin:campaigns_call_changelist"), {"action": "fail_unknown", "_selected_action": [call.pk]}
    )
    assert response.status_code == 302
    retry = Call.objects.get(campaign=running_campaign, phone=call.phone, attempt=2)
    assert (retry.status, retry.is_latest) == (S.QUEUED, True)
    return call, retry


def test_an_answer_arriving_after_the_operator_withdraws_the_retry(failed_by_operator, post_receipts):
    call, retry = failed_by_operator

    assert post_receipts([record(0, dtmf="1")]).status_code == 200

    call.refresh_from_db()
    retry.refresh_from_db()
    assert (call.status, call.answer_key, call.is_latest) == (S.ANSWERED, "1", True)
    assert (retry.status, retry.is_latest) == (S.CANCELLED, False)
    assert retry.note["code"] == "call.retry_withdrawn"
    latest = Call.objects.filter(campaign=call.campaign, phone=call.phone, is_latest=True)
    assert list(latest.values_list("attempt", flat=True)) == [1]


def test_a_receipt_that_still_asks_for_a_retry_keeps_it(failed_by_operator, post_receipts):
    call, retry = failed_by_operator

    post_receipts([record(0, "200003", start="", duration="0")])  # no answer: retryable too

    call.refresh_from_db()
    retry.refresh_from_db()
    assert (call.status, call.is_latest) == (S.NO_ANSWER, False)
    assert (retry.status, retry.is_latest) == (S.QUEUED, True)


def test_a_retry_a_worker_already_took_goes_out(failed_by_operator, post_receipts):
    call, retry = failed_by_operator
    Call.objects.filter(pk=retry.pk).update(status=S.CLAIMED, claim_token="worker")

    post_receipts([record(0, dtmf="1")])

    call.refresh_from_db()
    retry.refresh_from_db()
    assert (call.status, call.is_latest) == (S.ANSWERED, False)
    assert (retry.status, retry.is_latest) == (S.CLAIMED, True)


def test_the_campaign_completes_when_the_withdrawn_retry_was_all_that_was_left(failed_by_operator, post_receipts):
    call, _retry = failed_by_operator
    others = Call.objects.filter(campaign=call.campaign).exclude(phone=call.phone)
    others.update(status=S.BUSY, settled_at=call.sent_at)
    Campaign.objects.filter(pk=call.campaign_id).update(retry_outcomes=["failed"])

    post_receipts([record(0, dtmf="1")])

    assert Campaign.objects.get(pk=call.campaign_id).state == Campaign.State.COMPLETED
