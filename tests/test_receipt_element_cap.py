"""One push carries at most RECEIPT_MAX_ELEMENTS receipts: a flood (100,000 tiny elements fit
in the body limit) gets a 413, stores nothing, and is kept as a rejected push staff can see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from receipts.models import Receipt, RejectedPush
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db


def test_a_push_over_the_cap_is_refused_and_kept(post_receipts, placed_calls, staff_client, settings):
    assert settings.RECEIPT_MAX_ELEMENTS == 1000
    response = post_receipts([{}] * 100_000)
    assert response.status_code == 413
    assert "1000" in response.json()["msg"]
    assert Receipt.objects.count() == 0
    rejected = RejectedPush.objects.get()
    assert rejected.reason == RejectedPush.Reason.TOO_LARGE
    assert rejected.detail == "100000 elements, over 1000 per push"
    page = staff_client.get(reverse("admin:receipts_rejectedpush_changelist")).content.decode()
    assert "100000 elements, over 1000 per push" in page


def test_a_push_at_the_cap_is_taken(post_receipts, placed_calls, settings):
    settings.RECEIPT_MAX_ELEMENTS = 3
    assert post_receipts([record(n) for n in range(3)]).status_code == 200
    assert Receipt.objects.count() == 3
    assert post_receipts([record(n) for n in range(4)]).status_code == 413
    assert Receipt.objects.count() == 3 and RejectedPush.objects.count() == 1
