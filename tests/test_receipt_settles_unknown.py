"""A call whose request outcome was unknown is settled by a receipt matched on its OutId."""

import pytest

from campaigns.models import Call, Campaign
from tests.receipt_elements import key_press, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def unknown_call(placed_calls) -> Call:
    call = placed_calls[0]
    Call.objects.filter(pk=call.pk).update(status=Call.Status.UNKNOWN, call_id=None)
    return call


def test_receipt_matched_by_out_id_settles_and_fills_call_id(post_receipts, unknown_call):
    post_receipts([record(0, dtmf="1", call_id="late^42")])
    unknown_call.refresh_from_db()
    assert unknown_call.status == Call.Status.ANSWERED
    assert unknown_call.call_id == "late^42"
    assert unknown_call.answer_label == "满意"
    assert unknown_call.receipts.count() == 1


def test_key_press_before_the_dispatcher_wrote_the_call_id(post_receipts, unknown_call):
    post_receipts([key_press(0, "2", call_id="late^42")])
    post_receipts([record(0, call_id="late^42")])  # now matched by CallId
    unknown_call.refresh_from_db()
    assert (unknown_call.call_id, unknown_call.answer_label, unknown_call.status) == (
        "late^42",
        "一般",
        Call.Status.ANSWERED,
    )
    assert unknown_call.receipts.count() == 2


def test_unknown_settled_as_busy_is_retried(post_receipts, unknown_call):
    post_receipts([record(0, "200002", start="", duration="0", call_id="late^42")])
    calls = Call.objects.filter(phone=unknown_call.phone).order_by("attempt")
    assert [(c.status, c.is_latest) for c in calls] == [(Call.Status.BUSY, False), (Call.Status.QUEUED, True)]


def test_last_open_call_settled_completes_the_campaign(post_receipts, placed_calls):
    Call.objects.exclude(pk=placed_calls[0].pk).update(status=Call.Status.ANSWERED)
    Call.objects.filter(pk=placed_calls[0].pk).update(status=Call.Status.UNKNOWN)
    post_receipts([record(0, dtmf="1")])
    assert Campaign.objects.get().state == Campaign.State.COMPLETED
