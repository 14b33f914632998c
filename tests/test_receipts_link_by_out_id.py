"""Receipts link by our OutId (unique by construction) when they carry one, and only then by
Aliyun's CallId; a receipt whose CallId names a different call than its OutId is linked by
the OutId and flagged for staff."""

import pytest

from campaigns.models import Call
from receipts.models import Receipt
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db


def test_calls_sharing_a_call_id_each_get_their_own_receipt(post_receipts, placed_calls):
    # Two accounts' calls that came back with the same CallId (a stand-in that reused ids).
    Call.objects.filter(pk__in=[placed_calls[0].pk, placed_calls[1].pk]).update(call_id="shared^1")
    first = record(0, call_id="shared^1", end="2026-11-02 10:01:00")
    second = record(1, "200005", call_id="shared^1", start="", end="2026-11-02 10:02:00")

    assert post_receipts([first, second]).status_code == 200

    assert Receipt.objects.get(out_id="o0").matched_call_id == placed_calls[0].pk
    assert Receipt.objects.get(out_id="o1").matched_call_id == placed_calls[1].pk
    assert Call.objects.get(pk=placed_calls[0].pk).status == Call.Status.ANSWERED
    assert Call.objects.get(pk=placed_calls[1].pk).status != Call.Status.PLACED


def test_a_call_id_naming_another_call_is_flagged(post_receipts, placed_calls):
    assert post_receipts([record(0, call_id="c1^1")]).status_code == 200

    receipt = Receipt.objects.get(out_id="o0")
    assert receipt.matched_call_id == placed_calls[0].pk
    assert "c1^1" in receipt.problem and str(placed_calls[1].pk) in receipt.problem
    assert Call.objects.get(pk=placed_calls[0].pk).status == Call.Status.ANSWERED
    assert Call.objects.get(pk=placed_calls[1].pk).status == Call.Status.PLACED


def test_a_receipt_without_out_id_still_links_by_call_id(post_receipts, placed_calls):
    element = record(2)
    del element["out_id"]
    assert post_receipts([element]).status_code == 200
    assert Receipt.objects.get(call_id="c2^1").matched_call_id == placed_calls[2].pk
    assert Receipt.objects.get(call_id="c2^1").problem == ""
