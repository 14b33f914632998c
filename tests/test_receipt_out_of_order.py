"""A call's answer comes from whichever receipt arrives, in any order."""

import datetime as dt
import itertools

import pytest

from campaigns.models import Call
from receipts.models import Receipt
from tests.receipt_elements import key_press, record

pytestmark = pytest.mark.django_db


def state(call: Call) -> tuple:
    call.refresh_from_db()
    return (call.status, call.status_code, call.dtmf, call.answer_key, call.answer_label, call.duration,
            call.answered_at, call.ended_at)  # fmt: skip


def test_key_press_first_then_record(post_receipts, placed_calls):
    call = placed_calls[0]
    post_receipts([key_press(0, "3")])
    assert state(call)[0] == Call.Status.ANSWERED
    assert call.answer_label == "不满意" and call.settled_at is not None
    post_receipts([record(0, "200000")])  # this variant's record carries no dtmf
    assert state(call) == (
        Call.Status.ANSWERED,
        "200000",
        "3",
        "3",
        "不满意",
        50,
        dt.datetime(2026, 11, 2, 2, 0, 10, tzinfo=dt.UTC),  # Beijing 10:00:10
        dt.datetime(2026, 11, 2, 2, 1, 0, tzinfo=dt.UTC),
    )


def test_record_first_then_key_press(post_receipts, placed_calls):
    call = placed_calls[0]
    post_receipts([record(0, "200001")])
    assert state(call)[:5] == (Call.Status.ANSWERED, "200001", "", "", "")
    post_receipts([key_press(0, "2")])
    assert state(call)[:5] == (Call.Status.ANSWERED, "200001", "2", "2", "一般")


def test_every_order_ends_in_the_same_state(post_receipts, placed_calls):
    elements = [key_press(0, "9", at="2026-11-02 10:00:20"), key_press(0, "2", at="2026-11-02 10:00:25"), record(0)]
    outcomes = set()
    for order in itertools.permutations(elements):
        Receipt.objects.all().delete()
        Call.objects.filter(pk=placed_calls[0].pk).update(
            status=Call.Status.PLACED, dtmf="", answer_key="", answer_label="", settled_at=None
        )
        for element in order:
            post_receipts([element])
        outcomes.add(state(placed_calls[0]))
    assert len(outcomes) == 1
    assert outcomes.pop()[:5] == (Call.Status.ANSWERED, "200000", "92", "2", "一般")


def test_key_press_after_a_no_answer_record_still_counts(post_receipts, placed_calls):
    post_receipts([record(1, "200003", start="", duration="0")])
    assert state(placed_calls[1])[0] == Call.Status.NO_ANSWER
    post_receipts([key_press(1, "1")])
    assert state(placed_calls[1])[:5] == (Call.Status.ANSWERED, "200003", "1", "1", "满意")
