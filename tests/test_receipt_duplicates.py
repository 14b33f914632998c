"""Aliyun re-sends pushes: a replayed element is stored and counted once."""

import pytest

from campaigns.models import Call
from receipts.models import Receipt
from tests.receipt_elements import key_press, record

pytestmark = pytest.mark.django_db


def test_replayed_push_counts_once(post_receipts, placed_calls):
    batch = [key_press(0, "2"), record(0, dtmf="2"), record(1, "200003", start="", duration="0")]
    assert post_receipts(batch).status_code == 200
    first = {c.pk: (c.status, c.answer_label, c.settled_at) for c in Call.objects.all()}
    assert post_receipts(batch).status_code == 200
    assert post_receipts(list(reversed(batch))).status_code == 200
    assert Receipt.objects.count() == 3
    assert {c.pk: (c.status, c.answer_label, c.settled_at) for c in Call.objects.all()} == first


def test_duplicates_inside_one_push_count_once(post_receipts, placed_calls):
    assert post_receipts([record(0), record(0), key_press(0, "1"), key_press(0, "1")]).status_code == 200
    assert Receipt.objects.filter(kind=Receipt.Kind.CALL_RECORD).count() == 1
    assert Receipt.objects.filter(kind=Receipt.Kind.KEY_PRESS).count() == 1


def test_replay_of_a_no_answer_schedules_one_retry(post_receipts, placed_calls):
    batch = [record(2, "200003", start="", duration="")]
    post_receipts(batch)
    post_receipts(batch)
    attempts = Call.objects.filter(phone=placed_calls[2].phone).order_by("attempt")
    assert [(c.attempt, c.status, c.is_latest) for c in attempts] == [
        (1, Call.Status.NO_ANSWER, False),
        (2, Call.Status.QUEUED, True),
    ]


def test_distinct_key_presses_in_the_same_second_are_both_kept(post_receipts, placed_calls):
    post_receipts([key_press(0, "4", at="2026-11-02 10:00:30"), key_press(0, "2", at="2026-11-02 10:00:30")])
    assert Receipt.objects.filter(kind=Receipt.Kind.KEY_PRESS).count() == 2


def test_same_status_at_another_time_is_another_receipt(post_receipts, placed_calls):
    post_receipts([key_press(0, "1", at="2026-11-02 10:00:30"), key_press(0, "1", at="2026-11-02 10:00:35")])
    assert Receipt.objects.filter(kind=Receipt.Kind.KEY_PRESS).count() == 2
