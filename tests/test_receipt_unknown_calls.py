"""Receipts for calls we do not know are kept and listed for staff, not dropped."""

import pytest

from campaigns.models import Call
from receipts.models import Receipt
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db


def test_unknown_call_is_stored_unlinked_and_good_ones_still_settle(post_receipts, placed_calls):
    stranger = record(9, call_id="zz^9") | {"out_id": "nobody"}
    response = post_receipts([stranger, record(0)])
    assert response.status_code == 200
    orphan = Receipt.objects.get(call_id="zz^9")
    assert orphan.matched_call is None
    assert orphan.kind == Receipt.Kind.CALL_RECORD
    assert orphan.raw == stranger
    assert Call.objects.get(out_id="o0").status == Call.Status.ANSWERED


def test_admin_lists_unmatched_receipts(simple_static, staff_client, post_receipts, placed_calls):
    post_receipts([record(9, call_id="zz^9") | {"out_id": "nobody"}, record(0)])
    response = staff_client.get("/admin/receipts/receipt/?matched=no")
    assert response.status_code == 200
    assert "zz^9" in response.text
    assert "c0^1" not in response.text


def test_element_of_an_unknown_type_is_kept_and_changes_nothing(post_receipts, placed_calls):
    event = {"call_id": "c0^1", "out_id": "o0", "status_code": "200102", "status_time": "2026-11-02 10:00:05"}
    assert post_receipts([event]).status_code == 200
    receipt = Receipt.objects.get()
    assert receipt.kind == Receipt.Kind.UNKNOWN
    assert receipt.matched_call == placed_calls[0]
    assert Call.objects.get(pk=placed_calls[0].pk).status == Call.Status.PLACED


def test_out_id_too_long_for_us_is_simply_unmatched(post_receipts, placed_calls):
    assert post_receipts([record(0, call_id="q^1") | {"out_id": "o" * 40}]).status_code == 200
    assert Receipt.objects.get().matched_call is None
