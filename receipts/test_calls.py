"""Receipts of test calls (`campaigns.models.TestCall`): routed by OutId, whose prefix no
campaign call's OutId has, so they are neither counted as calls nor shown as unmatched."""

from __future__ import annotations

from collections.abc import Iterable

from campaigns.dialling import test_calls
from campaigns.models import TestCall
from campaigns.models.test_calls import OUT_ID_PREFIX
from receipts.models import Receipt

K = Receipt.Kind


def link(receipts: Iterable[Receipt]) -> dict[int, TestCall]:
    """Point the unmatched receipts that name a test call at it (locked); returns those test calls."""
    wanted = {
        r.out_id
        for r in receipts
        if r.kind != K.MALFORMED and r.matched_call_id is None and r.out_id.startswith(OUT_ID_PREFIX)
    }
    if not wanted:
        return {}
    found = {t.out_id: t for t in TestCall.objects.select_for_update().filter(out_id__in=wanted).select_related("menu")}
    touched: dict[int, TestCall] = {}
    for receipt in receipts:
        test_call = found.get(receipt.out_id) if receipt.matched_call_id is None else None
        if test_call is not None:
            receipt.matched_test_call = test_call
            touched[test_call.pk] = test_call
    return touched


def settle(touched: dict[int, TestCall]) -> None:
    """Re-derive each test call from all its stored receipts (after they were written)."""
    if not touched:
        return
    stored: dict[int, list[Receipt]] = {pk: [] for pk in touched}
    receipts = Receipt.objects.filter(matched_test_call__in=list(touched), kind__in=[K.KEY_PRESS, K.CALL_RECORD])
    for receipt in receipts.order_by("status_time", "end_time", "pk"):
        stored[receipt.matched_test_call_id].append(receipt)
    for pk, test_call in touched.items():
        test_calls.settle(test_call, stored[pk])
